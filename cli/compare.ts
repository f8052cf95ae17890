// Compare a kiln result with an oracle's: |a − e| ≤ atol + rtol·|e| per element with per-dtype
// tolerances, NaN must match NaN, shapes must match exactly. Shared by check, bisect and conformance.

import type { DType } from '../core/dtype.js';
import { describeShape } from '../core/errors.js';
import { readElement, type F64Tensor, type HostTensor } from '../core/tensor.js';

export interface Tolerance {
  readonly atol: number;
  readonly rtol: number;
}

/** Per-dtype tolerances; integer and bool results must be exact. */
export function toleranceFor(dtype: DType): Tolerance {
  switch (dtype) {
    case 'float64': return { atol: 1e-12, rtol: 1e-9 };
    case 'float32': return { atol: 1e-5, rtol: 1e-4 };
    case 'float16': return { atol: 4e-3, rtol: 4e-3 };
    case 'bfloat16': return { atol: 3e-2, rtol: 3e-2 };
    default: return { atol: 0, rtol: 0 };
  }
}

export interface Comparison {
  readonly pass: boolean;
  /** Largest |a − e| over elements where both are numbers (Infinity on NaN or shape mismatch). */
  readonly maxAbsErr: number;
  /** Largest |a − e| / |e| over elements with e ≠ 0 (zeros in e contribute to the absolute error only). */
  readonly maxRelErr: number;
  /** Why it failed in words when it is not just the numbers (shape, dtype, NaN). */
  readonly detail?: string;
}

/** Float64 copy of any tensor's elements. */
export function valuesOf(t: HostTensor | F64Tensor): Float64Array {
  if (!('dtype' in t)) return t.data;
  const out = new Float64Array(t.data.length);
  for (let i = 0; i < out.length; i++) out[i] = readElement(t.dtype, t.data, i);
  return out;
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Compare `actual` with `expected` at `tol`. When both carry a dtype they must agree; a float64
 * reference oracle (F64Tensor) has none and is compared at the actual's precision.
 */
export function compareTensors(actual: HostTensor, expected: HostTensor | F64Tensor, tol: Tolerance): Comparison {
  if ('dtype' in expected && expected.dtype !== actual.dtype) {
    return { pass: false, maxAbsErr: Infinity, maxRelErr: Infinity, detail: `dtype ${actual.dtype}, expected ${expected.dtype}` };
  }
  if (!sameDims(actual.dims, expected.dims)) {
    return { pass: false, maxAbsErr: Infinity, maxRelErr: Infinity, detail: `shape ${describeShape(actual.dims)}, expected ${describeShape(expected.dims)}` };
  }
  const a = valuesOf(actual);
  const e = valuesOf(expected);
  let maxAbsErr = 0;
  let maxRelErr = 0;
  let pass = true;
  let nanMismatches = 0;
  for (let i = 0; i < e.length; i++) {
    const ai = a[i];
    const ei = e[i];
    if (Number.isNaN(ai) || Number.isNaN(ei)) {
      if (Number.isNaN(ai) !== Number.isNaN(ei)) nanMismatches++;
      continue;
    }
    // Equal values (including same-signed infinities) are exact matches.
    if (ai === ei) continue;
    const err = Math.abs(ai - ei);
    // An infinity against anything else is a failure (Inf ≤ atol + rtol·Inf would wrongly pass).
    if (!Number.isFinite(ai) || !Number.isFinite(ei) || err > tol.atol + tol.rtol * Math.abs(ei)) pass = false;
    maxAbsErr = Math.max(maxAbsErr, err);
    if (ei !== 0) maxRelErr = Math.max(maxRelErr, err / Math.abs(ei));
  }
  if (nanMismatches > 0) {
    return { pass: false, maxAbsErr: Infinity, maxRelErr: Infinity, detail: `${nanMismatches} element(s) NaN on one side only` };
  }
  return { pass, maxAbsErr, maxRelErr };
}

/** Short human form of an error magnitude. */
export function formatErr(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  return x === 0 ? '0' : x.toExponential(2);
}
