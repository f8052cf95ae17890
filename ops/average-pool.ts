// ONNX AveragePool (opset 19; https://onnx.ai/onnx/operators/onnx__AveragePool.html; opset 11 plus
// dilations): the mean over each sliding window. count_include_pad=0 divides by the taps inside X, 1 by
// the taps inside the padded extent; with ceil_mode, windows that would start in the end padding are dropped.

import { ArgumentError } from '../core/errors.js';
import { expectDType, expectRank, FLOAT_TYPES, requireInput } from './check.js';
import type { OpDef } from './op-def.js';
import { lowerPool, poolReference, poolWindow, PoolWindowAttrs } from './pooling.js';

/** The window attributes (dilations since opset 19) plus count_include_pad. */
export interface AveragePoolAttrs extends PoolWindowAttrs {
  /** 1: padding pixels count in the divisor. */
  readonly count_include_pad: number;
}

const VERSION = 19;

export const AveragePool: OpDef<'AveragePool'> = {
  type: 'AveragePool',
  domain: '',
  version: VERSION,
  inputs: [{ name: 'X' }],
  outputs: [{ name: 'Y' }],
  attrs: {
    auto_pad: { kind: 'string', default: 'NOTSET' },
    ceil_mode: { kind: 'int', default: 0 },
    count_include_pad: { kind: 'int', default: 0 },
    dilations: { kind: 'ints' },
    kernel_shape: { kind: 'ints', required: true },
    pads: { kind: 'ints' },
    strides: { kind: 'ints' },
  },

  inferShape(ctx) {
    const { site, attrs } = ctx;
    const x = requireInput(ctx, 0, 'X');
    expectDType(site, 'X', x, FLOAT_TYPES);
    expectRank(site, 'X', x, 3);
    if (attrs.count_include_pad !== 0 && attrs.count_include_pad !== 1) {
      throw new ArgumentError(site, 'count_include_pad', '0 or 1', String(attrs.count_include_pad));
    }
    const win = poolWindow(site, x.shape.slice(2), attrs);
    return [{ dtype: x.dtype, shape: [x.shape[0], x.shape[1], ...win.outDims] }];
  },

  reference({ site, attrs, inputs, outputTypes }) {
    const x = inputs[0]!;
    const win = poolWindow(site, x.dims.slice(2), attrs);
    return [poolReference(x, win, outputTypes[0].dims, 'avg', attrs.count_include_pad === 1)];
  },

  lower(ctx) {
    const x = ctx.inputs[0]!;
    const win = poolWindow(ctx.site, x.dims.slice(2), ctx.attrs);
    return lowerPool(ctx, win, 'avg', ctx.attrs.count_include_pad === 1, VERSION);
  },
};
