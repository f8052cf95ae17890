// HardSwish exists from opset 14; older targets get its definition, X · HardSigmoid(X) with
// alpha = 1/6 and beta = 0.5 (HardSigmoid-6).

import { attr } from './helpers.js';
import { defaultAdapter, writeDefault } from './default.js';
import type { OpAdapter } from './types.js';

const SINCE = 14;

export const hardSwishAdapter: OpAdapter<'HardSwish'> = {
  since: SINCE,
  importNode: defaultAdapter('HardSwish', { since: SINCE }).importNode,
  exportNode(ctx) {
    if (ctx.opset >= SINCE) return writeDefault(ctx);
    const gate = ctx.fresh(`${ctx.node.name}_gate`);
    ctx.addNode('HardSigmoid', [ctx.input(0)], [gate], [attr.float('alpha', 1 / 6), attr.float('beta', 0.5)]);
    ctx.addNode('Mul', [ctx.input(0), gate], [ctx.output(0)], [], { name: ctx.node.name });
  },
};
