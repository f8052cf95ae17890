// Inputs for check and run: tensors from `--input name=file.pb`, and seeded random tensors for the
// rest (floats uniform in [-1, 1), integers small and non-negative), with symbolic dims bound by the
// given tensors, by `--dim name=value`, or else to 1.

import type { DType } from '../core/dtype.js';
import { describeShape, FeedError } from '../core/errors.js';
import { UsageError } from './errors.js';
import { Rng } from '../core/rng.js';
import { sizeOf } from '../core/shape.js';
import { fromFloat64, type HostTensor } from '../core/tensor.js';
import type { Graph } from '../compiler/ir/types.js';
import { keyValue } from './options.js';
import { readTensorFile } from './tensor-files.js';

/** Integers drawn for int inputs lie in [0, INT_RANGE): small enough to be valid indices and counts. */
const INT_RANGE = 4;

/** Read `--input name=file.pb` flags; each name must be a graph input, at most once. */
export function readInputFlags(command: string, raws: readonly string[], g: Graph): Record<string, HostTensor> {
  const names = g.inputs.map((v) => v.name);
  const out: Record<string, HostTensor> = {};
  for (const raw of raws) {
    const { key, value } = keyValue(command, 'input', raw, 'file.pb');
    if (!names.includes(key)) {
      throw new FeedError(`--input '${key}': the model has no input of that name; its inputs are ${names.map((n) => `'${n}'`).join(', ') || '(none)'}`);
    }
    if (key in out) throw new UsageError(command, '--input', `one file per input`, `'${key}' twice`);
    out[key] = readTensorFile(value).tensor;
  }
  return out;
}

/** Read `--dim name=value` flags (symbolic dimension bindings). */
export function readDimFlags(command: string, raws: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const raw of raws) {
    const { key, value } = keyValue(command, 'dim', raw, 'size');
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(command, `--dim ${key}`, 'a non-negative integer', `'${value}'`);
    out.set(key, n);
  }
  return out;
}

/** Symbol bindings: explicit --dim values first, then whatever the given tensors fix. */
function bindSymbols(g: Graph, given: Readonly<Record<string, HostTensor>>, dims: ReadonlyMap<string, number>): Map<string, number> {
  const bound = new Map(dims);
  for (const v of g.inputs) {
    const t = given[v.name];
    if (t === undefined || t.dims.length !== v.type.shape.length) continue;
    v.type.shape.forEach((d, i) => {
      if (typeof d === 'string' && !bound.has(d)) bound.set(d, t.dims[i]);
    });
  }
  return bound;
}

function randomTensor(dtype: DType, dims: readonly number[], rng: Rng): HostTensor {
  const values = new Float64Array(sizeOf(dims));
  const float = dtype === 'float32' || dtype === 'float64' || dtype === 'float16' || dtype === 'bfloat16';
  for (let i = 0; i < values.length; i++) {
    if (float) values[i] = 2 * rng.uniform() - 1;
    else if (dtype === 'bool') values[i] = rng.uniform() < 0.5 ? 0 : 1;
    else values[i] = Math.floor(rng.uniform() * INT_RANGE);
  }
  return fromFloat64(dtype, dims, values);
}

export interface Feeds {
  readonly feeds: Record<string, HostTensor>;
  /** How each input was made, for the command's header (e.g. "x float32[1,3] random"). */
  readonly described: readonly string[];
}

/**
 * Complete the feeds: given tensors as they are, random ones for the other inputs. Each input's
 * stream is seeded from (seed, input index), so giving one input does not change the others.
 */
export function completeFeeds(g: Graph, given: Readonly<Record<string, HostTensor>>, dims: ReadonlyMap<string, number>, seed: number): Feeds {
  const symbols = bindSymbols(g, given, dims);
  const feeds: Record<string, HostTensor> = {};
  const described: string[] = [];
  g.inputs.forEach((v, k) => {
    const t = given[v.name];
    if (t !== undefined) {
      feeds[v.name] = t;
      described.push(`${v.name} ${t.dtype}${describeShape(t.dims)} from file`);
      return;
    }
    const shape = v.type.shape.map((d) => (typeof d === 'number' ? d : symbols.get(d) ?? 1));
    feeds[v.name] = randomTensor(v.type.dtype, shape, new Rng(seed * 65536 + k));
    described.push(`${v.name} ${v.type.dtype}${describeShape(shape)} random`);
  });
  return { feeds, described };
}
