// Run one ONNX backend-test case on kiln: input_K.pb binds to the K-th graph input (kiln's graph
// inputs exclude initializers, as the ONNX test layout requires), output_K.pb is compared with the
// K-th graph output. Any error becomes the case's ERROR status; other cases still run.

import { FeedError } from '../core/errors.js';
import type { HostTensor } from '../core/tensor.js';
import { GraphSession, type GraphSessionOptions } from '../runtime/graph-session.js';
import { compareTensors, formatErr, toleranceFor } from './compare.js';
import { dataSetsOf, type ConformanceCase } from './conformance-cases.js';
import { FileError } from './errors.js';
import { loadModel } from './load-model.js';
import { readTensorFile } from './tensor-files.js';

export interface OutputReport {
  readonly name: string;
  readonly dataSet: string;
  /** null when the values could not be compared (shape, dtype or NaN mismatch: see detail). */
  readonly maxAbsErr: number | null;
  readonly maxRelErr: number | null;
  readonly pass: boolean;
  readonly detail?: string;
}

export type CaseStatus = 'pass' | 'fail' | 'error';

export interface CaseReport {
  readonly name: string;
  readonly status: CaseStatus;
  readonly outputs: readonly OutputReport[];
  readonly error?: string;
}

function finite(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

function runCaseOrThrow(c: ConformanceCase, options: GraphSessionOptions): OutputReport[] {
  const sets = dataSetsOf(c.dir);
  if (sets.length === 0) throw new FileError(`'${c.dir}' has model.onnx but no test_data_set_N folders`);
  const { graph } = loadModel(c.model);
  const session = new GraphSession(graph, options);
  const reports: OutputReport[] = [];
  for (const set of sets) {
    if (set.inputs.length > graph.inputs.length) {
      throw new FeedError(`${set.name}: ${set.inputs.length} input files but the model has ${graph.inputs.length} non-initializer input(s)`);
    }
    if (set.outputs.length > graph.outputs.length) {
      throw new FeedError(`${set.name}: ${set.outputs.length} output files but the model has ${graph.outputs.length} output(s)`);
    }
    const feeds: Record<string, HostTensor> = {};
    set.inputs.forEach((file, k) => {
      feeds[graph.inputs[k].name] = readTensorFile(file).tensor;
    });
    const actual = session.runHost(feeds);
    set.outputs.forEach((file, k) => {
      const name = graph.outputs[k].name;
      const expected = readTensorFile(file).tensor;
      const a = actual[name];
      const cmp = compareTensors(a, expected, toleranceFor(expected.dtype));
      reports.push({
        name,
        dataSet: set.name,
        maxAbsErr: finite(cmp.maxAbsErr),
        maxRelErr: finite(cmp.maxRelErr),
        pass: cmp.pass,
        ...(cmp.detail === undefined ? {} : { detail: cmp.detail }),
      });
    });
  }
  return reports;
}

export function runCase(c: ConformanceCase, options: GraphSessionOptions): CaseReport {
  try {
    const outputs = runCaseOrThrow(c, options);
    return { name: c.name, status: outputs.every((o) => o.pass) ? 'pass' : 'fail', outputs };
  } catch (e) {
    // kiln's typed errors are the expected kind; anything else is a kiln bug, reported the same way
    // so that one broken case does not hide the results of the others.
    const error = e instanceof Error ? `${e.name}: ${e.message.split('\n')[0]}` : String(e);
    return { name: c.name, status: 'error', outputs: [], error };
  }
}

/** The one-line verdict for a case. */
export function caseLine(r: CaseReport): string {
  if (r.status === 'pass') return `PASS ${r.name}`;
  if (r.status === 'error') return `ERROR ${r.name}: ${r.error ?? 'unknown error'}`;
  const failed = r.outputs.filter((o) => !o.pass);
  const o = failed[0];
  const what = o.detail ?? `max abs err ${formatErr(o.maxAbsErr ?? Infinity)}, max rel err ${formatErr(o.maxRelErr ?? Infinity)}`;
  const more = failed.length > 1 ? `; ${failed.length - 1} more failing output(s)` : '';
  return `FAIL ${r.name}: output '${o.name}' ${what} (${o.dataSet})${more}`;
}
