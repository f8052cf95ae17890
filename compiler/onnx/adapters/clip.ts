// Clip adapter: min/max are float attributes in Clip-1/6 and optional scalar inputs from Clip-11 (of
// the input's type; integer types from Clip-12). kiln's IR keeps them as attributes, ±Infinity = no bound.

import { isFloatDType } from '../../../core/dtype.js';
import { OnnxExportError } from '../../../core/errors.js';
import { attr, constantScalar, expectDataInputOnly, rejectMovedAttrs, scalarInitializer } from './helpers.js';
import type { OpAdapter } from './types.js';

const INPUTS_SINCE = 11;

export const clipAdapter: OpAdapter<'Clip'> = {
  since: 1,
  importNode(ctx) {
    if (ctx.opset < INPUTS_SINCE) {
      expectDataInputOnly(ctx);
      return ctx.emit('Clip', [ctx.inputs[0]], ctx.mapAttrs('Clip'), ctx.outputNames);
    }
    rejectMovedAttrs(ctx, ['min', 'max'], INPUTS_SINCE);
    const min = constantScalar(ctx, 1, 'min');
    const max = constantScalar(ctx, 2, 'max');
    const attrs = { ...ctx.mapAttrs('Clip'), ...(min === undefined ? {} : { min }), ...(max === undefined ? {} : { max }) };
    return ctx.emit('Clip', [ctx.inputs[0]], attrs, ctx.outputNames);
  },
  exportNode(ctx) {
    const { min, max } = ctx.node.attrs;
    const dtype = ctx.inputType(0)!.dtype;
    const name = ctx.node.name;
    if (ctx.opset < INPUTS_SINCE) {
      if (!isFloatDType(dtype)) throw new OnnxExportError(`Clip '${name}': ${dtype} input needs opset >= 12; the target opset is ${ctx.opset}`);
      const attributes = [];
      if (min !== -Infinity) attributes.push(attr.float('min', min));
      if (max !== Infinity) attributes.push(attr.float('max', max));
      ctx.addNode('Clip', [ctx.input(0)], [ctx.output(0)], attributes, { name });
      return;
    }
    if (!isFloatDType(dtype) && ctx.opset < 12) throw new OnnxExportError(`Clip '${name}': ${dtype} input needs opset >= 12; the target opset is ${ctx.opset}`);
    const inputs = [ctx.input(0)];
    inputs.push(min === -Infinity ? '' : scalarInitializer(ctx, `${name}_min`, dtype, min));
    inputs.push(max === Infinity ? '' : scalarInitializer(ctx, `${name}_max`, dtype, max));
    while (inputs[inputs.length - 1] === '') inputs.pop();
    ctx.addNode('Clip', inputs, [ctx.output(0)], [], { name });
  },
};
