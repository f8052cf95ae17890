// Folding an inference BatchNormalization into the linear op that consumes its output, in float64:
// the consumer sees x_c·a_c + (β_c − mean_c·a_c) on input channel c, so
//   W'[m, c, k] = W[m, c, k]·a_c   and   B'_m = B_m + Σ_{c,k} W[m, c, k]·(β_c − mean_c·a_c).
// The bias is written as B_m + Σ (W·β_c − W'·mean_c) with W' the weight as it will be stored (rounded):
// then W'·x + B' = W'·(x − mean) + W·β + B exactly, so W's rounding never multiplies the raw offset.
// Exact only where every tap reads a real input element (zero padding is not normalized): the pass
// guards that.

import type { F64Tensor } from '../../../core/tensor.js';
import { f64 } from '../../../ops/f64.js';
import type { BatchNormConstants } from './batch-norm.js';
import { mapGemmBias } from './gemm-bias.js';

/** Conv W [M, C/group, k…]: output channel m reads input channel ⌊m / (M/group)⌋·(C/group) + cl. */
function convInputChannel(m: number, cl: number, mg: number, cg: number): number {
  return Math.floor(m / mg) * cg + cl;
}

/** W'[m, cl, k] = W[m, cl, k]·a_c for the input channel c that (m, cl) reads. */
export function scaleConvInputs(w: F64Tensor, group: number, a: Float64Array): F64Tensor {
  const [m, cg] = w.dims;
  const mg = m / group;
  const taps = w.data.length / (m * cg);
  const out = f64(w.dims);
  for (let o = 0; o < m; o++) {
    for (let cl = 0; cl < cg; cl++) {
      const factor = a[convInputChannel(o, cl, mg, cg)];
      const base = (o * cg + cl) * taps;
      for (let t = 0; t < taps; t++) out.data[base + t] = w.data[base + t] * factor;
    }
  }
  return out;
}

/** B'_m = B_m + Σ_{cl,k} (W[m,cl,k]·β_c − W'[m,cl,k]·mean_c), W' the stored (rounded) scaled weight. */
export function consumerConvBias(w: F64Tensor, scaled: F64Tensor, bias: F64Tensor | undefined, group: number, p: BatchNormConstants): F64Tensor {
  const [m, cg] = w.dims;
  const mg = m / group;
  const taps = w.data.length / (m * cg);
  const out = f64([m]);
  for (let o = 0; o < m; o++) {
    let acc = bias === undefined ? 0 : bias.data[o];
    for (let cl = 0; cl < cg; cl++) {
      const c = convInputChannel(o, cl, mg, cg);
      const base = (o * cg + cl) * taps;
      for (let t = 0; t < taps; t++) acc += w.data[base + t] * p.bias[c] - scaled.data[base + t] * p.mean[c];
    }
    out.data[o] = acc;
  }
  return out;
}

/** Gemm with A = BN output [M, K] (transA = 0): row k of B' (column k when transB = 1) scales by a_k. */
export function scaleGemmInputs(b: F64Tensor, transB: number, a: Float64Array): F64Tensor {
  const cols = b.dims[1];
  return f64(b.dims, b.data.map((v, i) => v * a[transB ? i % cols : Math.floor(i / cols)]));
}

/**
 * The new C, taken with beta = 1: beta·C + alpha·Σ_k (β_k·B'[k,n] − mean_k·B'r[k,n]) with B'r the
 * stored scaled matrix; shaped [N], or [M', N] when C has a leading dim M'.
 */
export function consumerGemmBias(b: F64Tensor, scaled: F64Tensor, c: F64Tensor | undefined, attrs: { readonly alpha: number; readonly beta: number; readonly transB: number }, p: BatchNormConstants): F64Tensor {
  const cols = b.dims[1];
  const k = p.channels;
  const n = attrs.transB ? b.dims[0] : cols;
  const at = (t: F64Tensor, kk: number, j: number): number => t.data[attrs.transB ? j * cols + kk : kk * cols + j];
  const shift = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let acc = 0;
    for (let kk = 0; kk < k; kk++) acc += at(b, kk, j) * p.bias[kk] - at(scaled, kk, j) * p.mean[kk];
    shift[j] = attrs.alpha * acc;
  }
  return mapGemmBias(c, attrs.beta, n, (cv, j) => cv + shift[j]);
}
