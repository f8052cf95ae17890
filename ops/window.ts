// Sliding-window geometry shared by Conv, ConvTranspose, MaxPool and AveragePool: auto_pad, pads,
// strides, dilations and ceil_mode checked and resolved to per-axis pads and output sizes in one place,
// following ONNX convPoolShapeInference (onnx/defs/nn/defs.cc), and the index arithmetic of a window.

import { ArgumentError, describeShape, ErrorSite, ShapeError } from '../core/errors.js';
import { Dim, sizeOf, stridesOf } from '../core/shape.js';

export const AUTO_PADS = ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'] as const;
export type AutoPad = (typeof AUTO_PADS)[number];

/** The window attributes Conv, ConvTranspose, MaxPool and AveragePool all have (ONNX names). */
export interface WindowAttrs {
  /** NOTSET | SAME_UPPER | SAME_LOWER | VALID (deprecated in ONNX, still common). */
  readonly auto_pad: string;
  /** Default: 1 along each spatial axis. */
  readonly dilations?: readonly number[] | undefined;
  /** [x1_begin, x2_begin, …, x1_end, x2_end, …]; default 0. */
  readonly pads?: readonly number[] | undefined;
  /** Default: 1 along each spatial axis. */
  readonly strides?: readonly number[] | undefined;
}

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

/** A list attribute of `length` integers >= min; `what` says what the entries are, for the message. */
export function checkInts(site: ErrorSite, name: string, v: readonly number[], length: number, min: number, what: string): void {
  if (v.length !== length || v.some((x) => !Number.isInteger(x) || x < min)) {
    throw new ArgumentError(site, name, `${length} integers >= ${min} (${what})`, `[${v.join(',')}]`);
  }
}

/** The checked window attributes every windowed op has, with the ONNX defaults filled in. */
export interface CheckedWindowAttrs {
  readonly autoPad: AutoPad;
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
}

/** auto_pad, kernel, strides and dilations over n spatial axes: the checks Conv, ConvTranspose and the pools share. */
export function checkWindowAttrs(
  site: ErrorSite,
  n: number,
  autoPad: string,
  kernel: readonly number[],
  strides: readonly number[] | undefined,
  dilations: readonly number[] | undefined,
): CheckedWindowAttrs {
  if (!isAutoPad(autoPad)) {
    throw new ArgumentError(site, 'auto_pad', `one of ${AUTO_PADS.join('|')}`, `'${autoPad}'`);
  }
  checkInts(site, 'kernel_shape', kernel, n, 1, 'one per spatial axis');
  const s = strides ?? Array<number>(n).fill(1);
  checkInts(site, 'strides', s, n, 1, 'one per spatial axis');
  const d = dilations ?? Array<number>(n).fill(1);
  checkInts(site, 'dilations', d, n, 1, 'one per spatial axis');
  return { autoPad, strides: s, dilations: d };
}

/** An explicit pads attribute: 2·n integers >= 0, and none non-zero alongside an auto_pad. */
export function checkPads(site: ErrorSite, pads: readonly number[], n: number, autoPad: AutoPad, what: string): void {
  checkInts(site, 'pads', pads, 2 * n, 0, what);
  // The pads attribute "cannot be used simultaneously with auto_pad"; all-zero pads are harmless and
  // some exporters write them, so only non-zero pads conflict.
  if (autoPad !== 'NOTSET' && pads.some((p) => p !== 0)) {
    throw new ArgumentError(site, 'pads', `no explicit pads with auto_pad=${autoPad}`, `[${pads.join(',')}]`);
  }
}

/**
 * Resolve the window over the spatial dims of X (everything after N and C). Throws ArgumentError for
 * bad attributes and ShapeError when X is too small for the (dilated, padded) kernel.
 */
export function resolveWindow(site: ErrorSite, spatial: readonly Dim[], spec: WindowSpec): Window {
  const n = spatial.length;
  const { autoPad, strides, dilations } = checkWindowAttrs(site, n, spec.auto_pad, spec.kernel, spec.strides, spec.dilations);
  if (spec.ceil_mode !== 0 && spec.ceil_mode !== 1) {
    throw new ArgumentError(site, 'ceil_mode', '0 or 1', String(spec.ceil_mode));
  }
  if (spec.pads !== undefined) checkPads(site, spec.pads, n, autoPad, 'one per spatial axis begin and end');
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

/** resolveWindow for an op's attributes; the kernel comes separately (kernel_shape, or W's dims for Conv). */
export function windowOf(site: ErrorSite, spatial: readonly Dim[], attrs: WindowAttrs, kernel: readonly number[], ceilMode: number): Window {
  return resolveWindow(site, spatial, {
    auto_pad: attrs.auto_pad,
    kernel,
    strides: attrs.strides,
    dilations: attrs.dilations,
    pads: attrs.pads,
    ceil_mode: ceilMode,
  });
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

/** Row-major index arithmetic of a window walked over N-D spatial planes, for the tap-by-tap references. */
export interface PlaneGeometry {
  /** Spatial dims of the input and output (everything after N and C). */
  readonly inSp: readonly number[];
  readonly outSp: readonly number[];
  readonly inStrides: readonly number[];
  readonly outStrides: readonly number[];
  /** Strides of a row-major walk over the kernel taps. */
  readonly kStrides: readonly number[];
  readonly taps: number;
  readonly inPlane: number;
  readonly outPlane: number;
}

/** The geometry of a window of `kernel` from N-C-spatial `inDims` to N-C-spatial `outDims`. */
export function planeGeometry(inDims: readonly number[], outDims: readonly number[], kernel: readonly number[]): PlaneGeometry {
  const inSp = inDims.slice(2);
  const outSp = outDims.slice(2);
  return {
    inSp,
    outSp,
    inStrides: stridesOf(inSp),
    outStrides: stridesOf(outSp),
    kStrides: stridesOf(kernel),
    taps: sizeOf(kernel),
    inPlane: sizeOf(inSp),
    outPlane: sizeOf(outSp),
  };
}
