// Pad/crop over any rank: a per-axis table maps each output coordinate to its input coordinate (or −1,
// the constant fill); the output is then walked row by row with an odometer over the outer axes.

import type { PadMode } from '../../../ops/kernel-ir.js';
import type { RoutineImpl } from './types.js';

/** Input coordinate of each output coordinate along one axis (crop first, then the mode reads the rest). */
function axisMap(size: number, begin: number, end: number, outSize: number, mode: PadMode): Int32Array {
  const map = new Int32Array(outSize);
  const start = Math.max(0, -begin);
  const len = size - start - Math.max(0, -end);
  const shift = Math.max(0, begin);
  for (let o = 0; o < outSize; o++) {
    let q = o - shift;
    if (q < 0 || q >= len) {
      if (mode === 'constant') q = -1;
      else if (mode === 'edge') q = q < 0 ? 0 : len - 1;
      else if (mode === 'wrap') q = ((q % len) + len) % len;
      else if (len === 1) q = 0;
      else {
        const period = 2 * len - 2;
        q = ((q % period) + period) % period;
        if (q >= len) q = period - q;
      }
    }
    map[o] = q < 0 ? -1 : start + q;
  }
  return map;
}

export const pad: RoutineImpl<'pad'> = (call, inputs, outputs) => {
  const x = inputs[0];
  const y = outputs[0];
  const { inDims, outDims, pads, mode, value } = call;
  const r = inDims.length;
  if (y.length === 0) return;
  if (r === 0) {
    y[0] = x[0];
    return;
  }
  const maps = inDims.map((d, a) => axisMap(d, pads[a], pads[a + r], outDims[a], mode));
  const inStrides = new Array<number>(r);
  for (let a = r - 1, s = 1; a >= 0; a--) {
    inStrides[a] = s;
    s *= inDims[a];
  }
  const last = maps[r - 1];
  const rowLen = outDims[r - 1];
  const coord = new Array<number>(r - 1).fill(0);
  for (let o = 0; o < y.length; ) {
    // Offset of this row's outer coordinates, or −1 when any of them is in the constant fill.
    let base = 0;
    for (let a = 0; a < r - 1 && base >= 0; a++) {
      const s = maps[a][coord[a]];
      base = s < 0 ? -1 : base + s * inStrides[a];
    }
    if (base < 0) y.fill(value, o, o + rowLen);
    else for (let j = 0; j < rowLen; j++) y[o + j] = last[j] < 0 ? value : x[base + last[j]];
    o += rowLen;
    for (let a = r - 2; a >= 0; a--) {
      if (++coord[a] < outDims[a]) break;
      coord[a] = 0;
    }
  }
};
