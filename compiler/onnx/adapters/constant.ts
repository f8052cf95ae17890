// Constant and ConstantOfShape adapters. An imported Constant becomes an initializer named by its
// output (so later nodes see its value at build time); value_float(s)/value_int(s) become float32/int64
// tensors. ConstantOfShape stays a node, and its value is remembered when its shape input is constant.

import { OnnxImportError, UnsupportedOpError } from '../../../core/errors.js';
import { sizeOf } from '../../../core/shape.js';
import { allocateStorage } from '../../../core/dtype.js';
import { fromFloat64, HostTensor, hostTensor } from '../../../core/tensor.js';
import { attr, intsOf } from './helpers.js';
import { defaultAdapter } from './default.js';
import type { ImportContext, OpAdapter } from './types.js';

/** Largest ConstantOfShape output (elements) folded at import time. */
const FOLD_LIMIT = 1 << 16;

function constantTensor(ctx: ImportContext): HostTensor {
  const where = `Constant node '${ctx.name}'`;
  const found: HostTensor[] = [];
  const value = ctx.attrs.take('value', 'tensor');
  if (value !== undefined) found.push(value);
  const f = ctx.attrs.take('value_float', 'float');
  if (f !== undefined) found.push(fromFloat64('float32', [], [f]));
  const fs = ctx.attrs.take('value_floats', 'floats');
  if (fs !== undefined) found.push(fromFloat64('float32', [fs.length], fs));
  const i = ctx.attrs.take('value_int', 'int');
  if (i !== undefined) found.push(fromFloat64('int64', [], [i]));
  const is = ctx.attrs.take('value_ints', 'ints');
  if (is !== undefined) found.push(fromFloat64('int64', [is.length], is));
  for (const name of ['value_string', 'value_strings', 'sparse_value']) {
    if (ctx.attrs.has(name)) {
      throw new UnsupportedOpError('Constant', ctx.domain, ctx.opset, ctx.name, `attribute '${name}' (kiln has no string or sparse tensors)`);
    }
  }
  const rest = ctx.attrs.remaining();
  if (rest.length > 0) throw new OnnxImportError(`${where}: unknown attribute '${rest[0]}' (opset ${ctx.opset})`);
  if (found.length !== 1) {
    throw new OnnxImportError(`${where}: expected exactly one of value, value_float(s), value_int(s), got ${found.length}`);
  }
  return found[0];
}

export const constantAdapter: OpAdapter<'Constant'> = {
  since: 1,
  importNode(ctx) {
    const t = constantTensor(ctx);
    if (ctx.inputs.length > 0) throw new OnnxImportError(`Constant node '${ctx.name}': takes no inputs, got ${ctx.inputs.length}`);
    const out = ctx.outputNames[0] ?? '';
    return [out === '' ? undefined : ctx.namedConstant(out, t)];
  },
  exportNode(ctx) {
    ctx.addNode('Constant', [], [ctx.output(0)], [attr.tensor('value', ctx.node.attrs.value)], { name: ctx.node.name });
  },
};

const constantOfShapeDefault = defaultAdapter('ConstantOfShape', { since: 9 });

export const constantOfShapeAdapter: OpAdapter<'ConstantOfShape'> = {
  since: 9,
  importNode(ctx) {
    const attrs = ctx.mapAttrs('ConstantOfShape');
    const outs = ctx.emit('ConstantOfShape', ctx.inputs, attrs, ctx.outputNames);
    const shape = ctx.constant(0);
    const out = outs[0];
    if (shape !== undefined && out !== undefined) {
      const dims = intsOf(ctx, shape, 'input');
      if (dims.every((d) => d >= 0) && sizeOf(dims) <= FOLD_LIMIT) {
        const fill = attrs.value;
        if (fill === undefined) ctx.remember(out, fromFloat64('float32', dims, new Float64Array(sizeOf(dims))));
        else {
          // Copy the element itself (not via float64) so int64 fills stay exact.
          const data = allocateStorage(fill.dtype, sizeOf(dims));
          (data as { fill(v: number | bigint): unknown }).fill(fill.data[0]);
          ctx.remember(out, hostTensor(fill.dtype, dims, data));
        }
      }
    }
    return outs;
  },
  exportNode: constantOfShapeDefault.exportNode,
};
