// 2-D max and average pooling over NCHW windows (strides, dilations, asymmetric pads). max ignores
// padding and propagates NaN; avg divides by the taps inside X, or with countIncludePad by the taps inside
// the padded extent [−pad_begin, in + pad_end), so a ceil_mode overhang past the end padding never counts.

import type { RoutineImpl } from './types.js';

export interface AxisTaps {
  /** Per output position: first and one-past-last tap index whose input position is inside X (lo >= hi: none). */
  readonly lo: Int32Array;
  readonly hi: Int32Array;
  /** Per output position: taps inside the padded extent. */
  readonly padded: Int32Array;
}

export function axisTaps(outSize: number, size: number, taps: number, stride: number, padBegin: number, padEnd: number, dilation: number): AxisTaps {
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const padded = new Int32Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const start = o * stride - padBegin;
    let first = taps;
    let last = -1;
    let count = 0;
    for (let t = 0; t < taps; t++) {
      const pos = start + t * dilation;
      if (pos >= 0 && pos < size) {
        if (first === taps) first = t;
        last = t;
      }
      if (pos >= -padBegin && pos < size + padEnd) count++;
    }
    lo[o] = first;
    hi[o] = last + 1;
    padded[o] = count;
  }
  return { lo, hi, padded };
}

export const pool2d: RoutineImpl<'pool2d'> = (call, inputs, outputs) => {
  const x = inputs[0];
  const out = outputs[0];
  const [nb, c, h, w] = call.xDims;
  const [, , oh, ow] = call.outDims;
  const [kh, kw] = call.kernel;
  const [sh, sw] = call.strides;
  const [dh, dw] = call.dilations;
  const [pt, pl, pb, pr] = call.pads;
  const rows = axisTaps(oh, h, kh, sh, pt, pb, dh);
  const cols = axisTaps(ow, w, kw, sw, pl, pr, dw);
  const isMax = call.fn === 'max';
  for (let plane = 0; plane < nb * c; plane++) {
    const xBase = plane * h * w;
    const oBase = plane * oh * ow;
    for (let y = 0; y < oh; y++) {
      const y0 = y * sh - pt;
      const r0 = rows.lo[y];
      const r1 = rows.hi[y];
      for (let xo = 0; xo < ow; xo++) {
        const x0 = xo * sw - pl;
        const c0 = cols.lo[xo];
        const c1 = cols.hi[xo];
        let acc = isMax ? -Infinity : 0;
        for (let ty = r0; ty < r1; ty++) {
          const rowBase = xBase + (y0 + ty * dh) * w + x0;
          if (isMax) {
            for (let tx = c0; tx < c1; tx++) {
              const v = x[rowBase + tx * dw];
              // v !== v: NaN wins and stays (acc > NaN and NaN > acc are both false afterwards).
              if (v > acc || v !== v) acc = acc !== acc ? acc : v;
            }
          } else {
            for (let tx = c0; tx < c1; tx++) acc += x[rowBase + tx * dw];
          }
        }
        if (isMax) out[oBase + y * ow + xo] = acc;
        else {
          // Positions grow with the tap index, so the taps inside X are the contiguous range [lo, hi).
          const count = call.countIncludePad ? rows.padded[y] * cols.padded[xo] : Math.max(0, r1 - r0) * Math.max(0, c1 - c0);
          out[oBase + y * ow + xo] = acc / count;
        }
      }
    }
  }
};

