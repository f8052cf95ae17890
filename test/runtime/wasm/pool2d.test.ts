// The wasm pool2d routine: max and average pooling against a float64 oracle written here (windows
// clipped to X; max ignores padding and lets a NaN win; avg divides by the taps inside X, or by those
// inside the padded extent with countIncludePad), bit-identical to the CPU routine, and the same for
// 1 and 2 threads. Shapes cover strides, dilations, asymmetric pads, ceil-mode overhangs and windows
// that lie wholly in the padding.

import { describe, expect, it } from 'vitest';
import type { RoutineCall } from '../../../ops/kernel-ir.js';
import { CpuBackend } from '../../../runtime/cpu/cpu-backend.js';
import { randomValues } from '../../helpers/random.js';
import { backendsByThreads, runRoutineOn, storage } from './kernel-reference.js';

type PoolCall = Extract<RoutineCall, { routine: 'pool2d' }>;

const wasm = backendsByThreads();
const cpu = new CpuBackend();

interface Shape {
  readonly name: string;
  readonly x: [number, number, number, number];
  readonly k: [number, number];
  readonly s: [number, number];
  readonly p: [number, number, number, number];
  readonly d: [number, number];
  /** Extra output rows/columns past the floor formula (ceil_mode overhang). */
  readonly extra?: [number, number];
}

const SHAPES: Shape[] = [
  { name: 'ResNet stem 3×3/2 pad 1', x: [2, 5, 17, 16], k: [3, 3], s: [2, 2], p: [1, 1, 1, 1], d: [1, 1] },
  { name: '2×2/2 no pad', x: [1, 3, 8, 9], k: [2, 2], s: [2, 2], p: [0, 0, 0, 0], d: [1, 1] },
  { name: 'asymmetric pads, stride 1', x: [1, 2, 7, 6], k: [3, 2], s: [1, 1], p: [2, 0, 1, 1], d: [1, 1] },
  { name: 'dilation 2', x: [1, 2, 11, 10], k: [3, 3], s: [1, 2], p: [2, 1, 2, 1], d: [2, 2] },
  { name: 'ceil-mode overhang', x: [1, 2, 7, 7], k: [3, 3], s: [2, 2], p: [0, 0, 0, 0], d: [1, 1], extra: [1, 1] },
  { name: 'windows wholly in the padding', x: [1, 1, 2, 2], k: [2, 2], s: [1, 1], p: [3, 3, 3, 3], d: [1, 1] },
];

function call(shape: Shape, fn: 'max' | 'avg', countIncludePad: boolean): PoolCall {
  const [n, c, h, w] = shape.x;
  const out = (size: number, a: 0 | 1): number => Math.floor((size + shape.p[a] + shape.p[a + 2] - shape.d[a] * (shape.k[a] - 1) - 1) / shape.s[a]) + 1 + (shape.extra?.[a] ?? 0);
  return { routine: 'pool2d', fn, xDims: shape.x, kernel: shape.k, strides: shape.s, pads: shape.p, dilations: shape.d, countIncludePad, outDims: [n, c, out(h, 0), out(w, 1)] };
}

/** Straightforward float64 pooling. */
function oracle(k: PoolCall, x: Float32Array): Float64Array {
  const [n, c, h, w] = k.xDims;
  const [, , oh, ow] = k.outDims;
  const out = new Float64Array(n * c * oh * ow);
  for (let pl = 0; pl < n * c; pl++) {
    for (let y = 0; y < oh; y++) {
      for (let xo = 0; xo < ow; xo++) {
        let max = -Infinity;
        let nan = false;
        let sum = 0;
        let inside = 0;
        let padded = 0;
        for (let ty = 0; ty < k.kernel[0]; ty++) {
          for (let tx = 0; tx < k.kernel[1]; tx++) {
            const iy = y * k.strides[0] - k.pads[0] + ty * k.dilations[0];
            const ix = xo * k.strides[1] - k.pads[1] + tx * k.dilations[1];
            const inPad = iy >= -k.pads[0] && iy < h + k.pads[2] && ix >= -k.pads[1] && ix < w + k.pads[3];
            if (inPad) padded++;
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
            const v = x[(pl * h + iy) * w + ix];
            inside++;
            sum += v;
            if (Number.isNaN(v)) nan = true;
            else max = Math.max(max, v);
          }
        }
        out[(pl * oh + y) * ow + xo] = k.fn === 'max' ? (nan ? Number.NaN : max) : sum / (k.countIncludePad ? padded : inside);
      }
    }
  }
  return out;
}

describe('wasm pool2d', () => {
  const cases = SHAPES.flatMap((s) => [
    [s.name, 'max', false, s],
    [s.name, 'avg', false, s],
    [s.name, 'avg', true, s],
  ] as const);
  it.each(cases)('%s: %s (countIncludePad %s) matches the oracle, the CPU routine bit for bit, 1 and 2 threads alike', (_, fn, includePad, shape) => {
    const k = call(shape, fn, includePad);
    const size = shape.x.reduce((a, b) => a * b, 1);
    const data = Float32Array.from(randomValues(size, { seed: 5, low: -3, high: 3 }));
    data[3] = Number.NaN;
    data[size - 2] = -Infinity;
    const x = storage('float32', Array.from(data));
    const outSize = k.outDims.reduce((a, b) => a * b, 1);
    const run = (be: Parameters<typeof runRoutineOn>[0]): Float32Array => runRoutineOn(be, k, [{ dtype: 'float32', data: x }], [{ dtype: 'float32', size: outSize }])[0] as Float32Array;
    const one = run(wasm(1));
    expect(wasm(1).stats.wasmRoutines).toBeGreaterThan(0);
    const want = oracle(k, x as Float32Array);
    want.forEach((w, i) => {
      if (!Number.isFinite(w)) expect(one[i], `element ${i}`).toBe(w);
      else expect(Math.abs(one[i] - w), `element ${i}`).toBeLessThanOrEqual(fn === 'max' ? 0 : 1e-6 * Math.max(1, Math.abs(w)));
    });
    expect(Array.from(one)).toEqual(Array.from(run(cpu)));
    expect(Array.from(run(wasm(2)))).toEqual(Array.from(one));
  });
});

describe('wasm max pool in f32x4 lanes (interior columns four at a time)', () => {
  // Rows wide enough for several groups of four interior windows, with stride 1 and 2 (the strides
  // gathered into lanes), dilation, and data full of NaNs, signed zeros and infinities: every lane
  // must keep the CPU routine's fold (the first NaN wins, a tie keeps the earlier value, so +0 and −0
  // come out as the earlier one), bit for bit.
  const LANE_SHAPES: Shape[] = [
    { name: '3×3/1 pad 1', x: [1, 3, 9, 37], k: [3, 3], s: [1, 1], p: [1, 1, 1, 1], d: [1, 1] },
    { name: '3×3/2 pad 1 (ResNet)', x: [2, 2, 11, 41], k: [3, 3], s: [2, 2], p: [1, 1, 1, 1], d: [1, 1] },
    { name: '2×2/2 no pad', x: [1, 2, 8, 30], k: [2, 2], s: [2, 2], p: [0, 0, 0, 0], d: [1, 1] },
    { name: '3×3/2 dilation 2, asymmetric pads', x: [1, 2, 12, 35], k: [3, 3], s: [2, 2], p: [0, 2, 1, 0], d: [2, 2] },
  ];
  const specials = [Number.NaN, 0, -0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1, 1];
  it.each(LANE_SHAPES.map((s) => [s.name, s] as const))('%s: bit-identical to the CPU routine and the oracle, 1 and 2 threads alike', (_, shape) => {
    const k = call(shape, 'max', false);
    const size = shape.x.reduce((a, b) => a * b, 1);
    const data = Float32Array.from(randomValues(size, { seed: 11, low: -2, high: 2 }));
    // Every 5th value special, so most windows hold several (a NaN in about one window in four).
    const pick = randomValues(size, { seed: 12, low: 0, high: specials.length });
    for (let i = 0; i < size; i += 5) data[i] = specials[Math.floor(pick[i])];
    const x = storage('float32', Array.from(data));
    const outSize = k.outDims.reduce((a, b) => a * b, 1);
    const run = (be: Parameters<typeof runRoutineOn>[0]): Float32Array => runRoutineOn(be, k, [{ dtype: 'float32', data: x }], [{ dtype: 'float32', size: outSize }])[0] as Float32Array;
    const bits = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
    const one = run(wasm(1));
    const want = oracle(k, x as Float32Array);
    want.forEach((w, i) => expect(Number.isNaN(w) ? Number.isNaN(one[i]) : one[i] === w, `element ${i}: ${one[i]} vs ${w}`).toBe(true));
    expect(bits(one)).toEqual(bits(run(cpu)));
    expect(bits(run(wasm(2)))).toEqual(bits(one));
  });
});
