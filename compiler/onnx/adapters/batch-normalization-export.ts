// BatchNormalization export. Always writes epsilon and momentum (DESIGN.md §6). Training needs
// BatchNormalization-14 (training_mode=1 with the running outputs; all three outputs are named, since
// onnxruntime mis-handles empty-named ones). Type mixes: scale/B may differ from X only from opset 15
// (T1), mean/var from 14 (U); older targets get Cast nodes to X's type.

import type { DType } from '../../../core/dtype.js';
import { ONNX_DTYPE_CODE } from '../../../core/dtype.js';
import { OnnxExportError } from '../../../core/errors.js';
import { attr, writeCast } from './helpers.js';
import type { ExportContext } from './types.js';

const TRAINING_SINCE = 14;
const OWN_STAT_TYPE_SINCE = 14;
const OWN_PARAM_TYPE_SINCE = 15;

export function exportBatchNormalization(ctx: ExportContext<'BatchNormalization'>): void {
  const { node } = ctx;
  const name = node.name;
  const { epsilon, momentum, training_mode: trainingMode } = node.attrs;
  if (trainingMode === 1 && ctx.opset < TRAINING_SINCE) {
    throw new OnnxExportError(`BatchNormalization '${name}': training_mode=1 needs opset >= ${TRAINING_SINCE} (training_mode attribute); the target opset is ${ctx.opset}`);
  }
  const xType: DType = ctx.inputType(0)!.dtype;
  const inputs = [ctx.input(0)];
  for (let i = 1; i < 5; i++) {
    const t = ctx.inputType(i)!.dtype;
    const since = i <= 2 ? OWN_PARAM_TYPE_SINCE : OWN_STAT_TYPE_SINCE;
    if (t === xType || ctx.opset >= since) {
      inputs.push(ctx.input(i));
      continue;
    }
    if (trainingMode === 1 && i >= 3) {
      // Casting the running statistics would change the running outputs' type (they are U = mean's type).
      throw new OnnxExportError(`BatchNormalization '${name}': ${t} mean/var with ${xType} X in training needs opset >= ${OWN_STAT_TYPE_SINCE}`);
    }
    const cast = ctx.fresh(`${ctx.input(i)}_as_${xType}`);
    writeCast(ctx, ctx.input(i), ONNX_DTYPE_CODE[xType], cast);
    inputs.push(cast);
  }
  // PyTorch convention: its momentum weights the batch value (see BatchNormConvention).
  const written = ctx.batchNormConvention === 'pytorch' ? 1 - momentum : momentum;
  const attributes = [attr.float('epsilon', epsilon), attr.float('momentum', written)];
  if (ctx.opset >= TRAINING_SINCE) attributes.push(attr.int('training_mode', trainingMode));
  const outputs = [ctx.output(0)];
  if (trainingMode === 1) {
    // Name all three outputs: missing running outputs get fresh (unused) names.
    outputs.push(node.outputs.length > 1 ? ctx.output(1) : ctx.fresh(`${name}_running_mean`));
    outputs.push(node.outputs.length > 2 ? ctx.output(2) : ctx.fresh(`${name}_running_var`));
  }
  ctx.addNode('BatchNormalization', inputs, outputs, attributes, { name });
}
