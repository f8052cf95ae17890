// Softmax adapter. Before opset 13 Softmax coerces its input to 2-D at `axis` (default 1) and normalizes
// each row of [prod(dims < axis), prod(dims >= axis)]; from 13 it normalizes along the one axis
// (default −1), which is kiln's IR meaning. Both coincide when the axis is the last one.

import { isConcrete } from '../../../core/shape.js';
import { fromFloat64 } from '../../../core/tensor.js';
import { checkAxis } from '../../../ops/check.js';
import { attr } from './helpers.js';
import type { OpAdapter } from './types.js';

const SINGLE_AXIS_SINCE = 13;

export const softmaxAdapter: OpAdapter<'Softmax'> = {
  since: 1,
  importNode(ctx) {
    if (ctx.opset >= SINGLE_AXIS_SINCE) return ctx.emit('Softmax', ctx.inputs, ctx.mapAttrs('Softmax'), ctx.outputNames);
    const x = ctx.inputs[0];
    const axisAttr = ctx.attrs.take('axis', 'int') ?? 1;
    ctx.mapAttrs('Softmax'); // rejects anything else
    if (x === undefined) return ctx.emit('Softmax', ctx.inputs, {}, ctx.outputNames); // the builder reports the missing input
    const rank = x.type.shape.length;
    const axis = checkAxis(ctx.site, 'axis', axisAttr, rank);
    if (axis === rank - 1) return ctx.emit('Softmax', [x], { axis: -1 }, ctx.outputNames);
    // Flatten to 2-D at `axis`, normalize the rows, reshape back to the input's shape.
    const [flat] = ctx.helper('Flatten', [x], { axis });
    const [rows] = ctx.helper('Softmax', [flat], { axis: -1 });
    const shape = isConcrete(x.type.shape)
      ? ctx.constantValue('shape', fromFloat64('int64', [rank], x.type.shape))
      : ctx.helper('Shape', [x], {})[0];
    return ctx.emit('Reshape', [rows, shape], {}, ctx.outputNames);
  },
  exportNode(ctx) {
    const rank = ctx.inputType(0)!.shape.length;
    const axis = checkAxis(ctx.site, 'axis', ctx.node.attrs.axis, rank);
    const name = ctx.node.name;
    if (ctx.opset >= SINGLE_AXIS_SINCE) {
      ctx.addNode('Softmax', [ctx.input(0)], [ctx.output(0)], [attr.int('axis', ctx.node.attrs.axis)], { name });
    } else if (axis === rank - 1) {
      ctx.addNode('Softmax', [ctx.input(0)], [ctx.output(0)], [attr.int('axis', axis)], { name });
    } else {
      // Move the axis last, normalize there (2-D coercion at rank−1 is exactly one axis), move it back.
      const perm = [...Array(rank).keys()].filter((a) => a !== axis).concat(axis);
      const inverse = perm.map((_, i) => perm.indexOf(i));
      const moved = ctx.fresh(`${name}_moved`);
      const normalized = ctx.fresh(`${name}_last`);
      ctx.addNode('Transpose', [ctx.input(0)], [moved], [attr.ints('perm', perm)]);
      ctx.addNode('Softmax', [moved], [normalized], [attr.int('axis', rank - 1)], { name });
      ctx.addNode('Transpose', [normalized], [ctx.output(0)], [attr.ints('perm', inverse)]);
    }
  },
};
