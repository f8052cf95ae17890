// Strided slice over any rank: an odometer over the outer output axes gives each row's source offset;
// the last axis is copied with its (possibly negative) step.

import type { RoutineImpl } from './types.js';

export const slice: RoutineImpl<'slice'> = (call, inputs, outputs) => {
  const x = inputs[0];
  const y = outputs[0];
  const { inDims, starts, steps, outDims } = call;
  const r = inDims.length;
  if (y.length === 0) return;
  if (r === 0) {
    y[0] = x[0];
    return;
  }
  const inStrides = new Array<number>(r);
  for (let a = r - 1, s = 1; a >= 0; a--) {
    inStrides[a] = s;
    s *= inDims[a];
  }
  const rowLen = outDims[r - 1];
  const lastStart = starts[r - 1];
  const lastStep = steps[r - 1];
  const coord = new Array<number>(r - 1).fill(0);
  for (let o = 0; o < y.length; o += rowLen) {
    let base = lastStart;
    for (let a = 0; a < r - 1; a++) base += (starts[a] + coord[a] * steps[a]) * inStrides[a];
    for (let j = 0; j < rowLen; j++) y[o + j] = x[base + j * lastStep];
    for (let a = r - 2; a >= 0; a--) {
      if (++coord[a] < outDims[a]) break;
      coord[a] = 0;
    }
  }
};
