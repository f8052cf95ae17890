// Squeeze/Unsqueeze adapters: `axes` is an attribute until opset 13 makes it an input (optional for
// Squeeze, required for Unsqueeze). kiln's IR keeps the attribute form.

import { OnnxImportError } from '../../../core/errors.js';
import { constantInts, writeSqueeze, writeUnsqueeze } from './helpers.js';
import type { ImportContext, OpAdapter } from './types.js';

const AXES_INPUT_SINCE = 13;

function importAxes(ctx: ImportContext, op: string): number[] | undefined {
  if (ctx.opset >= AXES_INPUT_SINCE) {
    if (ctx.attrs.has('axes')) {
      throw new OnnxImportError(`${op} node '${ctx.name}': attribute 'axes' does not exist at opset ${ctx.opset} (axes is an input since opset 13)`);
    }
    return constantInts(ctx, 1, 'axes');
  }
  if (ctx.inputs.length > 1) throw new OnnxImportError(`${op} node '${ctx.name}': takes 1 input at opset ${ctx.opset}, got ${ctx.inputs.length}`);
  return undefined;
}

export const squeezeAdapter: OpAdapter<'Squeeze'> = {
  since: 1,
  importNode(ctx) {
    const axes = importAxes(ctx, 'Squeeze');
    const attrs = ctx.mapAttrs('Squeeze');
    return ctx.emit('Squeeze', [ctx.inputs[0]], axes === undefined ? attrs : { ...attrs, axes }, ctx.outputNames);
  },
  exportNode(ctx) {
    writeSqueeze(ctx, ctx.input(0), ctx.node.attrs.axes, ctx.inputType(0)!.shape.length, ctx.output(0), ctx.node.name);
  },
};

export const unsqueezeAdapter: OpAdapter<'Unsqueeze'> = {
  since: 1,
  importNode(ctx) {
    const axes = importAxes(ctx, 'Unsqueeze');
    if (ctx.opset >= AXES_INPUT_SINCE && axes === undefined) {
      throw new OnnxImportError(`Unsqueeze node '${ctx.name}': input 'axes' is required at opset ${ctx.opset}`);
    }
    const attrs = ctx.mapAttrs('Unsqueeze');
    return ctx.emit('Unsqueeze', [ctx.inputs[0]], axes === undefined ? attrs : { ...attrs, axes }, ctx.outputNames);
  },
  exportNode(ctx) {
    const outRank = ctx.node.outputs[0].type.shape.length;
    writeUnsqueeze(ctx, ctx.input(0), ctx.node.attrs.axes, outRank, ctx.output(0), ctx.node.name);
  },
};
