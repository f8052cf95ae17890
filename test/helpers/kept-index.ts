// The oracle side of axis reductions: for each flat input index, the flat index of its output (the
// reduced axes dropped), by an odometer over the full index — written independently of the routines'
// own index maps and [R0, K, R1] walks.

import { sizeOf } from '../../core/shape.js';

export function outputIndexOf(dims: readonly number[], axes: readonly number[]): { index: Int32Array; outputs: number } {
  const keptDims = dims.map((d, i) => (axes.includes(i) ? 1 : d));
  const index = new Int32Array(sizeOf(dims));
  const idx = dims.map(() => 0);
  for (let i = 0; i < index.length; i++) {
    let o = 0;
    for (let d = 0; d < dims.length; d++) o = o * keptDims[d] + (axes.includes(d) ? 0 : idx[d]);
    index[i] = o;
    for (let d = dims.length - 1; d >= 0 && ++idx[d] === dims[d]; d--) idx[d] = 0;
  }
  return { index, outputs: sizeOf(keptDims) };
}
