// Dropout adapter. Dropout-1/6 have is_test (0 = training) and ratio; 7 drops is_test (inference only);
// 7-9 give the mask the data's type, 10 makes it bool; 12 moves ratio and training_mode to optional
// inputs and adds seed. kiln's IR keeps ratio/training_mode as attributes and a bool mask.

import { ONNX_DTYPE_CODE } from '../../../core/dtype.js';
import { OnnxExportError, OnnxImportError } from '../../../core/errors.js';
import { fromFloat64 } from '../../../core/tensor.js';
import { attr, constantScalar, expectDataInputOnly, rejectMovedAttrs, writeCast } from './helpers.js';
import type { DropoutAttrs } from '../../../ops/dropout.js';
import type { OpAdapter } from './types.js';

const INPUTS_SINCE = 12;
const BOOL_MASK_SINCE = 10;

export const dropoutAdapter: OpAdapter<'Dropout'> = {
  since: 1,
  importNode(ctx) {
    let attrs: Partial<DropoutAttrs>;
    if (ctx.opset < INPUTS_SINCE) {
      expectDataInputOnly(ctx);
      // Dropout-1/6: is_test=0 (the default) is training mode (random dropout).
      const isTest = ctx.opset < 7 ? ctx.attrs.take('is_test', 'int') ?? 0 : 1;
      if (ctx.attrs.has('seed')) throw new OnnxImportError(`Dropout node '${ctx.name}': attribute 'seed' does not exist before opset 12`);
      attrs = { ...ctx.mapAttrs('Dropout'), training_mode: isTest === 0 ? 1 : 0 };
    } else {
      const ratio = constantScalar(ctx, 1, 'ratio');
      const training = constantScalar(ctx, 2, 'training_mode');
      rejectMovedAttrs(ctx, ['ratio'], INPUTS_SINCE);
      attrs = { ...ctx.mapAttrs('Dropout'), ...(ratio === undefined ? {} : { ratio }), ...(training === undefined ? {} : { training_mode: training !== 0 ? 1 : 0 }) };
    }
    const [outName, maskName = ''] = ctx.outputNames;
    if (maskName === '' || ctx.opset >= BOOL_MASK_SINCE) return ctx.emit('Dropout', [ctx.inputs[0]], attrs, ctx.outputNames);
    // Before opset 10 the mask has the data's type.
    const [y, mask] = ctx.emit('Dropout', [ctx.inputs[0]], attrs, [outName, ctx.freshName('mask_bool')]);
    const [typed] = ctx.emit('Cast', [mask], { to: ctx.inputs[0]!.type.dtype }, [maskName]);
    return [y, typed];
  },
  exportNode(ctx) {
    const a = ctx.node.attrs;
    const name = ctx.node.name;
    const outputs = ctx.node.outputs.map((_, i) => ctx.output(i));
    if (ctx.opset >= INPUTS_SINCE) {
      const inputs = [ctx.input(0)];
      inputs.push(a.ratio !== 0.5 || a.training_mode === 1 ? ctx.addInitializer(`${name}_ratio`, fromFloat64('float32', [], [a.ratio])) : '');
      inputs.push(a.training_mode === 1 ? ctx.addInitializer(`${name}_training_mode`, fromFloat64('bool', [], [1])) : '');
      while (inputs[inputs.length - 1] === '') inputs.pop();
      ctx.addNode('Dropout', inputs, outputs, a.seed === undefined ? [] : [attr.int('seed', a.seed)], { name });
      return;
    }
    if (a.training_mode === 1) throw new OnnxExportError(`Dropout '${name}': training_mode=1 needs opset >= 12; the target opset is ${ctx.opset}`);
    const attributes = [attr.float('ratio', a.ratio)];
    if (ctx.opset < 7) attributes.push(attr.int('is_test', 1));
    if (outputs.length < 2 || ctx.opset >= BOOL_MASK_SINCE) {
      ctx.addNode('Dropout', [ctx.input(0)], outputs, attributes, { name });
      return;
    }
    const typedMask = ctx.fresh(`${outputs[1]}_typed`);
    ctx.addNode('Dropout', [ctx.input(0)], [outputs[0], typedMask], attributes, { name });
    writeCast(ctx, typedMask, ONNX_DTYPE_CODE.bool, outputs[1]);
  },
};
