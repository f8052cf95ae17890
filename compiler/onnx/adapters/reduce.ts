// Reduce* adapters. `axes` is an attribute until ReduceSum-13 / ReduceMean, ReduceMax and
// ReduceSumSquare-18 make it an optional int64 input (and add noop_with_empty_axes); kiln's IR keeps
// the attribute, so import folds the constant input in and export writes it back per target.

import { OnnxImportError } from '../../../core/errors.js';
import { constantInts, REDUCE_AXES_INPUT_SINCE, ReduceOnnxOp, writeReduce } from './helpers.js';
import type { OpAdapter } from './types.js';

export function reduceAdapter<K extends ReduceOnnxOp>(op: K): OpAdapter<K> {
  const inputSince = REDUCE_AXES_INPUT_SINCE[op];
  return {
    since: 1,
    importNode(ctx) {
      let axes: number[] | undefined;
      if (ctx.opset >= inputSince) {
        if (ctx.attrs.has('axes')) {
          throw new OnnxImportError(`${op} node '${ctx.name}': attribute 'axes' does not exist at opset ${ctx.opset} (axes is an input since opset ${inputSince})`);
        }
        axes = constantInts(ctx, 1, 'axes');
      } else if (ctx.inputs.length > 1) {
        throw new OnnxImportError(`${op} node '${ctx.name}': takes 1 input at opset ${ctx.opset} (axes is an attribute before opset ${inputSince}), got ${ctx.inputs.length}`);
      }
      const attrs = ctx.mapAttrs(op);
      return ctx.emit(op, [ctx.inputs[0]], axes === undefined ? attrs : { ...attrs, axes }, ctx.outputNames);
    },
    exportNode(ctx) {
      const a = ctx.node.attrs;
      const x = ctx.input(0);
      const y = ctx.output(0);
      const rank = ctx.inputType(0)!.shape.length;
      const noAxes = a.axes === undefined || a.axes.length === 0;
      if (a.noop_with_empty_axes === 1 && noAxes && ctx.opset < inputSince) {
        // No noop_with_empty_axes before the axes input: "reduce nothing" is each element on its own.
        if (op === 'ReduceSumSquare') ctx.addNode('Mul', [x, x], [y], [], { name: ctx.node.name });
        else ctx.addNode('Identity', [x], [y], [], { name: ctx.node.name });
        return;
      }
      writeReduce(ctx, op, x, a.axes, rank, a.keepdims, y, ctx.node.name, noAxes ? a.noop_with_empty_axes : 0);
    },
  };
}
