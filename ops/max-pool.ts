// ONNX MaxPool (opset 12; https://onnx.ai/onnx/operators/onnx__MaxPool.html): the max over each sliding
// window, padding ignored, NaN propagated. The optional Indices output is not implemented (typed error);
// storage_order only shapes Indices, so it is validated and otherwise has no effect.

import { ArgumentError, UnsupportedOpError } from '../core/errors.js';
import { expectDType, expectRank, FLOAT_TYPES, requireInput } from './check.js';
import type { OpDef } from './op-def.js';
import { lowerPool, poolReference, poolWindow, PoolWindowAttrs } from './pooling.js';

/** The window attributes plus storage_order. */
export interface MaxPoolAttrs extends PoolWindowAttrs {
  /** 0 row-major, 1 column-major; only affects the Indices output. */
  readonly storage_order: number;
}

const VERSION = 12;

export const MaxPool: OpDef<'MaxPool'> = {
  type: 'MaxPool',
  domain: '',
  version: VERSION,
  inputs: [{ name: 'X' }],
  outputs: [{ name: 'Y' }, { name: 'Indices', optional: true }],
  attrs: {
    auto_pad: { kind: 'string', default: 'NOTSET' },
    ceil_mode: { kind: 'int', default: 0 },
    dilations: { kind: 'ints' },
    kernel_shape: { kind: 'ints', required: true },
    pads: { kind: 'ints' },
    storage_order: { kind: 'int', default: 0 },
    strides: { kind: 'ints' },
  },

  inferShape(ctx) {
    const { site, attrs } = ctx;
    const x = requireInput(ctx, 0, 'X');
    // opset 12 T: float types plus int8 and uint8.
    expectDType(site, 'X', x, [...FLOAT_TYPES, 'int8', 'uint8']);
    expectRank(site, 'X', x, 3);
    if (attrs.storage_order !== 0 && attrs.storage_order !== 1) {
      throw new ArgumentError(site, 'storage_order', '0 or 1', String(attrs.storage_order));
    }
    if (ctx.outputCount > 1) {
      throw new UnsupportedOpError('MaxPool', '', VERSION, site.node, `the optional 'Indices' output (node declares ${ctx.outputCount} outputs; only Y is implemented)`);
    }
    const win = poolWindow(site, x.shape.slice(2), attrs);
    return [{ dtype: x.dtype, shape: [x.shape[0], x.shape[1], ...win.outDims] }];
  },

  reference({ site, attrs, inputs, outputTypes }) {
    const x = inputs[0]!;
    const win = poolWindow(site, x.dims.slice(2), attrs);
    return [poolReference(x, win, outputTypes[0].dims, 'max', false)];
  },

  lower(ctx) {
    const x = ctx.inputs[0]!;
    return lowerPool(ctx, poolWindow(ctx.site, x.dims.slice(2), ctx.attrs), 'max', false, VERSION);
  },
};
