// Adapters for ops with one `axis` attribute whose negative values arrive in opset 11 (Concat, Gather,
// Flatten): older targets get the axis normalized against the (always known) rank. Concat-1 also had
// a default axis of 1 that Concat-4 made required.

import { attr } from './helpers.js';
import { defaultAdapter, inputNames, outputNames } from './default.js';
import type { OpAdapter } from './types.js';

const NEGATIVE_AXIS_SINCE = 11;

type AxisOp = 'Concat' | 'Gather' | 'Flatten';

export function axisAdapter<K extends AxisOp>(op: K): OpAdapter<K> {
  const base = defaultAdapter(op);
  return {
    since: 1,
    importNode(ctx) {
      if (op === 'Concat' && ctx.opset < 4 && !ctx.attrs.has('axis')) {
        return ctx.emit('Concat', ctx.inputs, { ...ctx.mapAttrs('Concat'), axis: 1 }, ctx.outputNames);
      }
      return base.importNode(ctx);
    },
    exportNode(ctx) {
      const axis = ctx.node.attrs.axis;
      // Flatten's axis ranges over [−r, r]; the others over [−r, r−1]: both normalize by adding r.
      const rank = ctx.inputType(0)!.shape.length;
      const written = ctx.opset < NEGATIVE_AXIS_SINCE && axis < 0 ? axis + rank : axis;
      ctx.addNode(op, inputNames(ctx), outputNames(ctx), [attr.int('axis', written)], { name: ctx.node.name });
    },
  };
}
