// ONNX LRN (opset 13; https://onnx.ai/onnx/operators/onnx__LRN.html): local response normalization across
// channels, y = x / (bias + alpha/size · Σ x²)^beta over a window of `size` neighbouring channels.
// Opset 13 only adds bfloat16 to opset 1's semantics. Lowers to the 'lrn' routine over [N, C, inner].

import { ArgumentError } from '../core/errors.js';
import { sizeOf } from '../core/shape.js';
import { checkFinite, expectDType, expectRank, FLOAT_TYPES, requireInput } from './check.js';
import { f64 } from './f64.js';
import type { OpDef } from './op-def.js';

export interface LRNAttrs {
  /** Scale of the square sum; ONNX default 1e-4. */
  readonly alpha: number;
  /** Exponent; ONNX default 0.75. */
  readonly beta: number;
  /** Additive constant; ONNX default 1.0. */
  readonly bias: number;
  /** Number of channels summed over (required, >= 1). */
  readonly size: number;
}

/** The channel window of channel c: [c − ⌊(size−1)/2⌋, c + ⌈(size−1)/2⌉] clipped to [0, C − 1] (ONNX doc). */
export function lrnWindow(c: number, channels: number, size: number): [number, number] {
  return [Math.max(0, c - Math.floor((size - 1) / 2)), Math.min(channels - 1, c + Math.ceil((size - 1) / 2))];
}

export const LRN: OpDef<'LRN'> = {
  type: 'LRN',
  domain: '',
  version: 13,
  inputs: [{ name: 'X' }],
  outputs: [{ name: 'Y' }],
  attrs: {
    alpha: { kind: 'float', default: 1e-4 },
    beta: { kind: 'float', default: 0.75 },
    bias: { kind: 'float', default: 1.0 },
    size: { kind: 'int', required: true },
  },

  inferShape(ctx) {
    const { site, attrs } = ctx;
    const x = requireInput(ctx, 0, 'X');
    expectDType(site, 'X', x, FLOAT_TYPES);
    // ONNX: (N x C x D1 x … x Dk); N x C alone has a channel axis to normalize across too.
    expectRank(site, 'X', x, 2);
    if (!Number.isInteger(attrs.size) || attrs.size < 1) throw new ArgumentError(site, 'size', 'an integer >= 1', String(attrs.size));
    checkFinite(site, 'alpha', attrs.alpha);
    checkFinite(site, 'beta', attrs.beta);
    checkFinite(site, 'bias', attrs.bias);
    return [{ dtype: x.dtype, shape: x.shape }];
  },

  reference({ attrs, inputs }) {
    const x = inputs[0]!;
    const [nb, c] = x.dims;
    const inner = sizeOf(x.dims.slice(2));
    const y = f64(x.dims);
    for (let n = 0; n < nb; n++) {
      for (let ci = 0; ci < c; ci++) {
        const [lo, hi] = lrnWindow(ci, c, attrs.size);
        for (let j = 0; j < inner; j++) {
          let sq = 0;
          for (let k = lo; k <= hi; k++) sq += x.data[(n * c + k) * inner + j] ** 2;
          const at = (n * c + ci) * inner + j;
          y.data[at] = x.data[at] / Math.pow(attrs.bias + (attrs.alpha / attrs.size) * sq, attrs.beta);
        }
      }
    }
    return [y];
  },

  lower(ctx) {
    const { attrs } = ctx;
    const x = ctx.inputs[0]!;
    const out = ctx.outputTypes[0];
    const inDims: [number, number, number] = [x.dims[0], x.dims[1], sizeOf(x.dims.slice(2))];
    const [y] = ctx.routine(
      { routine: 'lrn', inDims, size: attrs.size, alpha: attrs.alpha, beta: attrs.beta, bias: attrs.bias },
      [ctx.view(x, inDims)],
      [{ dtype: out.dtype, dims: inDims }],
    );
    return [ctx.view(y, out.dims)];
  },
};
