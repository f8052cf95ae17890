// Folding an inference BatchNormalization into the op that produces its input, in float64:
//   BN(P(x)) = (P(x) − mean)·a + β, and P is linear per output channel o, so
//   W'[o] = W[o]·a_o   and   B'_o = (B_o − mean_o)·a_o + β_o
// (the difference B − mean is taken before scaling, which keeps the offset exact in float64; onnxruntime's
// B·a + (β − mean·a) form rounds the two large products separately: DESIGN.md §7).

import type { F64Tensor } from '../../../core/tensor.js';
import { f64 } from '../../../ops/f64.js';
import type { BatchNormConstants } from './batch-norm.js';
import { mapGemmBias } from './gemm-bias.js';

export interface FoldedWeights {
  readonly weight: F64Tensor;
  readonly bias: F64Tensor;
}

/** B'_o = (B_o − mean_o)·a_o + β_o over the output channels (B absent = 0). */
function foldedBias(bias: F64Tensor | undefined, p: BatchNormConstants, a: Float64Array): F64Tensor {
  const out = f64([p.channels]);
  for (let o = 0; o < p.channels; o++) out.data[o] = ((bias === undefined ? 0 : bias.data[o]) - p.mean[o]) * a[o] + p.bias[o];
  return out;
}

/** Conv: W [M, C/group, k…], output channel = axis 0 of W, whatever the group count. */
export function foldIntoConv(w: F64Tensor, bias: F64Tensor | undefined, p: BatchNormConstants, a: Float64Array): FoldedWeights {
  const perChannel = w.data.length / w.dims[0];
  const weight = f64(w.dims, w.data.map((v, i) => v * a[Math.floor(i / perChannel)]));
  return { weight, bias: foldedBias(bias, p, a) };
}

/**
 * ConvTranspose: W [C_in, M/group, k…]. Input channel ci belongs to group g = ⌊ci / (C_in/group)⌋ and
 * its slice W[ci, mi] feeds output channel g·(M/group) + mi: scale along axis 1, offset per group.
 */
export function foldIntoConvTranspose(w: F64Tensor, bias: F64Tensor | undefined, group: number, p: BatchNormConstants, a: Float64Array): FoldedWeights {
  const [cIn, mg] = w.dims;
  const cg = cIn / group;
  const taps = w.data.length / (cIn * mg);
  const weight = f64(w.dims);
  for (let ci = 0; ci < cIn; ci++) {
    const g = Math.floor(ci / cg);
    for (let mi = 0; mi < mg; mi++) {
      const factor = a[g * mg + mi];
      const base = (ci * mg + mi) * taps;
      for (let t = 0; t < taps; t++) weight.data[base + t] = w.data[base + t] * factor;
    }
  }
  return { weight, bias: foldedBias(bias, p, a) };
}

export interface GemmFoldAttrs {
  readonly alpha: number;
  readonly beta: number;
  readonly transB: number;
}

/**
 * Gemm Y = alpha·A'·B' + beta·C with rank-2 Y [M, N] whose channel axis 1 is N: B' column n scales by
 * a_n (row n of B when transB = 1). The new C (taken with beta = 1) is (beta·C − mean)·a + β, shaped
 * [N], or [M', N] when C has a leading dim M' (it broadcasts over the rows as C did).
 */
export function foldIntoGemm(b: F64Tensor, c: F64Tensor | undefined, attrs: GemmFoldAttrs, p: BatchNormConstants, a: Float64Array): FoldedWeights {
  const n = p.channels;
  const weight = f64(b.dims);
  const cols = b.dims[1];
  for (let i = 0; i < b.data.length; i++) {
    const channel = attrs.transB ? Math.floor(i / cols) : i % cols;
    weight.data[i] = b.data[i] * a[channel];
  }
  const bias = mapGemmBias(c, attrs.beta, n, (cv, j) => (cv - p.mean[j]) * a[j] + p.bias[j]);
  return { weight, bias };
}
