// ONNX ConstantOfShape (opset 9; 20 only adds types kiln lacks): a tensor of the dims given by the 1-D
// int64 `input`, every element equal to the one-element `value` (whose dtype is the output dtype;
// default float32 0). An empty `input` gives a scalar. Dims are concrete when `input` is known at
// compile time; otherwise they are fresh symbols, resolved once a session binds the graph inputs.

import { ArgumentError, describeShape, ShapeError } from '../core/errors.js';
import { sizeOf } from '../core/shape.js';
import { hostTensor, readElement } from '../core/tensor.js';
import type { HostTensor } from '../core/tensor.js';
import { expectDType, expectRank, requireInput } from './check.js';
import { f64 } from './f64.js';
import { E } from './kernel-ir.js';
import type { OpDef } from './op-def.js';

export interface ConstantOfShapeAttrs {
  /** One-element tensor giving the fill value and the output dtype (ONNX default: float32 0). */
  readonly value: HostTensor | undefined;
}

/** ONNX's default `value`: a one-element float32 tensor holding 0. */
const DEFAULT_VALUE: HostTensor = hostTensor('float32', [1], new Float32Array([0]));

function fillOf(attrs: ConstantOfShapeAttrs): HostTensor {
  return attrs.value ?? DEFAULT_VALUE;
}

export const ConstantOfShape: OpDef<'ConstantOfShape'> = {
  type: 'ConstantOfShape',
  domain: '',
  version: 9,
  inputs: [{ name: 'input' }],
  outputs: [{ name: 'output' }],
  attrs: {
    value: { kind: 'tensor', default: DEFAULT_VALUE },
  },

  inferShape(ctx) {
    const { site } = ctx;
    const input = requireInput(ctx, 0, 'input');
    expectDType(site, 'input', input, ['int64']);
    expectRank(site, 'input', input, 1, 1);
    const fill = fillOf(ctx.attrs);
    if (fill.data.length !== 1) {
      throw new ArgumentError(site, 'value', 'a one-element tensor', `dims ${describeShape(fill.dims)} (${fill.data.length} elements)`);
    }
    const known = ctx.constant(0);
    if (known === undefined) {
      const k = input.shape[0];
      if (typeof k !== 'number') throw new ShapeError(site, 'input', '[k] with a known k, or a constant value', describeShape(input.shape));
      return [{ dtype: fill.dtype, shape: Array.from({ length: k }, (_, i) => `${site.node}_d${i}`) }];
    }
    const dims = Array.from({ length: known.data.length }, (_, i) => readElement('int64', known.data, i));
    if (dims.some((d) => !Number.isSafeInteger(d) || d < 0)) {
      throw new ArgumentError(site, 'input', 'non-negative dims', `[${dims.join(',')}]`);
    }
    return [{ dtype: fill.dtype, shape: dims }];
  },

  reference({ attrs, outputTypes }) {
    const fill = fillOf(attrs);
    const dims = outputTypes[0].dims;
    return [f64(dims, new Float64Array(sizeOf(dims)).fill(readElement(fill.dtype, fill.data, 0)))];
  },

  lower(ctx) {
    const fill = fillOf(ctx.attrs);
    const { dims, dtype } = ctx.outputTypes[0];
    const v = readElement(fill.dtype, fill.data, 0);
    // int64 fills beyond 2^53 have no exact float64 form for the kernel: write the tensor out instead.
    if (dtype === 'int64' && !Number.isSafeInteger(v)) {
      const data = new BigInt64Array(sizeOf(dims)).fill((fill.data as BigInt64Array)[0]);
      return [ctx.literal(hostTensor('int64', dims, data))];
    }
    // A kernel with no operands: each output element is the constant, stored in `dtype`.
    return [ctx.elementwise([], E.const(v), dims, dtype)];
  },
};
