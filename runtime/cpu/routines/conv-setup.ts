// The setup the CPU conv2d and convTranspose2d routines share: the call's operands, output store, NCHW
// sizes and 2-D window unpacked into scalars, and the per-tap ranges that keep their inner loops test-free.

import { outputStore, StoreRun } from './epilogue.js';
import type { CallOf, FloatArray } from './types.js';

/** For each tap k: the grid positions p in [lo[k], hi[k]) with 0 <= p·stride − pad + k·dilation < limit. */
export function tapRanges(count: number, limit: number, taps: number, stride: number, pad: number, dilation: number): { lo: Int32Array; hi: Int32Array } {
  const lo = new Int32Array(taps);
  const hi = new Int32Array(taps);
  for (let t = 0; t < taps; t++) {
    const shift = t * dilation - pad;
    // p·stride + shift >= 0  and  p·stride + shift <= limit − 1
    const first = Math.max(0, Math.ceil(-shift / stride));
    const last = Math.min(count - 1, Math.floor((limit - 1 - shift) / stride));
    lo[t] = first;
    hi[t] = Math.max(first, last + 1);
  }
  return { lo, hi };
}

/** A conv2d or convTranspose2d call unpacked; the channel counts M and C/group are read per routine (W's layout differs). */
export interface ConvSetup {
  readonly x: FloatArray;
  readonly w: FloatArray;
  readonly bias: FloatArray | undefined;
  /** Stores a finished output plane, through the fused epilogue when the call has one. */
  readonly store: StoreRun;
  /** Batch, input channels, input height and width. */
  readonly nb: number;
  readonly c: number;
  readonly h: number;
  readonly wd: number;
  /** Kernel height and width; output height and width. */
  readonly kh: number;
  readonly kw: number;
  readonly oh: number;
  readonly ow: number;
  /** Strides, dilations and the begin pads (top, left); the end pads are folded into the output size. */
  readonly sh: number;
  readonly sw: number;
  readonly dh: number;
  readonly dw: number;
  readonly pt: number;
  readonly pl: number;
  readonly inPlane: number;
  readonly outPlane: number;
}

export function convSetup(call: CallOf<'conv2d' | 'convTranspose2d'>, inputs: readonly FloatArray[], outputs: readonly FloatArray[]): ConvSetup {
  const [nb, c, h, wd] = call.xDims;
  const [, , kh, kw] = call.wDims;
  const [, , oh, ow] = call.outDims;
  const [sh, sw] = call.strides;
  const [dh, dw] = call.dilations;
  const [pt, pl] = call.pads;
  return {
    x: inputs[0],
    w: inputs[1],
    bias: call.hasBias ? inputs[2] : undefined,
    store: outputStore(call, inputs, outputs[0]),
    nb, c, h, wd, kh, kw, oh, ow, sh, sw, dh, dw, pt, pl,
    inPlane: h * wd,
    outPlane: oh * ow,
  };
}
