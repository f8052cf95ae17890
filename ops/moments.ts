// ai.kiln::Moments — mean and population variance over `axes`, optionally weighted (Keras
// BatchNormalization's masked moments, keras/src/layers/normalization/batch_normalization.py).
// Weighted: mean = Σw·x/(Σw+ε), var = Σw·(x−mean)²/(Σw+ε), ε = weight_epsilon (Keras uses 1e-7).
// Half inputs give float32 statistics (DESIGN.md §6). Computed two-pass, never E[x²]−E[x]².
// `correction` c divides the unweighted variance by N − c instead of N (c = 1: PyTorch's unbiased
// running variance, used by the ONNX importer's PyTorch convention).

import { isHalfDType } from '../core/dtype.js';
import { broadcastShapes } from '../core/shape.js';
import { checkAxes, checkFinite, expectDType, expectFloat, FLOAT_TYPES, requireInput } from './check.js';
import { broadcastIndex, f64, forEachReduced } from './f64.js';
import { E } from './kernel-ir.js';
import type { LValue, OpDef } from './op-def.js';
import { ArgumentError, ShapeError, describeShape } from '../core/errors.js';

export interface MomentsAttrs {
  readonly axes: readonly number[];
  /** 1 keeps reduced axes as size 1. */
  readonly keepdims: number;
  readonly weight_epsilon: number;
  /** Bessel-style correction: variance = Σ(x−mean)² / (N − correction); unweighted only. */
  readonly correction: number;
}

export const Moments: OpDef<'Moments'> = {
  type: 'Moments',
  domain: 'ai.kiln',
  version: 1,
  inputs: [{ name: 'X' }, { name: 'W', optional: true }],
  outputs: [{ name: 'mean' }, { name: 'variance' }],
  attrs: {
    axes: { kind: 'ints', required: true },
    keepdims: { kind: 'int', default: 1 },
    weight_epsilon: { kind: 'float', default: 0 },
    correction: { kind: 'float', default: 0 },
  },

  inferShape(ctx) {
    const { site, attrs } = ctx;
    const x = requireInput(ctx, 0, 'X');
    expectDType(site, 'X', x, FLOAT_TYPES);
    const axes = checkAxes(site, 'axes', attrs.axes, x.shape.length);
    checkFinite(site, 'weight_epsilon', attrs.weight_epsilon, 0);
    checkFinite(site, 'correction', attrs.correction, 0);
    const w = ctx.inputs[1];
    if (w !== undefined && attrs.correction !== 0) {
      throw new ArgumentError(site, 'correction', '0 when weights W are given', String(attrs.correction));
    }
    if (w !== undefined) {
      expectFloat(site, 'W', w);
      const b = broadcastShapes(site, ['X', 'W'], [x.shape, w.shape]);
      if (b.length !== x.shape.length || b.some((d, i) => typeof d === 'number' && typeof x.shape[i] === 'number' && d !== x.shape[i])) {
        throw new ShapeError(site, 'W', `broadcastable to X ${describeShape(x.shape)}`, describeShape(w.shape));
      }
    }
    const shape = attrs.keepdims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
    const dtype = isHalfDType(x.dtype) ? 'float32' : x.dtype;
    return [{ dtype, shape }, { dtype, shape }];
  },

  reference({ inputs, attrs, outputTypes }) {
    const x = inputs[0]!;
    const axes = attrs.axes.map((a) => (a < 0 ? a + x.dims.length : a));
    const wt = inputs[1];
    const wIdx = wt ? broadcastIndex(x.dims, wt.dims) : undefined;
    const weight = (i: number): number => (wt && wIdx ? wt.data[wIdx[i]] : 1);
    const keptSize = outputTypes[0].dims.reduce((a, b) => a * b, 1);
    const sw = new Float64Array(keptSize);
    const swx = new Float64Array(keptSize);
    forEachReduced(x.dims, axes, (o, i) => {
      sw[o] += weight(i);
      swx[o] += weight(i) * x.data[i];
    });
    const eps = wt ? attrs.weight_epsilon : 0;
    const mean = swx.map((s, o) => s / (sw[o] + eps));
    const sq = new Float64Array(keptSize);
    forEachReduced(x.dims, axes, (o, i) => (sq[o] += weight(i) * (x.data[i] - mean[o]) ** 2));
    const variance = sq.map((s, o) => s / (sw[o] + eps - attrs.correction));
    return [f64(outputTypes[0].dims, mean), f64(outputTypes[1].dims, variance)];
  },

  lower(ctx) {
    const { attrs, outputTypes } = ctx;
    const x = ctx.inputs[0]!;
    const axes = attrs.axes.map((a) => (a < 0 ? a + x.dims.length : a)).sort((a, b) => a - b);
    const keptDims = x.dims.map((d, i) => (axes.includes(i) ? 1 : d));
    const operands: LValue[] = [x];
    const w = ctx.inputs[1];
    if (w !== undefined) {
      // The routine reads weights densely: materialize a broadcast weight tensor when needed.
      const same = w.dims.length === x.dims.length && w.dims.every((d, i) => d === x.dims[i]);
      operands.push(same ? w : ctx.elementwise([w], E.operand(0), x.dims, 'float32'));
    }
    const [mean, variance] = ctx.routine(
      { routine: 'moments', inDims: x.dims, axes, weighted: w !== undefined, weightEpsilon: attrs.weight_epsilon },
      operands,
      [{ dtype: outputTypes[0].dtype, dims: keptDims }, { dtype: outputTypes[1].dtype, dims: keptDims }],
    );
    let v = variance;
    if (attrs.correction !== 0) {
      // N/(N − c) rescales the population variance; N is known once dims are bound.
      const n = axes.reduce((p, a) => p * x.dims[a], 1);
      v = ctx.elementwise([variance], E.mul(E.operand(0), E.const(n / (n - attrs.correction))), keptDims, outputTypes[1].dtype);
    }
    return [ctx.view(mean, outputTypes[0].dims), ctx.view(v, outputTypes[1].dims)];
  },
};
