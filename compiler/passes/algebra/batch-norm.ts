// Inference BatchNormalization as float64 algebra: y = (x − mean)·a + β with a = scale/√(var + ε)
// per channel (ONNX BatchNormalization, training_mode = 0). Also the reading of a node's constant
// parameters and the rounding helpers the folds share. No graph surgery here.

import type { DType } from '../../../core/dtype.js';
import { fromFloat64, HostTensor, toFloat64 } from '../../../core/tensor.js';
import type { AnyNode, Value } from '../../ir/types.js';

/** The constant parameters of one inference BatchNormalization, widened to float64. */
export interface BatchNormConstants {
  readonly channels: number;
  readonly epsilon: number;
  /** γ (ONNX `scale`). */
  readonly scale: Float64Array;
  /** β (ONNX `B`). */
  readonly bias: Float64Array;
  readonly mean: Float64Array;
  readonly variance: Float64Array;
}

/** The node's constants, or the reason it cannot be treated as a constant per-channel affine map. */
export type BatchNormMatch = { readonly ok: true; readonly params: BatchNormConstants } | { readonly ok: false; readonly reason: string };

/**
 * Guards shared by every BatchNormalization rewrite: inference mode (training_mode = 0 normalizes with
 * the given statistics; training mode uses the batch's and updates running outputs), constant scale,
 * B, mean and var, and finite per-channel coefficients.
 */
export function readBatchNorm(n: AnyNode, constant: (v: Value | undefined) => HostTensor | undefined): BatchNormMatch {
  if (n.op !== 'BatchNormalization') return { ok: false, reason: `${n.op} is not a BatchNormalization` };
  if (n.attrs.training_mode !== 0) return { ok: false, reason: 'training_mode=1 (batch statistics, not constants)' };
  const names = ['scale', 'B', 'input_mean', 'input_var'];
  const data: Float64Array[] = [];
  for (let i = 1; i <= 4; i++) {
    const t = constant(n.inputs[i]);
    if (t === undefined) return { ok: false, reason: `input '${names[i - 1]}' is not a constant` };
    data.push(toFloat64(t).data);
  }
  const [scale, bias, mean, variance] = data;
  const params: BatchNormConstants = { channels: scale.length, epsilon: n.attrs.epsilon, scale, bias, mean, variance };
  // var + ε = 0 (or a non-finite parameter) makes a = ±∞/NaN: folded, the NaN/∞ pattern would change.
  const bad = batchNormFactor(params).findIndex((v, c) => !Number.isFinite(v) || !Number.isFinite(bias[c]) || !Number.isFinite(mean[c]));
  if (bad >= 0) return { ok: false, reason: `channel ${bad} has a non-finite factor scale/√(var+ε) or a non-finite B or mean` };
  return { ok: true, params };
}

/** a_c = scale_c / √(var_c + ε): the per-channel factor of the normalized input. */
export function batchNormFactor(p: BatchNormConstants): Float64Array {
  return p.scale.map((s, c) => s / Math.sqrt(p.variance[c] + p.epsilon));
}

/**
 * How many times larger the offset a forward fold moves into the consumer's bias (|mean·a|) is than
 * the normalized signal it leaves (√var·|a| + |β|), worst channel. The folded bias is rounded to the
 * weight dtype, so its rounding error relative to the output grows with this ratio.
 */
export function offsetRatio(p: BatchNormConstants, a: Float64Array): number {
  let worst = 0;
  for (let c = 0; c < p.channels; c++) {
    const offset = Math.abs(p.mean[c] * a[c]);
    if (offset === 0) continue;
    const signal = Math.sqrt(Math.max(p.variance[c], 0)) * Math.abs(a[c]) + Math.abs(p.bias[c]);
    worst = Math.max(worst, signal === 0 ? Infinity : offset / signal);
  }
  return worst;
}

/** Unit roundoff (half an ulp of 1) of a float dtype; 1 for the others (nothing folds into them). */
export function unitRoundoff(dtype: DType): number {
  switch (dtype) {
    case 'float64': return 2 ** -53;
    case 'float32': return 2 ** -24;
    case 'float16': return 2 ** -11;
    case 'bfloat16': return 2 ** -8;
    default: return 1;
  }
}

/** Round float64 values to a dtype (nearest) and widen them back: what a stored weight will hold. */
export function roundTo(dtype: DType, values: Float64Array): Float64Array {
  return toFloat64(fromFloat64(dtype, [values.length], values)).data;
}

/** True when every value survives rounding to `dtype` unchanged. */
export function representable(dtype: DType, values: Float64Array): boolean {
  const r = roundTo(dtype, values);
  return values.every((v, i) => v === r[i]);
}
