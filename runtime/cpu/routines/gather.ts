// Gather along one axis: for each (outer, index) pair one contiguous run of `inner` elements is copied.
// Indices arrive widened to float (exact below 2^53); each is range-checked before any copy.

import { ArgumentError } from '../../../core/errors.js';
import type { RoutineImpl } from './types.js';

export const gather: RoutineImpl<'gather'> = (call, inputs, outputs) => {
  const [x, indices] = inputs;
  const y = outputs[0];
  const { dataDims, axis, indexCount } = call;
  const size = dataDims[axis];
  let outer = 1;
  for (let a = 0; a < axis; a++) outer *= dataDims[a];
  let inner = 1;
  for (let a = axis + 1; a < dataDims.length; a++) inner *= dataDims[a];
  const rows = new Int32Array(indexCount);
  for (let j = 0; j < indexCount; j++) {
    const v = indices[j];
    if (!(v >= -size && v < size)) {
      throw new ArgumentError(call.site, 'indices', `values in [${-size}, ${size - 1}] (data axis ${axis} has size ${size})`, `${v} at position ${j}`);
    }
    rows[j] = v < 0 ? v + size : v;
  }
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < indexCount; j++) {
      const src = (o * size + rows[j]) * inner;
      const dst = (o * indexCount + j) * inner;
      for (let k = 0; k < inner; k++) y[dst + k] = x[src + k];
    }
  }
};
