// Mean and population variance over axes, two-pass with float64 accumulators in a fixed order
// (deterministic; exact enough for inputs offset by 1e4, DESIGN.md §6). Optional weights operand.

import { sizeOf, stridesOf } from '../../../core/shape.js';
import { type ReductionLayout, reductionLayout } from './reduction-layout.js';
import type { RoutineImpl } from './types.js';
import { writeBatchNormChannels } from '../../batch-norm-channels.js';

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

type Data = ArrayLike<number>;

/**
 * Pass 1 over [R0, K, R1]: sw[c] += w (1 unweighted), sum[c] += w·x, each channel's inputs in input
 * order (a < R0, then b < R1), as the index-map walk visits them.
 */
function sumsLayout(x: Data, w: Data | undefined, { r0, k, r1 }: ReductionLayout, sw: Float64Array, sum: Float64Array): void {
  for (let a = 0; a < r0; a++) {
    for (let c = 0; c < k; c++) {
      const i0 = (a * k + c) * r1;
      let t = sw[c];
      let s = sum[c];
      if (w) {
        for (let i = i0; i < i0 + r1; i++) {
          t += w[i];
          s += w[i] * x[i];
        }
      } else {
        for (let i = i0; i < i0 + r1; i++) {
          t += 1;
          s += x[i];
        }
      }
      sw[c] = t;
      sum[c] = s;
    }
  }
}

/** Pass 2 over [R0, K, R1]: sq[c] += w·(x − mean[c])², in the same order. */
function squaresLayout(x: Data, w: Data | undefined, { r0, k, r1 }: ReductionLayout, mean: Float64Array, sq: Float64Array): void {
  for (let a = 0; a < r0; a++) {
    for (let c = 0; c < k; c++) {
      const i0 = (a * k + c) * r1;
      const m = mean[c];
      let q = sq[c];
      if (w) {
        for (let i = i0; i < i0 + r1; i++) {
          const d = x[i] - m;
          q += w[i] * d * d;
        }
      } else {
        for (let i = i0; i < i0 + r1; i++) {
          const d = x[i] - m;
          q += d * d;
        }
      }
      sq[c] = q;
    }
  }
}

function sumsMapped(x: Data, w: Data | undefined, map: Int32Array, sw: Float64Array, sum: Float64Array): void {
  for (let i = 0; i < x.length; i++) {
    const o = map[i];
    sw[o] += w ? w[i] : 1;
    sum[o] += w ? w[i] * x[i] : x[i];
  }
}

function squaresMapped(x: Data, w: Data | undefined, map: Int32Array, mean: Float64Array, sq: Float64Array): void {
  for (let i = 0; i < x.length; i++) {
    const d = x[i] - mean[map[i]];
    sq[map[i]] += w ? w[i] * d * d : d * d;
  }
}

export const moments: RoutineImpl<'moments'> = (call, inputs, outputs) => {
  const x = inputs[0];
  const w = call.weighted ? inputs[1] : undefined;
  // Axes that merge into [R0, K, R1] (every BN statistic) are walked directly; others through a
  // per-element index map (a copy of x's size in Int32, and an odometer step per element).
  const layout = reductionLayout(call.inDims, call.axes);
  const indexed = layout === undefined ? keptIndexMap(call.inDims, call.axes) : undefined;
  const keptSize = layout?.k ?? indexed?.keptSize ?? 0;
  const sw = new Float64Array(keptSize);
  const sum = new Float64Array(keptSize);
  if (layout) sumsLayout(x, w, layout, sw, sum);
  else if (indexed) sumsMapped(x, w, indexed.map, sw, sum);
  const eps = w ? call.weightEpsilon : 0;
  const mean = new Float64Array(keptSize);
  for (let o = 0; o < keptSize; o++) mean[o] = sum[o] / (sw[o] + eps);
  const sq = new Float64Array(keptSize);
  if (layout) squaresLayout(x, w, layout, mean, sq);
  else if (indexed) squaresMapped(x, w, indexed.map, mean, sq);
  const [outMean, outVar] = outputs;
  for (let o = 0; o < keptSize; o++) {
    outMean[o] = mean[o];
    outVar[o] = sq[o] / (sw[o] + eps);
  }
  if (call.batchNorm !== undefined) {
    const running = outputs.length === 5 ? { mean: inputs[2], variance: inputs[3], meanOut: outputs[3], varianceOut: outputs[4] } : undefined;
    writeBatchNormChannels(keptSize, call.batchNorm.epsilon, call.batchNorm.momentum, { mean: outMean, variance: outVar, scale: inputs[1], a: outputs[2], running });
  }
};
