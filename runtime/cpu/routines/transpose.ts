// Transpose: out dims are in.dims[perm[i]]; walks the output in order with an odometer over input strides.

import { sizeOf, stridesOf } from '../../../core/shape.js';
import type { RoutineImpl } from './types.js';

export const transpose: RoutineImpl<'transpose'> = (call, inputs, outputs) => {
  const x = inputs[0];
  const out = outputs[0];
  const { inDims, perm } = call;
  const rank = inDims.length;
  const inStrides = stridesOf(inDims);
  const outDims = perm.map((p) => inDims[p]);
  const step = perm.map((p) => inStrides[p]);
  const n = sizeOf(outDims);
  const idx = new Array<number>(rank).fill(0);
  let src = 0;
  for (let i = 0; i < n; i++) {
    out[i] = x[src];
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      src += step[d];
      if (idx[d] < outDims[d]) break;
      src -= step[d] * outDims[d];
      idx[d] = 0;
    }
  }
};
