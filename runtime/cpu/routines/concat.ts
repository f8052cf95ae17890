// Concat as block copies: along the joined axis each operand contributes one contiguous block of
// dims[axis]·inner elements per outer index, written at its running offset in the output row.

import type { RoutineImpl } from './types.js';

export const concat: RoutineImpl<'concat'> = (call, inputs, outputs) => {
  const y = outputs[0];
  const { axis, outDims } = call;
  let outer = 1;
  for (let a = 0; a < axis; a++) outer *= outDims[a];
  let inner = 1;
  for (let a = axis + 1; a < outDims.length; a++) inner *= outDims[a];
  const outRow = outDims[axis] * inner;
  let offset = 0;
  call.inDims.forEach((dims, k) => {
    const x = inputs[k];
    const row = dims[axis] * inner;
    if (row > 0) {
      for (let o = 0; o < outer; o++) y.set(x.subarray(o * row, (o + 1) * row), o * outRow + offset);
    }
    offset += row;
  });
};
