// ONNX Constant (opset 13 semantics, `value` form): a node with no inputs whose output is a fixed
// tensor. ONNX also allows value_float(s)/value_int(s)/value_string(s)/sparse_value; the ONNX importer
// converts the numeric ones to this tensor form (kiln has no string or sparse tensors). Lowers to a literal.

import { ArgumentError } from '../core/errors.js';
import { sizeOf } from '../core/shape.js';
import { toFloat64 } from '../core/tensor.js';
import type { HostTensor } from '../core/tensor.js';
import type { OpDef } from './op-def.js';

export interface ConstantAttrs {
  /** The output tensor (required). */
  readonly value: HostTensor;
}

export const Constant: OpDef<'Constant'> = {
  type: 'Constant',
  domain: '',
  version: 13,
  inputs: [],
  outputs: [{ name: 'output' }],
  attrs: {
    value: { kind: 'tensor', required: true },
  },

  inferShape(ctx) {
    const t = ctx.attrs.value;
    if (t.data.length !== sizeOf(t.dims)) {
      throw new ArgumentError(ctx.site, 'value', `a tensor with ${sizeOf(t.dims)} elements for dims [${t.dims.join(',')}]`, `${t.data.length} elements`);
    }
    return [{ dtype: t.dtype, shape: [...t.dims] }];
  },

  reference({ attrs }) {
    // int64 values beyond 2^53 lose precision in float64 (here and in plan-time folding, which
    // evaluates input-free nodes with this reference); lower() itself keeps the tensor bit-exact.
    const t = toFloat64(attrs.value);
    return [{ dims: [...t.dims], data: t.data }];
  },

  lower(ctx) {
    return [ctx.literal(ctx.attrs.value)];
  },
};
