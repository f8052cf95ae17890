// Seeded random test inputs (mulberry32): reproducible across runs and machines.

import type { DType } from '../../core/dtype.js';
import { sizeOf } from '../../core/shape.js';
import { fromFloat64, HostTensor } from '../../core/tensor.js';

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface RandomOptions {
  readonly seed?: number;
  readonly low?: number;
  readonly high?: number;
  /** Added to every value (for the large-offset cases). */
  readonly offset?: number;
}

export function randomValues(n: number, o: RandomOptions = {}): Float64Array {
  const rnd = mulberry32(o.seed ?? 1);
  const lo = o.low ?? -1;
  const hi = o.high ?? 1;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = (o.offset ?? 0) + lo + (hi - lo) * rnd();
  return out;
}

export function randomTensor<D extends DType>(dtype: D, dims: readonly number[], o: RandomOptions = {}): HostTensor<D> {
  return fromFloat64(dtype, dims, randomValues(sizeOf(dims), o));
}
