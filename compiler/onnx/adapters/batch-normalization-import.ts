// BatchNormalization import across its ONNX versions (onnx/docs/Changelog.md):
// - 1/6: is_test (0, the default, is training mode), spatial, consumed_inputs (ignored).
// - 7: spatial only; training mode is signalled by the optional outputs (Y, mean, var, saved_mean, saved_var).
//   spatial=0 means per-activation statistics: scale/B/mean/var have shape [C, D1..Dn].
// - 9: spatial removed; 14: training_mode attribute, outputs Y or (Y, running_mean, running_var);
//   mean/var may have their own float type (U); 15: scale/B too (T1) and mean/var (T2).
// Pre-14 training maps to training_mode=1 with running outputs; saved_mean/saved_var are the batch mean
// and population variance (the spec calls them "saved mean/variance"; onnx/reference's
// _batchnorm_training_mode returns x.mean and x.var), computed with ai.kiln Moments.

import { isHalfDType } from '../../../core/dtype.js';
import { OnnxImportError, UnsupportedOpError } from '../../../core/errors.js';
import { fromFloat64 } from '../../../core/tensor.js';
import { statAxes } from '../../../ops/batch-normalization.js';
import type { Value } from '../../ir/types.js';
import type { ImportContext } from './types.js';

const IS_TEST_UNTIL = 7;
const SPATIAL_UNTIL = 9;
const TRAINING_ATTR_SINCE = 14;

/** Inference with per-activation parameters [C, D1..Dn]: y = (x − mean)/√(var + ε)·scale + B, elementwise. */
function perActivationInference(ctx: ImportContext, epsilon: number, outputName: string): Value | undefined {
  const [x, scale, bias, mean, variance] = ctx.inputs as Value[];
  // Numpy broadcasting aligns [C, D1..Dn] with the trailing dims of X [N, C, D1..Dn]: no reshape needed.
  const eps = ctx.constantValue('epsilon', fromFloat64(variance.type.dtype, [], [epsilon]));
  const [centered] = ctx.helper('Sub', [x, mean]);
  const [shifted] = ctx.helper('Add', [variance, eps]);
  const [std] = ctx.helper('Sqrt', [shifted]);
  const [normalized] = ctx.helper('Div', [centered, std]);
  const [scaled] = ctx.helper('Mul', [normalized, scale]);
  return ctx.emit('Add', [scaled, bias], {}, [outputName])[0];
}

/** saved_mean / saved_var of the pre-14 training outputs. */
function savedStatistics(ctx: ImportContext, names: readonly string[]): (Value | undefined)[] {
  const x = ctx.inputs[0]!;
  const axes = statAxes(x.type.shape.length);
  if (names.every((n) => n === '')) return [];
  const half = isHalfDType(x.type.dtype);
  // Moments needs both outputs named; unused ones get fresh names.
  const momentNames = names.map((n, i) => (n === '' || half ? ctx.freshName(i === 0 ? 'saved_mean' : 'saved_var') : n));
  const stats = ctx.emit('Moments', [x], { axes, keepdims: 0 }, momentNames) as Value[];
  if (!half) return names.map((n, i) => (n === '' ? undefined : stats[i]));
  // Half inputs give float32 statistics; the outputs have X's type (T).
  return names.map((n, i) => (n === '' ? undefined : ctx.emit('Cast', [stats[i]], { to: x.type.dtype }, [n])[0]));
}

/**
 * PyTorch-convention training: Y and the running mean come from BatchNormalization; the running
 * variance uses the unbiased batch variance: running_var·m + n/(n−1)·σ²·(1 − m), σ² from Moments
 * with correction 1. Pre-14 saved statistics, if asked for, follow as usual.
 */
function pytorchTraining(ctx: ImportContext, bnAttrs: { momentum?: number; epsilon?: number; training_mode: number }, outs: readonly string[]): (Value | undefined)[] {
  const x = ctx.inputs[0]!;
  const inputVar = ctx.inputs[4]!;
  const m = bnAttrs.momentum ?? Math.fround(0.9);
  const main = ctx.emit('BatchNormalization', ctx.inputs, bnAttrs, [outs[0], outs[1], ctx.freshName('population_running_var')]);
  const [, unbiased] = ctx.helper('Moments', [x], { axes: statAxes(x.type.shape.length), keepdims: 0, correction: 1 }, 2);
  const statType = inputVar.type.dtype;
  const batchVar = unbiased.type.dtype === statType ? unbiased : ctx.helper('Cast', [unbiased], { to: statType })[0];
  const [kept] = ctx.helper('Mul', [inputVar, ctx.constantValue('momentum', fromFloat64(statType, [], [m]))]);
  const [added] = ctx.helper('Mul', [batchVar, ctx.constantValue('one_minus_momentum', fromFloat64(statType, [], [1 - m]))]);
  const runningVar = ctx.emit('Add', [kept, added], {}, [outs[2]])[0];
  const saved = outs.length > 3 ? savedStatistics(ctx, [outs[3] ?? '', outs[4] ?? '']) : [];
  return [main[0], main[1], runningVar, ...saved];
}

export function importBatchNormalization(ctx: ImportContext): (Value | undefined)[] {
  const where = `BatchNormalization node '${ctx.name}'`;
  const opset = ctx.opset;
  ctx.attrs.ignore('consumed_inputs');
  const isTest = opset < IS_TEST_UNTIL ? ctx.attrs.take('is_test', 'int') ?? 0 : undefined;
  const spatial = opset < SPATIAL_UNTIL ? ctx.attrs.take('spatial', 'int') ?? 1 : 1;
  const trainingMode = opset >= TRAINING_ATTR_SINCE ? ctx.attrs.take('training_mode', 'int') ?? 0 : undefined;
  for (const name of ['is_test', 'spatial', 'training_mode']) {
    if (ctx.attrs.has(name)) throw new OnnxImportError(`${where}: unknown attribute '${name}' at opset ${opset}`);
  }
  const attrs = ctx.mapAttrs('BatchNormalization');
  const epsilon = attrs.epsilon ?? 1e-5;
  const outs = ctx.outputNames;
  const extra = outs.slice(1).some((n) => n !== '');
  const maxOutputs = opset >= TRAINING_ATTR_SINCE ? 3 : 5;
  if (outs.length > maxOutputs) throw new OnnxImportError(`${where}: at most ${maxOutputs} outputs at opset ${opset}, got ${outs.length}`);

  let training: boolean;
  if (trainingMode !== undefined) training = trainingMode !== 0;
  else if (isTest !== undefined) training = isTest === 0;
  else training = extra;
  if (!training && extra) {
    const how = trainingMode !== undefined ? 'training_mode=0' : 'is_test=1';
    throw new OnnxImportError(`${where}: outputs beyond Y are only defined in training mode; the node has ${how} and outputs [${outs.join(', ')}]`);
  }

  const [x, scale] = ctx.inputs;
  if (spatial === 0 && x !== undefined && scale !== undefined && x.type.shape.length > 2) {
    if (training) {
      throw new UnsupportedOpError('BatchNormalization', ctx.domain, opset, ctx.name, 'training with spatial=0 (per-activation statistics) is not supported');
    }
    // Per-channel parameters [C] mean the same thing whatever `spatial` says in inference.
    if (scale.type.shape.length !== 1) return [perActivationInference(ctx, epsilon, outs[0])];
  }

  const pytorch = ctx.batchNormConvention === 'pytorch';
  // PyTorch's momentum weights the batch value: ONNX momentum = 1 − m (absent: PyTorch's 0.1 → 0.9).
  const momentum = pytorch && attrs.momentum !== undefined ? 1 - attrs.momentum : attrs.momentum;
  const bnAttrs = { ...attrs, momentum, training_mode: training ? 1 : 0 };
  if (pytorch && training && outs.length > 2 && outs[2] !== '') return pytorchTraining(ctx, bnAttrs, outs);
  if (opset >= TRAINING_ATTR_SINCE || !training) return ctx.emit('BatchNormalization', ctx.inputs, bnAttrs, outs);
  // Pre-14 training: Y, running mean, running var from BatchNormalization; saved statistics from Moments.
  const main = ctx.emit('BatchNormalization', ctx.inputs, bnAttrs, outs.slice(0, 3));
  const saved = savedStatistics(ctx, [outs[3] ?? '', outs[4] ?? '']);
  return [...main, ...saved];
}
