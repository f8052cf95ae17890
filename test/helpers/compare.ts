// Tolerance checks against an oracle: |a − e| ≤ atol + rtol·|e| element by element (DESIGN.md §8),
// NaN must match NaN. Failures report the worst element so a mismatch is easy to locate.

import { expect } from 'vitest';
import type { DType } from '../../core/dtype.js';
import { F64Tensor, HostTensor, readElement } from '../../core/tensor.js';

export interface Tolerance {
  readonly rtol: number;
  readonly atol: number;
}

/** Default tolerance of a dtype's results against the float64 reference. */
export function toleranceFor(dtype: DType): Tolerance {
  switch (dtype) {
    case 'float64': return { rtol: 1e-9, atol: 1e-12 };
    case 'float16': return { rtol: 4e-3, atol: 4e-3 };
    case 'bfloat16': return { rtol: 3e-2, atol: 3e-2 };
    default: return { rtol: 1e-5, atol: 1e-5 };
  }
}

export function maxError(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tolerance): { worst: number; index: number; excess: number } {
  let worst = 0;
  let index = -1;
  let excess = -Infinity;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(e) || Number.isNaN(a)) {
      if (Number.isNaN(e) !== Number.isNaN(a)) return { worst: Infinity, index: i, excess: Infinity };
      continue;
    }
    if (a === e) continue;
    const err = Math.abs(a - e);
    const over = err - (tol.atol + tol.rtol * Math.abs(e));
    if (over > excess) {
      excess = over;
      index = i;
    }
    worst = Math.max(worst, err);
  }
  return { worst, index, excess };
}

export function hostValues(t: HostTensor): Float64Array {
  const out = new Float64Array(t.data.length);
  for (let i = 0; i < out.length; i++) out[i] = readElement(t.dtype, t.data, i);
  return out;
}

/** Assert a kiln result matches a float64 oracle within tolerance (dims must agree exactly). */
export function expectClose(actual: HostTensor | F64Tensor, expected: F64Tensor, tol: Tolerance = toleranceFor('dtype' in actual ? actual.dtype : 'float64'), what = 'value'): void {
  expect([...actual.dims], `${what} dims`).toEqual([...expected.dims]);
  const a = 'dtype' in actual ? hostValues(actual) : actual.data;
  const r = maxError(a, expected.data, tol);
  if (r.excess > 0) {
    expect.fail(`${what}: element ${r.index} is ${a[r.index]}, expected ${expected.data[r.index]} (max abs err ${r.worst}, rtol ${tol.rtol}, atol ${tol.atol})`);
  }
}
