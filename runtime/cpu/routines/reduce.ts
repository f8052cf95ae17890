// Axis reductions (sum, mean, max, min, sum of squares) with float64 accumulation in input order.

import type { ReduceFn } from '../../../ops/kernel-ir.js';
import { keptIndexMap } from './moments.js';
import type { RoutineImpl } from './types.js';

const INIT: { readonly [F in ReduceFn]: number } = { sum: 0, mean: 0, sumSquare: 0, max: -Infinity, min: Infinity };

export const reduce: RoutineImpl<'reduce'> = (call, inputs, outputs) => {
  const x = inputs[0];
  const out = outputs[0];
  const { map, keptSize } = keptIndexMap(call.inDims, call.axes);
  const acc = new Float64Array(keptSize).fill(INIT[call.fn]);
  const count = keptSize === 0 ? 0 : x.length / keptSize;
  switch (call.fn) {
    case 'sum':
    case 'mean':
      for (let i = 0; i < x.length; i++) acc[map[i]] += x[i];
      break;
    case 'sumSquare':
      for (let i = 0; i < x.length; i++) acc[map[i]] += x[i] * x[i];
      break;
    case 'max':
      // NaN propagates: comparisons with NaN are false, so test it explicitly.
      for (let i = 0; i < x.length; i++) if (x[i] > acc[map[i]] || x[i] !== x[i]) acc[map[i]] = x[i];
      break;
    case 'min':
      for (let i = 0; i < x.length; i++) if (x[i] < acc[map[i]] || x[i] !== x[i]) acc[map[i]] = x[i];
      break;
  }
  for (let o = 0; o < keptSize; o++) out[o] = call.fn === 'mean' ? acc[o] / count : acc[o];
};
