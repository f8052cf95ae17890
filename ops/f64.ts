// float64 helpers for the reference implementations: broadcasting maps and axis reductions written
// plainly, with no cleverness, because they are the oracle.

import type { F64Tensor } from '../core/tensor.js';
import { sizeOf, stridesOf } from '../core/shape.js';

export function f64(dims: readonly number[], data?: Float64Array): F64Tensor {
  return { dims: [...dims], data: data ?? new Float64Array(sizeOf(dims)) };
}

/** Index into `dims` (right-aligned, broadcast) for each flat index of `outDims`. */
export function broadcastIndex(outDims: readonly number[], dims: readonly number[]): Int32Array {
  const n = sizeOf(outDims);
  const idx = new Int32Array(n);
  const outStrides = stridesOf(outDims);
  const inStrides = stridesOf(dims);
  const off = outDims.length - dims.length;
  for (let i = 0; i < n; i++) {
    let rem = i;
    let j = 0;
    for (let d = 0; d < outDims.length; d++) {
      const c = Math.floor(rem / outStrides[d]);
      rem -= c * outStrides[d];
      const k = d - off;
      if (k >= 0 && dims[k] !== 1) j += c * inStrides[k];
    }
    idx[i] = j;
  }
  return idx;
}

/** out[i] = fn(a[bi], b[bi], ...) over the broadcast shape. */
export function mapBroadcast(outDims: readonly number[], inputs: readonly F64Tensor[], fn: (...xs: number[]) => number): F64Tensor {
  const out = f64(outDims);
  const maps = inputs.map((t) => broadcastIndex(outDims, t.dims));
  const args = new Array<number>(inputs.length);
  for (let i = 0; i < out.data.length; i++) {
    for (let k = 0; k < inputs.length; k++) args[k] = inputs[k].data[maps[k][i]];
    out.data[i] = fn(...args);
  }
  return out;
}

/** Group flat indices of `dims` by their position with `axes` removed: calls visit(outIndex, inIndex). */
export function forEachReduced(dims: readonly number[], axes: readonly number[], visit: (outIndex: number, inIndex: number) => void): number[] {
  const keptDims = dims.map((d, i) => (axes.includes(i) ? 1 : d));
  const keptStrides = stridesOf(keptDims);
  const strides = stridesOf(dims);
  const n = sizeOf(dims);
  for (let i = 0; i < n; i++) {
    let rem = i;
    let o = 0;
    for (let d = 0; d < dims.length; d++) {
      const c = Math.floor(rem / strides[d]);
      rem -= c * strides[d];
      if (!axes.includes(d)) o += c * keptStrides[d];
    }
    visit(o, i);
  }
  return keptDims;
}
