// `kiln check model.onnx`: run the model on kiln and on onnxruntime-node with the same inputs and
// compare every output within per-dtype tolerances. When onnxruntime cannot run the model (no
// BatchNormalization-6 or bfloat16 kernels, DESIGN.md §7) the oracle is kiln's float64 reference.
// `--bisect` then names the first node whose output diverges.

import { describeShape, KilnError } from '../../core/errors.js';
import type { F64Tensor, HostTensor } from '../../core/tensor.js';
import type { Graph } from '../../compiler/ir/types.js';
import { runReference } from '../../runtime/reference.js';
import { GraphSession } from '../../runtime/graph-session.js';
import { bisect, type BisectResult, type OracleName } from '../bisect.js';
import { compareTensors, formatErr, toleranceFor } from '../compare.js';
import { completeFeeds, readDimFlags, readInputFlags } from '../feeds.js';
import { processIO, type CliIO } from '../io.js';
import { loadModel } from '../load-model.js';
import { describeSession, intArg, parseArgs, SESSION_FLAGS, sessionArg } from '../options.js';
import { runOnnxruntime } from '../ort-oracle.js';
import { renderTable } from '../table.js';

export const CHECK_USAGE = 'kiln check model.onnx [--seed N] [--input name=file.pb ...] [--dim name=size ...] [--bisect] [--backend cpu|wasm] [--precision float64|float32]';

interface Oracle {
  readonly name: OracleName;
  /** In words, for the report. */
  readonly description: string;
  readonly outputs: Readonly<Record<string, HostTensor | F64Tensor>>;
}

async function runOracle(path: string, graph: Graph, feeds: Readonly<Record<string, HostTensor>>): Promise<Oracle> {
  const ort = await runOnnxruntime(path, feeds, { optimization: 'all' });
  if (ort.ok) return { name: 'onnxruntime', description: `onnxruntime-node ${ort.version}`, outputs: ort.outputs };
  const ref = runReference(graph, feeds);
  return { name: 'reference', description: `kiln float64 reference interpreter (fallback: ${ort.reason})`, outputs: ref.outputs };
}

function whoMatches(kiln: boolean, ort: boolean): string {
  if (kiln && ort) return 'both match it';
  if (kiln) return 'kiln matches it, onnxruntime does not';
  if (ort) return 'onnxruntime matches it, kiln does not';
  return 'neither matches it';
}

/** The tolerance rule in words, from the same table the comparison uses. */
function toleranceLine(): string {
  const floats = (['float64', 'float32', 'float16', 'bfloat16'] as const).map((d) => {
    const t = toleranceFor(d);
    return `${d} atol ${t.atol.toExponential()} rtol ${t.rtol.toExponential()}`;
  });
  return `tolerance: |kiln - oracle| <= atol + rtol*|oracle|; ${floats.join(', ')}; integers exact`;
}

/**
 * When kiln and onnxruntime disagree, the float64 reference says which one is off: onnxruntime
 * loses accuracy in places (its BatchNormalization computes x·a + (B − mean·a), DESIGN.md §7).
 * The verdict against onnxruntime stands; this only tells the user where to look.
 */
function printArbiter(io: CliIO, graph: Graph, feeds: Readonly<Record<string, HostTensor>>, kiln: Readonly<Record<string, HostTensor>>, ort: Readonly<Record<string, HostTensor | F64Tensor>>, failing: readonly string[]): void {
  let ref: Record<string, F64Tensor>;
  try {
    ref = runReference(graph, feeds).outputs;
  } catch (e) {
    if (e instanceof KilnError) return; // the reference cannot run this graph: nothing to add
    throw e;
  }
  for (const name of failing) {
    const a = kiln[name];
    const o = ort[name];
    const r = ref[name];
    if (o === undefined || !('dtype' in o)) continue;
    const tol = toleranceFor(a.dtype);
    const k = compareTensors(a, r, tol);
    const x = compareTensors(o, r, tol);
    io.out(`arbiter: '${name}' against the float64 reference: kiln max abs err ${formatErr(k.maxAbsErr)}, onnxruntime ${formatErr(x.maxAbsErr)} (${whoMatches(k.pass, x.pass)})`);
  }
}

function printBisect(io: CliIO, r: BisectResult): boolean {
  io.out('');
  io.out(`bisect: ${r.compared} intermediate value(s) compared in topological order against ${r.oracle}`);
  if (r.skipped.length > 0) io.out(`bisect: ${r.skipped.length} value(s) exist on one side only and were not compared (first: '${r.skipped[0].valueName}')`);
  const d = r.divergence;
  if (d === undefined) {
    io.out('bisect: no divergence');
    return true;
  }
  const c = d.comparison;
  const what = c.detail ?? `max abs err ${formatErr(c.maxAbsErr)}, max rel err ${formatErr(c.maxRelErr)}`;
  io.out(`bisect: first divergence at ${d.probe.opType} node '${d.probe.nodeName}', output '${d.probe.valueName}': ${what}`);
  return false;
}

export async function runCheck(args: readonly string[], io: CliIO = processIO()): Promise<number> {
  const parsed = parseArgs('check', args, {
    single: ['seed', ...SESSION_FLAGS],
    repeated: ['input', 'dim'],
    switches: ['bisect'],
    positionals: [1, 1],
    positionalName: 'model.onnx',
  });
  const seed = intArg('check', parsed, 'seed', 1, 0, 2 ** 31 - 1);
  const session = sessionArg('check', parsed);
  const path = parsed.positionals[0];
  const loaded = loadModel(path);
  const given = readInputFlags('check', parsed.values.get('input') ?? [], loaded.graph);
  const { feeds, described } = completeFeeds(loaded.graph, given, readDimFlags('check', parsed.values.get('dim') ?? []), seed);

  const kiln = new GraphSession(loaded.graph, session).runHost(feeds);
  const oracle = await runOracle(path, loaded.graph, feeds);

  io.out(`model: ${path} (graph '${loaded.graph.name}', ${loaded.graph.nodes.length} nodes, backend ${describeSession(session)})`);
  io.out(`inputs (seed ${seed}): ${described.join('; ') || '(none)'}`);
  io.out(`oracle: ${oracle.description}`);
  io.out('');
  const failing: string[] = [];
  const rows = loaded.graph.outputs.map((v) => {
    const a = kiln[v.name];
    const e = oracle.outputs[v.name];
    if (e === undefined) {
      failing.push(v.name);
      return [v.name, a.dtype, describeShape(a.dims), '-', '-', 'FAIL (the oracle returned no such output)'];
    }
    const c = compareTensors(a, e, toleranceFor(a.dtype));
    if (!c.pass) failing.push(v.name);
    const verdict = c.pass ? 'PASS' : c.detail === undefined ? 'FAIL' : `FAIL (${c.detail})`;
    return [v.name, a.dtype, describeShape(a.dims), formatErr(c.maxAbsErr), formatErr(c.maxRelErr), verdict];
  });
  io.out(renderTable(['output', 'dtype', 'shape', 'max abs err', 'max rel err', 'result'], rows));
  io.out('');
  io.out(failing.length === 0 ? `all ${rows.length} output(s) pass` : `${failing.length} of ${rows.length} output(s) FAIL`);
  io.out(toleranceLine());
  if (failing.length > 0 && oracle.name === 'onnxruntime') printArbiter(io, loaded.graph, feeds, kiln, oracle.outputs, failing);

  let bisectClean = true;
  if (parsed.switches.has('bisect')) bisectClean = printBisect(io, await bisect(loaded, feeds, session, oracle.name));
  return failing.length === 0 && bisectClean ? 0 : 1;
}
