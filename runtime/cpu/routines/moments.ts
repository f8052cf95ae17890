// Mean and population variance over axes, two-pass with float64 accumulators in a fixed order
// (deterministic; exact enough for inputs offset by 1e4, DESIGN.md §6). Optional weights operand.

import { sizeOf, stridesOf } from '../../../core/shape.js';
import type { RoutineImpl } from './types.js';

/** For each input element, the index of its reduced (kept) position; shared by reductions. */
export function keptIndexMap(inDims: readonly number[], axes: readonly number[]): { map: Int32Array; keptSize: number } {
  const keptDims = inDims.map((d, i) => (axes.includes(i) ? 1 : d));
  const keptStrides = stridesOf(keptDims).map((s, i) => (axes.includes(i) ? 0 : s));
  const n = sizeOf(inDims);
  const map = new Int32Array(n);
  const rank = inDims.length;
  const idx = new Array<number>(rank).fill(0);
  let k = 0;
  for (let i = 0; i < n; i++) {
    map[i] = k;
    // odometer increment, updating the kept offset incrementally
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      k += keptStrides[d];
      if (idx[d] < inDims[d]) break;
      k -= keptStrides[d] * inDims[d];
      idx[d] = 0;
    }
  }
  return { map, keptSize: sizeOf(keptDims) };
}

export const moments: RoutineImpl<'moments'> = (call, inputs, outputs) => {
  const x = inputs[0];
  const w = call.weighted ? inputs[1] : undefined;
  const { map, keptSize } = keptIndexMap(call.inDims, call.axes);
  const sw = new Float64Array(keptSize);
  const sum = new Float64Array(keptSize);
  const n = x.length;
  if (w) {
    for (let i = 0; i < n; i++) {
      const o = map[i];
      sw[o] += w[i];
      sum[o] += w[i] * x[i];
    }
  } else {
    for (let i = 0; i < n; i++) {
      const o = map[i];
      sw[o] += 1;
      sum[o] += x[i];
    }
  }
  const eps = w ? call.weightEpsilon : 0;
  const mean = new Float64Array(keptSize);
  for (let o = 0; o < keptSize; o++) mean[o] = sum[o] / (sw[o] + eps);
  const sq = new Float64Array(keptSize);
  if (w) {
    for (let i = 0; i < n; i++) {
      const d = x[i] - mean[map[i]];
      sq[map[i]] += w[i] * d * d;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const d = x[i] - mean[map[i]];
      sq[map[i]] += d * d;
    }
  }
  const [outMean, outVar] = outputs;
  for (let o = 0; o < keptSize; o++) {
    outMean[o] = mean[o];
    outVar[o] = sq[o] / (sw[o] + eps);
  }
};
