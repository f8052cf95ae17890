// Transposed 2-D convolution over NCHW with groups, strides, dilations, begin pads and optional bias.
// Each output plane is accumulated in float64 by scattering every input row through every weight tap;
// the input rows and columns that land inside the output are precomputed per tap (no tests inside).

import { outputStore } from './epilogue.js';
import type { RoutineImpl } from './types.js';

/** For each tap k: the input positions i in [lo[k], hi[k]) with 0 <= i·stride − pad + k·dilation < outSize. */
function landingRanges(inSize: number, outSize: number, taps: number, stride: number, pad: number, dilation: number): { lo: Int32Array; hi: Int32Array } {
  const lo = new Int32Array(taps);
  const hi = new Int32Array(taps);
  for (let t = 0; t < taps; t++) {
    const shift = t * dilation - pad;
    const first = Math.max(0, Math.ceil(-shift / stride));
    const last = Math.min(inSize - 1, Math.floor((outSize - 1 - shift) / stride));
    lo[t] = first;
    hi[t] = Math.max(first, last + 1);
  }
  return { lo, hi };
}

export const convTranspose2d: RoutineImpl<'convTranspose2d'> = (call, inputs, outputs) => {
  const [x, w] = inputs;
  const bias = call.hasBias ? inputs[2] : undefined;
  const store = outputStore(call, inputs, outputs[0]);
  const [nb, c, h, wd] = call.xDims;
  const [, mg, kh, kw] = call.wDims;
  const [, m, oh, ow] = call.outDims;
  const [sh, sw] = call.strides;
  const [dh, dw] = call.dilations;
  const [pt, pl] = call.pads;
  const cg = c / call.group;
  const rows = landingRanges(h, oh, kh, sh, pt, dh);
  const cols = landingRanges(wd, ow, kw, sw, pl, dw);
  const outPlane = oh * ow;
  const inPlane = h * wd;
  const acc = new Float64Array(outPlane);
  for (let n = 0; n < nb; n++) {
    for (let oc = 0; oc < m; oc++) {
      const g = Math.floor(oc / mg);
      const mi = oc - g * mg;
      acc.fill(bias === undefined ? 0 : bias[oc]);
      for (let ci = g * cg; ci < (g + 1) * cg; ci++) {
        const xPlane = (n * c + ci) * inPlane;
        const wBase = (ci * mg + mi) * kh * kw;
        for (let ty = 0; ty < kh; ty++) {
          const rowShift = ty * dh - pt;
          for (let tx = 0; tx < kw; tx++) {
            const wv = w[wBase + ty * kw + tx];
            const colShift = tx * dw - pl;
            const c0 = cols.lo[tx];
            const c1 = cols.hi[tx];
            for (let iy = rows.lo[ty]; iy < rows.hi[ty]; iy++) {
              const aRow = (iy * sh + rowShift) * ow + colShift;
              const xRow = xPlane + iy * wd;
              for (let ix = c0; ix < c1; ix++) acc[aRow + ix * sw] += wv * x[xRow + ix];
            }
          }
        }
      }
      store(acc, 0, (n * m + oc) * outPlane, outPlane);
    }
  }
};
