// ONNX BatchNormalization (opset 15 semantics; https://onnx.ai/onnx/operators/onnx__BatchNormalization.html).
// Channel axis is 1. Inference: y = (x − mean)·scale/√(var+ε) + B. training_mode=1: normalize with the
// batch mean and population variance and also return running = input·momentum + batch·(1−momentum).

import { ArgumentError } from '../core/errors.js';
import type { TensorType } from '../compiler/ir/types.js';
import { checkFinite, expectDType, expectRank, expectShape, FLOAT_TYPES, requireInput } from './check.js';
import { f64, forEachReduced } from './f64.js';
import { E } from './kernel-ir.js';
import type { ConcreteType, LValue, LowerContext, OpDef } from './op-def.js';

export interface BatchNormalizationAttrs {
  readonly epsilon: number;
  readonly momentum: number;
  /** 0 = inference (1 output), 1 = training (y, running_mean, running_var). */
  readonly training_mode: number;
}

/** Axes reduced for the statistics: all but the channel axis 1. */
export function statAxes(rank: number): number[] {
  return [...Array(rank).keys()].filter((a) => a !== 1);
}

/** [C] viewed as [C, 1, …, 1] so that it broadcasts along axis 1 of a rank-`rank` tensor. */
function channelDims(c: number, rank: number): number[] {
  return [c, ...Array<number>(rank - 2).fill(1)];
}

export const BatchNormalization: OpDef<'BatchNormalization'> = {
  type: 'BatchNormalization',
  domain: '',
  version: 15,
  inputs: [{ name: 'X' }, { name: 'scale' }, { name: 'B' }, { name: 'input_mean' }, { name: 'input_var' }],
  outputs: [{ name: 'Y' }, { name: 'running_mean', optional: true }, { name: 'running_var', optional: true }],
  // ONNX float attributes are float32: the schema defaults are 1e-5f and 0.9f, which is what
  // onnxruntime computes with (visible in float64 running statistics).
  attrs: {
    epsilon: { kind: 'float', default: Math.fround(1e-5) },
    momentum: { kind: 'float', default: Math.fround(0.9) },
    training_mode: { kind: 'int', default: 0 },
  },

  inferShape(ctx) {
    const { site, attrs } = ctx;
    const x = requireInput(ctx, 0, 'X');
    expectDType(site, 'X', x, FLOAT_TYPES);
    expectRank(site, 'X', x, 2);
    checkFinite(site, 'epsilon', attrs.epsilon, 0);
    checkFinite(site, 'momentum', attrs.momentum, 0, 1);
    if (attrs.training_mode !== 0 && attrs.training_mode !== 1) {
      throw new ArgumentError(site, 'training_mode', '0 or 1', String(attrs.training_mode));
    }
    const c = x.shape[1];
    const names = ['scale', 'B', 'input_mean', 'input_var'];
    const params = names.map((n, i) => requireInput(ctx, i + 1, n));
    params.forEach((p, i) => {
      expectDType(site, names[i], p, FLOAT_TYPES);
      expectShape(site, names[i], p, [c]);
    });
    // opset 15: scale and B share T1; mean and var share T2.
    if (params[0].dtype !== params[1].dtype) {
      throw new ArgumentError(site, 'B', `dtype ${params[0].dtype} (same as 'scale', T1)`, params[1].dtype);
    }
    if (params[2].dtype !== params[3].dtype) {
      throw new ArgumentError(site, 'input_var', `dtype ${params[2].dtype} (same as 'input_mean', T2)`, params[3].dtype);
    }
    const maxOut = attrs.training_mode === 1 ? 3 : 1;
    if (ctx.outputCount < 1 || ctx.outputCount > maxOut) {
      throw new ArgumentError(site, 'outputs', `1..${maxOut} outputs for training_mode=${attrs.training_mode}`, String(ctx.outputCount));
    }
    const stat: TensorType = { dtype: params[2].dtype, shape: [c] };
    return [{ dtype: x.dtype, shape: x.shape }, stat, stat].slice(0, ctx.outputCount);
  },

  reference({ inputs, attrs, outputTypes }) {
    const [x, scale, bias, inMean, inVar] = inputs as NonNullable<(typeof inputs)[number]>[];
    const dims = x.dims;
    const c = dims[1];
    let mean = inMean.data;
    let variance = inVar.data;
    if (attrs.training_mode === 1) {
      const sum = new Float64Array(c);
      const count = x.data.length / c;
      forEachReduced(dims, statAxes(dims.length), (o, i) => (sum[o] += x.data[i]));
      mean = sum.map((s) => s / count);
      const sq = new Float64Array(c);
      forEachReduced(dims, statAxes(dims.length), (o, i) => (sq[o] += (x.data[i] - mean[o]) ** 2));
      variance = sq.map((s) => s / count);
    }
    const y = f64(dims);
    const inner = x.data.length / (dims[0] * c);
    for (let i = 0; i < x.data.length; i++) {
      const ch = Math.floor(i / inner) % c;
      y.data[i] = ((x.data[i] - mean[ch]) / Math.sqrt(variance[ch] + attrs.epsilon)) * scale.data[ch] + bias.data[ch];
    }
    const m = attrs.momentum;
    const running = [
      f64([c], inMean.data.map((v, k) => v * m + mean[k] * (1 - m))),
      f64([c], inVar.data.map((v, k) => v * m + variance[k] * (1 - m))),
    ];
    return [y, ...running].slice(0, outputTypes.length);
  },

  lower(ctx) {
    return lowerBatchNorm(ctx);
  },
};

function lowerBatchNorm(ctx: LowerContext<BatchNormalizationAttrs>): LValue[] {
  const { attrs, outputTypes } = ctx;
  const [x, scale, bias, inMean, inVar] = ctx.inputs as LValue[];
  const rank = x.dims.length;
  const c = x.dims[1];
  const cdims = channelDims(c, rank);
  const training = attrs.training_mode === 1;
  const perChannel = (v: LValue): LValue => ctx.view(v, [c]);
  let mean: LValue;
  let a: LValue;
  let running: LValue[] = [];
  if (training) {
    // One statistics routine: mean and variance in float64 whatever X is (half inputs get at least
    // float32 statistics, DESIGN.md §6), then per channel a = scale/√(var + ε) and, when the node
    // returns them, the new running statistics, all in float64 (the routine's `batchNorm` option).
    const keptDims = x.dims.map((d, i) => (i === 1 ? d : 1));
    const withRunning = outputTypes.length > 1;
    const outs = ctx.routine(
      { routine: 'moments', inDims: x.dims, axes: statAxes(rank), weighted: false, weightEpsilon: 0, batchNorm: { epsilon: attrs.epsilon, momentum: attrs.momentum } },
      withRunning ? [x, perChannel(scale), perChannel(inMean), perChannel(inVar)] : [x, perChannel(scale)],
      [
        { dtype: 'float64', dims: keptDims },
        { dtype: 'float64', dims: keptDims },
        { dtype: 'float64', dims: [c] },
        ...(withRunning ? [{ dtype: outputTypes[1].dtype, dims: [c] }, { dtype: outputTypes[2]?.dtype ?? outputTypes[1].dtype, dims: [c] }] : []),
      ],
    );
    mean = ctx.view(outs[0], cdims);
    a = ctx.view(outs[2], cdims);
    running = outs.slice(3, 2 + outputTypes.length);
  } else {
    mean = ctx.view(inMean, cdims);
    // a = scale / sqrt(var + eps), per channel; kept in float64 so y loses nothing to it.
    a = ctx.elementwise(
      [ctx.view(scale, cdims), ctx.view(inVar, cdims)],
      E.div(E.operand(0), E.unary('sqrt', E.add(E.operand(1), E.const(attrs.epsilon)))),
      cdims,
      'float64',
    );
  }
  // y = (x − mean)·a + B: subtracting first keeps accuracy on large offsets (DESIGN.md §7).
  const y = ctx.elementwise(
    [x, mean, a, ctx.view(bias, cdims)],
    E.add(E.mul(E.sub(E.operand(0), E.operand(1)), E.operand(2)), E.operand(3)),
    x.dims,
    outputTypes[0].dtype,
  );
  return [y, ...running];
}
