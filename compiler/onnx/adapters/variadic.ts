// Max, Min and Sum: numpy broadcasting across their inputs arrived in opset 8; before it every input
// must have the output's shape, so an older target refuses broadcasting nodes.

import { OnnxExportError } from '../../../core/errors.js';
import { sameShape } from '../../../core/shape.js';
import { defaultAdapter, writeDefault } from './default.js';
import type { OpAdapter } from './types.js';

const BROADCAST_SINCE = 8;

export function variadicAdapter<K extends 'Max' | 'Min' | 'Sum'>(op: K): OpAdapter<K> {
  const base = defaultAdapter(op);
  return {
    since: 1,
    importNode: base.importNode,
    exportNode(ctx) {
      if (ctx.opset < BROADCAST_SINCE) {
        const out = ctx.node.outputs[0].type.shape;
        ctx.node.inputs.forEach((v, i) => {
          if (v !== undefined && !sameShape(v.type.shape, out)) {
            throw new OnnxExportError(`${op} '${ctx.node.name}': input ${i} broadcasts ([${v.type.shape.join(',')}] to [${out.join(',')}]), which needs opset >= 8; the target opset is ${ctx.opset}`);
          }
        });
      }
      writeDefault(ctx);
    },
  };
}
