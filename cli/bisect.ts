// `kiln check --bisect`: run every intermediate value on kiln and on the oracle, compare them in
// topological order and name the first node whose output diverges. The oracle is onnxruntime-node
// with graph optimizations off (so each value is one op's result), or kiln's float64 reference.

import type { F64Tensor, HostTensor } from '../core/tensor.js';
import { decodeModel, encodeModel } from '../compiler/onnx/proto.js';
import { exposeAllValues } from '../compiler/passes/expose-all-values.js';
import { runReference } from '../runtime/reference.js';
import { GraphSession, type GraphSessionOptions } from '../runtime/graph-session.js';
import { compareTensors, toleranceFor, type Comparison } from './compare.js';
import { exposeAllNodeOutputs, graphProbes, onnxProbes, type Probe } from './bisect-models.js';
import type { LoadedModel } from './load-model.js';
import { runOnnxruntime } from './ort-oracle.js';

export interface Divergence {
  readonly probe: Probe;
  readonly comparison: Comparison;
}

export interface DivergenceSearch {
  /** Probes compared (up to and including the divergence). */
  readonly compared: number;
  /** Probes with no value on one side (renamed or folded away by an importer or an optimizer). */
  readonly skipped: readonly Probe[];
  readonly divergence?: Divergence;
}

/** Walk `probes` in order; the first value whose kiln result is out of tolerance is the divergence. */
export function firstDivergence(
  probes: readonly Probe[],
  actual: ReadonlyMap<string, HostTensor>,
  expected: (valueName: string) => HostTensor | F64Tensor | undefined,
): DivergenceSearch {
  let compared = 0;
  const skipped: Probe[] = [];
  for (const probe of probes) {
    const a = actual.get(probe.valueName);
    const e = expected(probe.valueName);
    if (a === undefined || e === undefined) {
      skipped.push(probe);
      continue;
    }
    compared++;
    const comparison = compareTensors(a, e, toleranceFor(a.dtype));
    if (!comparison.pass) return { compared, skipped, divergence: { probe, comparison } };
  }
  return { compared, skipped };
}

export type OracleName = 'onnxruntime' | 'reference';

export interface BisectResult extends DivergenceSearch {
  /** Which oracle the values were compared with, in words. */
  readonly oracle: string;
}

function kilnValues(loaded: LoadedModel, feeds: Readonly<Record<string, HostTensor>>, session: GraphSessionOptions): Map<string, HostTensor> {
  const res = new GraphSession(exposeAllValues(loaded.graph), session).runHost(feeds);
  return new Map(Object.entries(res));
}

function againstReference(loaded: LoadedModel, feeds: Readonly<Record<string, HostTensor>>, actual: ReadonlyMap<string, HostTensor>): DivergenceSearch {
  const { values } = runReference(loaded.graph, feeds);
  const ids = new Map<string, number>();
  for (const n of loaded.graph.nodes) for (const v of n.outputs) ids.set(v.name, v.id);
  return firstDivergence(graphProbes(loaded.graph), actual, (name) => {
    const id = ids.get(name);
    return id === undefined ? undefined : values.get(id);
  });
}

/** Bisect against `oracle`; onnxruntime falls back to the reference when it cannot run the copy. */
export async function bisect(loaded: LoadedModel, feeds: Readonly<Record<string, HostTensor>>, session: GraphSessionOptions, oracle: OracleName): Promise<BisectResult> {
  const actual = kilnValues(loaded, feeds, session);
  if (oracle === 'onnxruntime') {
    const model = decodeModel(loaded.bytes);
    const exposed = exposeAllNodeOutputs(model, loaded.graph);
    const fetches = (exposed.graph?.output ?? []).map((o) => o.name ?? '');
    const ort = await runOnnxruntime(encodeModel(exposed), feeds, { optimization: 'disabled' }, fetches);
    if (ort.ok) {
      const search = firstDivergence(onnxProbes(model.graph ?? {}), actual, (name) => ort.outputs[name]);
      return { ...search, oracle: `onnxruntime-node ${ort.version} (graph optimizations off)` };
    }
    return { ...againstReference(loaded, feeds, actual), oracle: `kiln float64 reference interpreter (${ort.reason})` };
  }
  return { ...againstReference(loaded, feeds, actual), oracle: 'kiln float64 reference interpreter' };
}
