// Pooling shared by MaxPool and AveragePool: their window attributes (with onnxruntime's pad limit),
// the float64 reference over any number of spatial axes, and the lowering onto the pool2d routine.

import { ArgumentError, describeShape, ErrorSite, UnsupportedOpError } from '../core/errors.js';
import type { Dim } from '../core/shape.js';
import type { F64Tensor } from '../core/tensor.js';
import { f64 } from './f64.js';
import type { LowerContext, LValue } from './op-def.js';
import { nchw, planeGeometry, Window, window2d, WindowAttrs, windowOf } from './window.js';

/** The pool2d routine's function: max, or the average. */
export type PoolFn = 'max' | 'avg';

/** Pool attributes common to MaxPool and AveragePool (ONNX names). */
export interface PoolWindowAttrs extends WindowAttrs {
  /** 1: ceil instead of floor for the output size (windows starting in the end padding are dropped). */
  readonly ceil_mode: number;
  /** Required. */
  readonly kernel_shape: readonly number[];
}

/**
 * The pool window. Explicit pads must be smaller than the kernel, as onnxruntime enforces ("Pad should
 * be smaller than kernel", pool_attributes.h): larger pads would make windows that see only padding.
 */
export function poolWindow(site: ErrorSite, spatial: readonly Dim[], attrs: PoolWindowAttrs): Window {
  const win = windowOf(site, spatial, attrs, attrs.kernel_shape, attrs.ceil_mode);
  const n = spatial.length;
  const pads = attrs.pads;
  if (pads !== undefined && attrs.kernel_shape.some((k, i) => pads[i] >= k || pads[i + n] >= k)) {
    throw new ArgumentError(site, 'pads', `each pad smaller than kernel_shape [${attrs.kernel_shape.join(',')}]`, `[${pads.join(',')}]`);
  }
  return win;
}

/**
 * Float64 pool over any number of spatial axes, written tap by tap. max ignores padding and propagates
 * NaN; avg divides by the taps inside X, or with countIncludePad by the taps inside the padded extent
 * [−pad_begin, in + pad_end) — taps past the end padding, which only ceil_mode creates, never count
 * (onnxruntime and PyTorch pool_size rule).
 */
export function poolReference(x: F64Tensor, w: Window, outDims: readonly number[], fn: PoolFn, countIncludePad: boolean): F64Tensor {
  const out = f64(outDims);
  const [nb, c] = x.dims;
  const { inSp, outSp, inStrides, outStrides, kStrides, taps, inPlane, outPlane } = planeGeometry(x.dims, outDims, w.kernel);
  const n = inSp.length;
  for (let plane = 0; plane < nb * c; plane++) {
    for (let o = 0; o < outPlane; o++) {
      let acc = fn === 'max' ? -Infinity : 0;
      let inside = 0;
      let padded = 0;
      for (let t = 0; t < taps; t++) {
        let offset = 0;
        let inX = true;
        let inPad = true;
        for (let a = 0; a < n; a++) {
          const oc = Math.floor(o / outStrides[a]) % outSp[a];
          const kc = Math.floor(t / kStrides[a]) % w.kernel[a];
          const pos = oc * w.strides[a] - w.pads[a] + kc * w.dilations[a];
          if (pos < 0 || pos >= inSp[a]) inX = false;
          if (pos < -w.pads[a] || pos >= inSp[a] + w.pads[a + n]) inPad = false;
          offset += pos * inStrides[a];
        }
        if (inPad) padded++;
        if (!inX) continue;
        inside++;
        const v = x.data[plane * inPlane + offset];
        if (fn === 'avg') acc += v;
        else if (v > acc || Number.isNaN(v)) acc = Number.isNaN(acc) ? acc : v;
      }
      out.data[plane * outPlane + o] = fn === 'max' ? acc : acc / (countIncludePad ? padded : inside);
    }
  }
  return out;
}

/** Lower a 1-D or 2-D pool onto the pool2d routine; 3-D and up are not implemented by the backends. */
export function lowerPool<A>(ctx: LowerContext<A>, w: Window, fn: PoolFn, countIncludePad: boolean, version: number): LValue[] {
  const x = ctx.inputs[0];
  const out = ctx.outputTypes[0];
  if (x === undefined) throw new ArgumentError(ctx.site, 'X', 'input 0 to be present', 'nothing');
  if (x.dims.length > 4) {
    throw new UnsupportedOpError(ctx.site.op, '', version, ctx.site.node, `${x.dims.length - 2}-D pooling (X ${describeShape(x.dims)}); the backends implement 1-D and 2-D`);
  }
  const w2 = window2d(w);
  const xDims = nchw(x.dims);
  const outDims = nchw(out.dims);
  const [y] = ctx.routine(
    { routine: 'pool2d', fn, xDims, ...w2, countIncludePad, outDims },
    [ctx.view(x, xDims)],
    [{ dtype: out.dtype, dims: outDims }],
  );
  return [ctx.view(y, out.dims)];
}
