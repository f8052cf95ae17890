// Local response normalization across channels over [N, C, inner]: a running square sum over the
// channel window (added and dropped one channel at a time would drift, so each window is summed afresh
// in float64 from a per-position table of squares).

import type { RoutineImpl } from './types.js';

export const lrn: RoutineImpl<'lrn'> = (call, inputs, outputs) => {
  const x = inputs[0];
  const y = outputs[0];
  const [nb, c, inner] = call.inDims;
  const before = Math.floor((call.size - 1) / 2);
  const after = Math.ceil((call.size - 1) / 2);
  const scale = call.alpha / call.size;
  const sq = new Float64Array(c * inner);
  const sum = new Float64Array(inner);
  for (let n = 0; n < nb; n++) {
    const base = n * c * inner;
    for (let i = 0; i < c * inner; i++) sq[i] = x[base + i] * x[base + i];
    for (let ci = 0; ci < c; ci++) {
      const lo = Math.max(0, ci - before);
      const hi = Math.min(c - 1, ci + after);
      sum.fill(0);
      for (let k = lo; k <= hi; k++) {
        const row = k * inner;
        for (let j = 0; j < inner; j++) sum[j] += sq[row + j];
      }
      const row = base + ci * inner;
      for (let j = 0; j < inner; j++) y[row + j] = x[row + j] / Math.pow(call.bias + scale * sum[j], call.beta);
    }
  }
};
