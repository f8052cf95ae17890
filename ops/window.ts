// Sliding-window geometry shared by Conv, MaxPool and AveragePool: auto_pad, pads, strides, dilations
// and ceil_mode resolved to per-axis pads and output sizes in one place, following ONNX
// convPoolShapeInference (onnx/defs/nn/defs.cc), plus the float64 pool reference and pool lowering.

import { ArgumentError, describeShape, ErrorSite, ShapeError, UnsupportedOpError } from '../core/errors.js';
import { Dim, sizeOf, stridesOf } from '../core/shape.js';
import type { F64Tensor } from '../core/tensor.js';
import { f64 } from './f64.js';
import type { LowerContext, LValue } from './op-def.js';

export const AUTO_PADS = ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'] as const;
export type AutoPad = (typeof AUTO_PADS)[number];

/** The window attributes as ONNX spells them; optional lists are undefined when absent. */
export interface WindowSpec {
  readonly auto_pad: string;
  /** Resolved kernel size per spatial axis (kernel_shape, or W's spatial dims for Conv). */
  readonly kernel: readonly number[];
  readonly strides: readonly number[] | undefined;
  readonly dilations: readonly number[] | undefined;
  readonly pads: readonly number[] | undefined;
  /** 0 for Conv (no such attribute). */
  readonly ceil_mode: number;
}

export interface Window {
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
  /**
   * ONNX order [x1_begin, x2_begin, …, x1_end, x2_end, …]. Under SAME_* the pads of a symbolic input
   * axis are unknown and reported as 0; they are exact once the dims are bound (reference, lowering).
   */
  readonly pads: readonly number[];
  /** Output spatial sizes (symbolic where the input axis is symbolic and the size changes). */
  readonly outDims: readonly Dim[];
}

function isAutoPad(s: string): s is AutoPad {
  return (AUTO_PADS as readonly string[]).includes(s);
}

function checkInts(site: ErrorSite, name: string, v: readonly number[], length: number, min: number): void {
  if (v.length !== length || v.some((x) => !Number.isInteger(x) || x < min)) {
    throw new ArgumentError(site, name, `${length} integers >= ${min} (one per ${name === 'pads' ? 'spatial axis begin and end' : 'spatial axis'})`, `[${v.join(',')}]`);
  }
}

/**
 * Resolve the window over the spatial dims of X (everything after N and C). Throws ArgumentError for
 * bad attributes and ShapeError when X is too small for the (dilated, padded) kernel.
 */
export function resolveWindow(site: ErrorSite, spatial: readonly Dim[], spec: WindowSpec): Window {
  const n = spatial.length;
  if (!isAutoPad(spec.auto_pad)) {
    throw new ArgumentError(site, 'auto_pad', `one of ${AUTO_PADS.join('|')}`, `'${spec.auto_pad}'`);
  }
  const autoPad: AutoPad = spec.auto_pad;
  checkInts(site, 'kernel_shape', spec.kernel, n, 1);
  const strides = spec.strides ?? Array<number>(n).fill(1);
  checkInts(site, 'strides', strides, n, 1);
  const dilations = spec.dilations ?? Array<number>(n).fill(1);
  checkInts(site, 'dilations', dilations, n, 1);
  if (spec.ceil_mode !== 0 && spec.ceil_mode !== 1) {
    throw new ArgumentError(site, 'ceil_mode', '0 or 1', String(spec.ceil_mode));
  }
  if (spec.pads !== undefined) {
    checkInts(site, 'pads', spec.pads, 2 * n, 0);
    // The pads attribute "cannot be used simultaneously with auto_pad"; all-zero pads are harmless and
    // some exporters write them, so only non-zero pads conflict.
    if (autoPad !== 'NOTSET' && spec.pads.some((p) => p !== 0)) {
      throw new ArgumentError(site, 'pads', `no explicit pads with auto_pad=${autoPad}`, `[${spec.pads.join(',')}]`);
    }
  }
  const pads = autoPad === 'NOTSET' && spec.pads !== undefined ? [...spec.pads] : Array<number>(2 * n).fill(0);
  const outDims: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const k = spec.kernel[i];
    const s = strides[i];
    const effK = (k - 1) * dilations[i] + 1;
    const inSize = spatial[i];
    if (typeof inSize !== 'number') {
      // The size only survives when the window cannot change it.
      const keeps = (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER' ? s === 1 : s === 1 && effK === 1 && pads[i] === 0 && pads[i + n] === 0);
      outDims.push(keeps ? inSize : `${site.node}_${inSize}_out${i}`);
      continue;
    }
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      // total = (ceil(in/s) − 1)·s + effK − in, clamped at 0; the odd pixel goes at the end for
      // SAME_UPPER and at the beginning for SAME_LOWER (ONNX auto_pad doc).
      const target = Math.ceil(inSize / s);
      const total = Math.max(0, (target - 1) * s + effK - inSize);
      const small = Math.floor(total / 2);
      pads[i] = autoPad === 'SAME_UPPER' ? small : total - small;
      pads[i + n] = total - pads[i];
    }
    const padded = inSize + pads[i] + pads[i + n];
    if (padded < effK) {
      throw new ShapeError(site, 'X', `spatial axis ${i + 2} of at least ${effK - pads[i] - pads[i + n]} for kernel ${k} (dilation ${dilations[i]}, pads ${pads[i]}+${pads[i + n]})`, `${describeShape(spatial)} spatial dims`);
    }
    let out = Math.floor((padded - effK + (spec.ceil_mode ? s - 1 : 0)) / s) + 1;
    // ceil_mode: a window that would start in the end padding is dropped (ONNX MaxPool/AveragePool
    // doc, "Sliding windows that would start in the right padded region are ignored"; same rule as
    // PyTorch and onnxruntime).
    if (spec.ceil_mode && (out - 1) * s >= inSize + pads[i]) out--;
    outDims.push(out);
  }
  return { kernel: [...spec.kernel], strides, dilations, pads, outDims };
}

/** A window with every size concrete, in the 2-D routine layout (1-D maps to H = 1). */
export interface Window2d {
  readonly kernel: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly dilations: readonly [number, number];
  /** [top, left, bottom, right]. */
  readonly pads: readonly [number, number, number, number];
}

/** 1-D windows become 2-D ones over a unit height; 2-D ones are returned as tuples. */
export function window2d(w: Window): Window2d {
  if (w.kernel.length === 1) {
    return { kernel: [1, w.kernel[0]], strides: [1, w.strides[0]], dilations: [1, w.dilations[0]], pads: [0, w.pads[0], 0, w.pads[1]] };
  }
  return {
    kernel: [w.kernel[0], w.kernel[1]],
    strides: [w.strides[0], w.strides[1]],
    dilations: [w.dilations[0], w.dilations[1]],
    pads: [w.pads[0], w.pads[1], w.pads[2], w.pads[3]],
  };
}

/** NC + spatial dims as the NCHW tuple the 2-D routines take. */
export function nchw(dims: readonly number[]): [number, number, number, number] {
  return dims.length === 3 ? [dims[0], dims[1], 1, dims[2]] : [dims[0], dims[1], dims[2], dims[3]];
}

// ---------------------------------------------------------------------------------------------
// Pooling shared by MaxPool and AveragePool.

export type PoolFn = 'max' | 'avg';

/** Pool attributes common to MaxPool and AveragePool (ONNX names). */
export interface PoolWindowAttrs {
  readonly auto_pad: string;
  readonly ceil_mode: number;
  readonly dilations?: readonly number[] | undefined;
  readonly kernel_shape: readonly number[];
  readonly pads?: readonly number[] | undefined;
  readonly strides?: readonly number[] | undefined;
}

/**
 * The pool window. Explicit pads must be smaller than the kernel, as onnxruntime enforces ("Pad should
 * be smaller than kernel", pool_attributes.h): larger pads would make windows that see only padding.
 */
export function poolWindow(site: ErrorSite, spatial: readonly Dim[], attrs: PoolWindowAttrs): Window {
  const win = resolveWindow(site, spatial, {
    auto_pad: attrs.auto_pad,
    kernel: attrs.kernel_shape,
    strides: attrs.strides,
    dilations: attrs.dilations,
    pads: attrs.pads,
    ceil_mode: attrs.ceil_mode,
  });
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
  const inSp = x.dims.slice(2);
  const outSp = outDims.slice(2);
  const n = inSp.length;
  const inPlane = sizeOf(inSp);
  const outPlane = sizeOf(outSp);
  const inStrides = stridesOf(inSp);
  const outStrides = stridesOf(outSp);
  const kStrides = stridesOf(w.kernel);
  const taps = sizeOf(w.kernel);
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
