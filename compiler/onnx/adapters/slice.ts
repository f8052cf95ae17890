// Slice adapter: starts/ends/axes are attributes in Slice-1 (no steps); Slice-10 takes starts, ends,
// axes and steps as int64 inputs. kiln's IR keeps them as attributes.

import { OnnxExportError, OnnxImportError } from '../../../core/errors.js';
import { attr, axesForTarget, constantInts, expectDataInputOnly, int64Initializer, rejectMovedAttrs } from './helpers.js';
import type { OpAdapter } from './types.js';

const INPUTS_SINCE = 10;

export const sliceAdapter: OpAdapter<'Slice'> = {
  since: 1,
  importNode(ctx) {
    const where = `Slice node '${ctx.name}'`;
    if (ctx.opset < INPUTS_SINCE) {
      expectDataInputOnly(ctx);
      if (ctx.attrs.has('steps')) throw new OnnxImportError(`${where}: attribute 'steps' does not exist at opset ${ctx.opset}`);
      return ctx.emit('Slice', [ctx.inputs[0]], ctx.mapAttrs('Slice'), ctx.outputNames);
    }
    rejectMovedAttrs(ctx, ['starts', 'ends', 'axes', 'steps'], INPUTS_SINCE);
    const starts = constantInts(ctx, 1, 'starts');
    const ends = constantInts(ctx, 2, 'ends');
    if (starts === undefined || ends === undefined) throw new OnnxImportError(`${where}: inputs 'starts' and 'ends' are required`);
    const axes = constantInts(ctx, 3, 'axes');
    const steps = constantInts(ctx, 4, 'steps');
    const attrs = { ...ctx.mapAttrs('Slice'), starts, ends, ...(axes === undefined ? {} : { axes }), ...(steps === undefined ? {} : { steps }) };
    return ctx.emit('Slice', [ctx.inputs[0]], attrs, ctx.outputNames);
  },
  exportNode(ctx) {
    const { starts, ends, axes, steps } = ctx.node.attrs;
    const name = ctx.node.name;
    const rank = ctx.inputType(0)!.shape.length;
    if (ctx.opset < INPUTS_SINCE) {
      if (steps !== undefined && steps.some((s) => s !== 1)) {
        throw new OnnxExportError(`Slice '${name}': steps [${steps.join(',')}] need opset >= 10; the target opset is ${ctx.opset}`);
      }
      const attributes = [attr.ints('starts', starts), attr.ints('ends', ends)];
      if (axes !== undefined) attributes.push(attr.ints('axes', axesForTarget(ctx, axes, rank)));
      ctx.addNode('Slice', [ctx.input(0)], [ctx.output(0)], attributes, { name });
      return;
    }
    const inputs = [ctx.input(0), int64Initializer(ctx, `${name}_starts`, starts), int64Initializer(ctx, `${name}_ends`, ends)];
    if (axes !== undefined || steps !== undefined) {
      inputs.push(int64Initializer(ctx, `${name}_axes`, axesForTarget(ctx, axes ?? starts.map((_, i) => i), rank)));
    }
    if (steps !== undefined) inputs.push(int64Initializer(ctx, `${name}_steps`, steps));
    ctx.addNode('Slice', inputs, [ctx.output(0)], [], { name });
  },
};
