// ONNX Softmax (opset 13; https://onnx.ai/onnx/operators/onnx__Softmax.html): exp(x) / Σ exp(x) along one
// axis (opset 13 normalizes over that single axis, unlike opset 11's flatten-to-2-D), max-subtracted.

import { sizeOf } from '../core/shape.js';
import { checkAxis, expectDType, FLOAT_TYPES, requireInput } from './check.js';
import { f64 } from './f64.js';
import type { OpDef } from './op-def.js';

export interface SoftmaxAttrs {
  /** The axis normalized over, in [−r, r−1]; ONNX default −1. */
  readonly axis: number;
}

export const Softmax: OpDef<'Softmax'> = {
  type: 'Softmax',
  domain: '',
  version: 13,
  inputs: [{ name: 'input' }],
  outputs: [{ name: 'output' }],
  attrs: {
    axis: { kind: 'int', default: -1 },
  },

  inferShape(ctx) {
    const x = requireInput(ctx, 0, 'input');
    expectDType(ctx.site, 'input', x, FLOAT_TYPES);
    checkAxis(ctx.site, 'axis', ctx.attrs.axis, x.shape.length);
    return [{ dtype: x.dtype, shape: x.shape }];
  },

  reference({ site, attrs, inputs }) {
    const x = inputs[0]!;
    const axis = checkAxis(site, 'axis', attrs.axis, x.dims.length);
    const y = f64(x.dims);
    const len = x.dims[axis];
    const inner = sizeOf(x.dims.slice(axis + 1));
    const outer = sizeOf(x.dims.slice(0, axis));
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < inner; j++) {
        const at = (k: number): number => (o * len + k) * inner + j;
        let max = -Infinity;
        for (let k = 0; k < len; k++) max = Math.max(max, x.data[at(k)]);
        let sum = 0;
        for (let k = 0; k < len; k++) sum += Math.exp(x.data[at(k)] - max);
        for (let k = 0; k < len; k++) y.data[at(k)] = Math.exp(x.data[at(k)] - max) / sum;
      }
    }
    return [y];
  },

  lower(ctx) {
    const x = ctx.inputs[0]!;
    const out = ctx.outputTypes[0];
    const axis = checkAxis(ctx.site, 'axis', ctx.attrs.axis, x.dims.length);
    return ctx.routine({ routine: 'softmax', inDims: x.dims, axis }, [x], [{ dtype: out.dtype, dims: out.dims }]);
  },
};
