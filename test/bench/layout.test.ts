// bench/peers/layout.ts: the channels-last copies tfjs is fed with, checked element by element against
// index arithmetic written here.

import { describe, expect, it } from 'vitest';
import { nchwToNhwc, nhwcDims, nhwcToNchw, oihwToHwio } from '../../bench/peers/layout.js';

const iota = (n: number): Float32Array => Float32Array.from({ length: n }, (_, i) => i);

describe('NCHW <-> NHWC', () => {
  it('moves element (n, c, h, w) to (n, h, w, c) and back', () => {
    const dims = [2, 3, 4, 5];
    const x = iota(120);
    const y = nchwToNhwc(x, dims);
    expect(nhwcDims(dims)).toEqual([2, 4, 5, 3]);
    for (let n = 0; n < 2; n++)
      for (let c = 0; c < 3; c++)
        for (let h = 0; h < 4; h++)
          for (let w = 0; w < 5; w++) expect(y[((n * 4 + h) * 5 + w) * 3 + c]).toBe(x[((n * 3 + c) * 4 + h) * 5 + w]);
    expect(nhwcToNchw(y, dims)).toEqual(x);
  });

  it('leaves rank-2 [N, C] data as it is (the channel axis is already last)', () => {
    const x = iota(6);
    expect(nchwToNhwc(x, [2, 3])).toBe(x);
    expect(nhwcToNchw(x, [2, 3])).toBe(x);
    expect(nhwcDims([2, 3])).toEqual([2, 3]);
  });
});

describe('OIHW -> HWIO', () => {
  it('moves weight (o, i, h, w) to (h, w, i, o)', () => {
    const dims = [4, 3, 2, 2];
    const x = iota(48);
    const y = oihwToHwio(x, dims);
    for (let o = 0; o < 4; o++)
      for (let i = 0; i < 3; i++)
        for (let h = 0; h < 2; h++)
          for (let w = 0; w < 2; w++) expect(y[((h * 2 + w) * 3 + i) * 4 + o]).toBe(x[((o * 3 + i) * 2 + h) * 2 + w]);
  });
});
