// Direct 2-D convolution over NCHW with groups, strides, dilations, asymmetric pads and optional bias.
// Each output plane is accumulated in float64, one weight tap at a time over the output rows and
// columns whose input position is inside X (the ranges are precomputed, so the inner loop has no tests).

import { outputStore } from './epilogue.js';
import type { RoutineImpl } from './types.js';

/** For each tap k: the output positions o in [lo[k], hi[k]) with 0 <= o·stride − pad + k·dilation < size. */
function validRanges(outSize: number, size: number, taps: number, stride: number, pad: number, dilation: number): { lo: Int32Array; hi: Int32Array } {
  const lo = new Int32Array(taps);
  const hi = new Int32Array(taps);
  for (let t = 0; t < taps; t++) {
    const shift = t * dilation - pad;
    // o·stride + shift >= 0  and  o·stride + shift <= size − 1
    const first = Math.max(0, Math.ceil(-shift / stride));
    const last = Math.min(outSize - 1, Math.floor((size - 1 - shift) / stride));
    lo[t] = first;
    hi[t] = Math.max(first, last + 1);
  }
  return { lo, hi };
}

export const conv2d: RoutineImpl<'conv2d'> = (call, inputs, outputs) => {
  const [x, w] = inputs;
  const bias = call.hasBias ? inputs[2] : undefined;
  const store = outputStore(call, inputs, outputs[0]);
  const [nb, c, h, wd] = call.xDims;
  const [m, cg, kh, kw] = call.wDims;
  const [, , oh, ow] = call.outDims;
  const [sh, sw] = call.strides;
  const [dh, dw] = call.dilations;
  const [pt, pl] = call.pads;
  const mg = m / call.group;
  const rows = validRanges(oh, h, kh, sh, pt, dh);
  const cols = validRanges(ow, wd, kw, sw, pl, dw);
  const outPlane = oh * ow;
  const inPlane = h * wd;
  const acc = new Float64Array(outPlane);
  for (let n = 0; n < nb; n++) {
    for (let oc = 0; oc < m; oc++) {
      const g = Math.floor(oc / mg);
      acc.fill(bias === undefined ? 0 : bias[oc]);
      for (let ci = 0; ci < cg; ci++) {
        const xPlane = (n * c + g * cg + ci) * inPlane;
        const wBase = (oc * cg + ci) * kh * kw;
        for (let ty = 0; ty < kh; ty++) {
          const rowShift = ty * dh - pt;
          for (let tx = 0; tx < kw; tx++) {
            const wv = w[wBase + ty * kw + tx];
            const colShift = tx * dw - pl;
            const c0 = cols.lo[tx];
            const c1 = cols.hi[tx];
            for (let y = rows.lo[ty]; y < rows.hi[ty]; y++) {
              const xRow = xPlane + (y * sh + rowShift) * wd + colShift;
              const aRow = y * ow;
              for (let xo = c0; xo < c1; xo++) acc[aRow + xo] += wv * x[xRow + xo * sw];
            }
          }
        }
      }
      store(acc, 0, (n * m + oc) * outPlane, outPlane);
    }
  }
};
