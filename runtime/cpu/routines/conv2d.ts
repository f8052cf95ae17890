// Direct 2-D convolution over NCHW with groups, strides, dilations, asymmetric pads and optional bias.
// Each output plane is accumulated in float64, one weight tap at a time over the output rows and
// columns whose input position is inside X (the ranges are precomputed, so the inner loop has no tests).

import { convSetup, tapRanges } from './conv-setup.js';
import type { RoutineImpl } from './types.js';

export const conv2d: RoutineImpl<'conv2d'> = (call, inputs, outputs) => {
  const { x, w, bias, store, nb, c, h, wd, kh, kw, oh, ow, sh, sw, dh, dw, pt, pl, inPlane, outPlane } = convSetup(call, inputs, outputs);
  const [m, cg] = call.wDims;
  const mg = m / call.group;
  // Per tap, the output rows and columns whose input position is inside X.
  const rows = tapRanges(oh, h, kh, sh, pt, dh);
  const cols = tapRanges(ow, wd, kw, sw, pl, dw);
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
