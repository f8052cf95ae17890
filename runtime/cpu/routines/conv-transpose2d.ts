// Transposed 2-D convolution over NCHW with groups, strides, dilations, begin pads and optional bias.
// Each output plane is accumulated in float64 by scattering every input row through every weight tap;
// the input rows and columns that land inside the output are precomputed per tap (no tests inside).

import { convSetup, tapRanges } from './conv-setup.js';
import type { RoutineImpl } from './types.js';

export const convTranspose2d: RoutineImpl<'convTranspose2d'> = (call, inputs, outputs) => {
  const { x, w, bias, store, nb, c, h, wd, kh, kw, oh, ow, sh, sw, dh, dw, pt, pl, inPlane, outPlane } = convSetup(call, inputs, outputs);
  const [, mg] = call.wDims;
  const [, m] = call.outDims;
  const cg = c / call.group;
  // Per tap, the input rows and columns that land inside the output.
  const rows = tapRanges(h, oh, kh, sh, pt, dh);
  const cols = tapRanges(wd, ow, kw, sw, pl, dw);
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
