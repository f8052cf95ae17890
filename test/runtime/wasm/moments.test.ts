// Accuracy of the wasm moments' float32 blocks (runtime/wasm/routines/moments.ts) against a float64
// two-pass oracle on adversarial inputs — large offsets with small spreads, outliers first in a block,
// constant channels, short and odd runs, runs longer than a segment, non-stationary runs — with the
// CPU routine (float64 two-pass, the previous wasm algorithm) held to the same bounds; the fallback to
// float64 for data outside f32's comfortable range; bit-identical results with 1 and 2 threads. The
// same for short runs (channels-last [M, C], runs of R1 < 16), in column strips and in row tiles.

import { afterAll, describe, expect, it } from 'vitest';
import type { RoutineCall } from '../../../ops/kernel-ir.js';
import type { Backend } from '../../../runtime/backend.js';
import { CpuBackend } from '../../../runtime/cpu/cpu-backend.js';
import { BLOCK, MIN_TILE, SEGMENT, TILE_BLOCK_ROWS, VERTICAL_ROWS } from '../../../runtime/wasm/routines/moments/layout.js';
import { WasmBackend } from '../../../runtime/wasm/wasm-backend.js';
import { mulberry32 } from '../../helpers/random.js';
import { runRoutineOn, values } from './kernel-reference.js';

/**
 * Variance: relative error. An f32 lane's Σd² takes at most 64 roundings (a strip's 64 squares one by
 * one; a tile's 128 as 16 pairwise sums of 8) before float64, so rounding stays ~64·2^-24 in the worst
 * case and far less on average; round-to-nearest is biased on squares of quantized deviations (inputs
 * at an offset), which we observe at ≤ 5.2e-7 (tiles ≤ 3.9e-7). 1e-6 moves BN's 1/sqrt(var + ε) by at
 * most 5e-7 relative, a few float32 ulps.
 */
const VAR_RTOL = 1e-6;
/** Mean: absolute error in units of 2^-24·(|mean| + σ), one float32 ulp of the data's scale (observed ≤ 0.45). */
const MEAN_ULPS = 1;

// The float32 blocks run with precision 'float32'; the default 'float64' keeps the float64 two-pass.
const one = new WasmBackend({ threads: 1, precision: 'float32' });
const two = new WasmBackend({ threads: 2, precision: 'float32' });
const cpu = new CpuBackend();
afterAll(() => {
  one.dispose();
  two.dispose();
});

/** Data over [R0, K, R1] (statistics over axes 0 and 2): value(a, c, t, gauss) rounded to float32. */
function data(dims: readonly [number, number, number], seed: number, value: (a: number, c: number, t: number, gauss: () => number) => number): Float32Array {
  const [r0, k, r1] = dims;
  const rnd = mulberry32(seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const out = new Float32Array(r0 * k * r1);
  for (let a = 0; a < r0; a++) for (let c = 0; c < k; c++) for (let t = 0; t < r1; t++) out[(a * k + c) * r1 + t] = value(a, c, t, gauss);
  return out;
}

/** Float64 two-pass mean and population variance over axes 0 and 2 of [R0, K, R1]. */
function oracle([r0, k, r1]: readonly [number, number, number], x: Float32Array): { mean: Float64Array; variance: Float64Array } {
  const mean = new Float64Array(k);
  const variance = new Float64Array(k);
  for (let a = 0; a < r0; a++) for (let c = 0; c < k; c++) for (let t = 0; t < r1; t++) mean[c] += x[(a * k + c) * r1 + t];
  for (let c = 0; c < k; c++) mean[c] /= r0 * r1;
  for (let a = 0; a < r0; a++) for (let c = 0; c < k; c++) for (let t = 0; t < r1; t++) variance[c] += (x[(a * k + c) * r1 + t] - mean[c]) ** 2;
  for (let c = 0; c < k; c++) variance[c] /= r0 * r1;
  return { mean, variance };
}

function moments<B, C>(be: Backend<B, C>, dims: readonly number[], axes: readonly number[], x: Float32Array, k: number): [Float64Array, Float64Array] {
  const call: RoutineCall = { routine: 'moments', inDims: dims, axes, weighted: false, weightEpsilon: 0 };
  const [mean, variance] = runRoutineOn(be, call, [{ dtype: 'float32', data: x }], [{ dtype: 'float64', size: k }, { dtype: 'float64', size: k }]);
  return [values({ dtype: 'float64', data: mean }), values({ dtype: 'float64', data: variance })];
}

/** The worst mean error (in MEAN_ULPS units) and variance relative error over the channels. */
function errors(got: [Float64Array, Float64Array], want: { mean: Float64Array; variance: Float64Array }): { mean: number; variance: number } {
  let mean = 0;
  let variance = 0;
  want.mean.forEach((m, c) => {
    const v = want.variance[c];
    mean = Math.max(mean, Math.abs(got[0][c] - m) / (2 ** -24 * (Math.abs(m) + Math.sqrt(v))) || 0);
    variance = Math.max(variance, v === 0 ? Math.abs(got[1][c]) : Math.abs(got[1][c] - v) / v);
  });
  return { mean, variance };
}

type Case = [string, [number, number, number], (a: number, c: number, t: number, gauss: () => number) => number];

const offsets: Case[] = [];
for (const offset of [0, 1e4, 1e6, -3e5]) {
  for (const sigma of [1, 1e-3]) offsets.push([`offset ${offset}, σ ${sigma}`, [3, 4, 3000], (_a, _c, _t, g) => offset + sigma * g()]);
}
/** wasm moments over axes [0, 2] within the error bounds of the float64 oracle, as the CPU routine is. */
function expectWithinBounds(dims: Case[1], value: Case[2]): void {
    const x = data(dims, 17, value);
    const want = oracle(dims, x);
    const got = errors(moments(one, dims, [0, 2], x, dims[1]), want);
    const old = errors(moments(cpu, dims, [0, 2], x, dims[1]), want);
    expect(got.mean, 'mean').toBeLessThanOrEqual(MEAN_ULPS);
    expect(got.variance, 'variance').toBeLessThanOrEqual(VAR_RTOL);
    expect(old.mean).toBeLessThanOrEqual(MEAN_ULPS);
    expect(old.variance).toBeLessThanOrEqual(VAR_RTOL);
}

const adversarial: Case[] = [
  ...offsets,
  ['a 50σ outlier first in every block, offset 1e4', [4, 3, 5000], (_a, _c, t, g) => 1e4 + (t % BLOCK === 0 ? 50 : g())],
  ['a 50σ outlier first in every block, offset 1e6, σ 1e-3', [4, 3, 5000], (_a, _c, t, g) => 1e6 + 1e-3 * (t % BLOCK === 0 ? 50 : g())],
  ['a 50σ outlier first in every run of 196', [40, 3, 196], (_a, _c, t, g) => 1e4 + (t === 0 ? 50 : g())],
  ['a ramp of 100σ along each run (non-stationary blocks)', [4, 3, 3136], (_a, _c, t, g) => 1e4 + (100 * t) / 3136 + g()],
  ['a step of 1e5 inside each block', [4, 3, 3136], (_a, _c, t, g) => (t % BLOCK > 500 ? 1e5 : 0) + g()],
  ['every 64th value 1e3 below the rest', [4, 3, 3136], (_a, _c, t, g) => (t % 64 === 0 ? 0 : 1e3) + g()],
  // A unit's mean is first estimated from 16 values spread over it (⌊j·n/16⌋): make them all miss, so
  // the estimate is 16σ off and the unit is summed again about refined means.
  ['every 256th value 1e3 below the rest (a mean estimate off by 16σ)', [1, 3, 4096], (_a, _c, t, g) => (t % 256 === 0 ? 0 : 1e3) + g()],
  ['two values a float32 ulp apart at 1e6', [4, 3, 3000], (_a, _c, _t, g) => 1e6 + (g() < 0 ? 0 : 0.0625)],
  ['two values ±4093/1024 about 1e4 + 1 (quantized squares)', [4, 3, 3000], (_a, _c, _t, g) => 1e4 + 1 + (g() < 0 ? -1 : 1) * (4093 / 1024)],
  ['ReLU-like (half zeros)', [4, 3, 3136], (_a, _c, _t, g) => Math.max(0, g())],
  ['a run longer than a segment', [2, 3, SEGMENT * 2 + 7233], (_a, _c, _t, g) => 1e4 + g()],
  ['runs of 50176, offset 1e6, σ 1e-3', [1, 2, 50176], (_a, _c, _t, g) => 1e6 + 1e-3 * g()],
];
for (let r1 = 1; r1 <= 40; r1++) adversarial.push([`runs of ${r1}`, [37, 3, r1], (_a, c, _t, g) => 1e4 * c + g()]);

describe('wasm moments in float32 blocks', () => {
  it.each(adversarial)('%s: within the bounds, as the float64 CPU routine is', (_, dims, value) => expectWithinBounds(dims, value));

  it('constant channels: exactly their value and a variance of exactly 0', () => {
    const dims: [number, number, number] = [5, 4, 3001];
    const x = data(dims, 3, (_a, c) => 1e4 + 0.37 * c - 1e6 * (c === 3 ? 1 : 0));
    const [mean, variance] = moments(one, dims, [0, 2], x, 4);
    expect(Array.from(mean)).toEqual(Array.from({ length: 4 }, (_, c) => x[c * 3001]));
    expect(Array.from(variance)).toEqual([0, 0, 0, 0]);
  });

  it('NCHW per-channel statistics of image-like activations', () => {
    const dims = [8, 16, 56, 56];
    const x = data([8, 16, 3136], 5, (a, c, t, g) => Math.max(0, 3 * Math.sin(Math.floor(t / 56) / 5 + a) * Math.cos((t % 56) / 7 + c) + 0.3 * g()));
    const got = errors(moments(one, dims, [0, 2, 3], x, 16), oracle([8, 16, 3136], x));
    expect(got.mean).toBeLessThanOrEqual(MEAN_ULPS);
    expect(got.variance).toBeLessThanOrEqual(VAR_RTOL);
  });

  it.each([
    ['near float32 overflow (squares of 1e20)', 1e20],
    ['tiny spreads (squares in the f32 subnormals)', 1e-18],
  ])('%s: falls back to float64 accumulation', (_, scale) => {
    const dims: [number, number, number] = [2, 3, 1000];
    const x = data(dims, 9, (_a, _c, _t, g) => scale * g());
    const want = oracle(dims, x);
    const got = errors(moments(one, dims, [0, 2], x, 3), want);
    expect(got.mean).toBeLessThanOrEqual(1e-6);
    expect(got.variance).toBeLessThanOrEqual(1e-12);
  });

  it('NaN and infinite inputs give what the CPU routine gives', () => {
    const dims: [number, number, number] = [2, 3, 500];
    const x = data(dims, 4, (a, c, t, g) => (a === 1 && t === 7 ? [Number.NaN, Infinity, 1][c] : g()));
    const got = moments(one, dims, [0, 2], x, 3);
    const want = moments(cpu, dims, [0, 2], x, 3);
    for (let o = 0; o < 2; o++) {
      expect(Array.from(got[o]).slice(0, 2), ['mean', 'variance'][o]).toEqual(Array.from(want[o]).slice(0, 2));
      expect(got[o][2]).toBeCloseTo(want[o][2], 12);
    }
  });

  it.each([
    ['[8, 16, 56, 56]', [8, 16, 3136]],
    ['[32, 64, 14, 14]', [32, 64, 196]],
    ['[4, 8, 19, 23] (odd runs)', [4, 8, 437]],
    ['[2, 4, 40001]', [2, 4, 40001]],
  ] as [string, [number, number, number]][])('%s: bit-identical with 1 and 2 threads', (_, dims) => {
    const x = data(dims, 21, (a, c, t, g) => 1e4 + (t % 997 === 0 ? 50 : 0) + Math.sin(t / 300 + a + c) * 20 + g());
    expect(moments(two, dims, [0, 2], x, dims[1])).toEqual(moments(one, dims, [0, 2], x, dims[1]));
  });
});

/** [M, C] statistics over axis 0 as [R0, K, R1] = [M, C, 1]: strips below MIN_TILE columns, tiles from it. */
const STRIPS = 40;
const TILES = MIN_TILE + 37;

const vertical: Case[] = [];
for (const offset of [0, 1e4, 1e6, -3e5]) {
  for (const sigma of [1, 1e-3]) {
    for (const c of [STRIPS, TILES]) vertical.push([`[300, ${c}], offset ${offset}, σ ${sigma}`, [300, c, 1], (_a, _c, _t, g) => offset + sigma * g()]);
  }
}
/** Rows per vertical block of the path that takes `c` columns. */
const blockRows = (c: number): number => (c >= MIN_TILE ? TILE_BLOCK_ROWS : VERTICAL_ROWS);
for (const c of [STRIPS, TILES]) {
  const B = blockRows(c);
  vertical.push(
    [`[300, ${c}], a 50σ outlier first in every block, offset 1e4`, [300, c, 1], (a, _c, _t, g) => 1e4 + (a % B === 0 ? 50 : g())],
    [`[300, ${c}], a 50σ outlier first in every block, offset 1e6, σ 1e-3`, [300, c, 1], (a, _c, _t, g) => 1e6 + 1e-3 * (a % B === 0 ? 50 : g())],
    [`[300, ${c}], a 1e3σ outlier in the first row only`, [300, c, 1], (a, _c, _t, g) => 1e4 + (a === 0 ? 1e3 : g())],
    [`[1000, ${c}], a ramp of 100σ down the rows (non-stationary blocks)`, [1000, c, 1], (a, _c, _t, g) => 1e4 + (100 * a) / 1000 + g()],
    [`[300, ${c}], a step of 1e5 inside each block`, [300, c, 1], (a, _c, _t, g) => (a % B > 40 ? 1e5 : 0) + g()],
    // A block's first shift is the previous block's mean: make it miss by 1e4σ and by 1e3σ.
    [`[300, ${c}], a level change of 1e4σ at every block boundary`, [300, c, 1], (a, _c, _t, g) => 1e4 * (Math.floor(a / B) % 3) + g()],
    [`[300, ${c}], offset 1e3, σ 1e-3, a level change of 1 at every block boundary`, [300, c, 1], (a, _c, _t, g) => 1e3 + (Math.floor(a / B) % 2) + 1e-3 * g()],
    [`[300, ${c}], every 8th row 1e3 below the rest`, [300, c, 1], (a, _c, _t, g) => (a % 8 === 0 ? 0 : 1e3) + g()],
    [`[300, ${c}], two values a float32 ulp apart at 1e6`, [300, c, 1], (_a, _c, _t, g) => 1e6 + (g() < 0 ? 0 : 0.0625)],
    [`[300, ${c}], ReLU-like (half zeros)`, [300, c, 1], (_a, _c, _t, g) => Math.max(0, g())],
    [`[300, ${c}], columns at offsets 1e4·c`, [300, c, 1], (_a, c, _t, g) => 1e4 * c + g()],
  );
}
// One block of rows: its Σd is the mean's only rounding.
for (const c of [STRIPS, TILES]) vertical.push([`[${blockRows(c)}, ${c}], offset 0, σ 1 (one block)`, [blockRows(c), c, 1], (_a, _c, _t, g) => g()]);
for (let k = 1; k <= 37; k++) vertical.push([`[203, ${k}]`, [203, k, 1], (_a, c, _t, g) => 1e4 * (c % 5) - 3e3 * (c % 3) + g()]);
for (let r1 = 2; r1 <= 15; r1++) for (const k of [3, 13]) vertical.push([`[37, ${k}, ${r1}]`, [37, k, r1], (_a, c, _t, g) => 1e4 * c + g()]);
for (const r0 of [1, 2, 3, 257, 1000]) for (const k of [5, STRIPS, TILES]) vertical.push([`[${r0}, ${k}]`, [r0, k, 1], (_a, c, _t, g) => 1e4 + c + g()]);
vertical.push(['[300, 1030] (two tiles and a tail)', [300, 1030, 1], (_a, c, _t, g) => 1e4 * (c % 7) + g()]);
vertical.push(['[9000, 40] (row groups merged)', [9000, 40, 1], (a, c, _t, g) => 1e4 * (c % 3) + Math.sin(a / 500) * 5 + g()]);
vertical.push(['[2100, 130] (row groups merged, tiles)', [2100, 130, 1], (a, c, _t, g) => 1e4 * (c % 3) + Math.sin(a / 500) * 5 + g()]);
vertical.push(['[600, 100, 3] (tiles, runs of 3)', [600, 100, 3], (_a, c, t, g) => 1e4 * (c % 3) + t + g()]);

describe('wasm moments of short runs in float32 blocks', () => {
  it.each(vertical)('%s: within the bounds, as the float64 CPU routine is', (_, dims, value) => expectWithinBounds(dims, value));

  it.each([
    ['strips', [301, 39, 1]],
    ['tiles and a tail', [301, TILES, 1]],
    ['runs of 5', [301, 7, 5]],
  ] as [string, [number, number, number]][])('constant columns (%s): exactly their value and a variance of exactly 0', (_, dims) => {
    const x = data(dims, 3, (_a, c, t) => 1e4 + 0.37 * c + 0.01 * t - 1e6 * (c % 4 === 3 ? 1 : 0));
    const [mean, variance] = moments(one, dims, [0, 2], x, dims[1]);
    const want = oracle(dims, x);
    // A channel of R1 > 1 constant columns has their mean, whatever the float64 rounding of the merge.
    if (dims[2] === 1) expect(Array.from(mean)).toEqual(Array.from(x.subarray(0, dims[1])));
    else expect(errors([mean, variance], { mean: want.mean, variance: new Float64Array(dims[1]) }).mean).toBeLessThanOrEqual(MEAN_ULPS);
    if (dims[2] === 1) expect(Array.from(variance)).toEqual(new Array(dims[1]).fill(0));
  });

  it.each([
    ['near float32 overflow (squares of 1e20)', 1e20],
    ['tiny spreads (squares in the f32 subnormals)', 1e-18],
  ])('%s: falls back to float64 accumulation', (_, scale) => {
    for (const dims of [[200, 5, 1], [200, TILES, 1]] as [number, number, number][]) {
      const x = data(dims, 9, (_a, _c, _t, g) => scale * g());
      const got = errors(moments(one, dims, [0, 2], x, dims[1]), oracle(dims, x));
      expect(got.mean).toBeLessThanOrEqual(1e-6);
      expect(got.variance).toBeLessThanOrEqual(1e-12);
    }
  });

  it.each([
    ['strips', [300, 9, 1]],
    ['tiles and a tail', [300, TILES, 1]],
  ] as [string, [number, number, number]][])('NaN and infinite inputs (%s) give what the CPU routine gives', (_, dims) => {
    const special = [Number.NaN, Infinity, -Infinity, 3e38];
    const x = data(dims, 4, (a, c, _t, g) => (a === 150 && c < 4 ? special[c] : a === 151 && c === 4 ? Infinity : a === 152 && c === 4 ? -Infinity : g()));
    const got = moments(one, dims, [0, 2], x, dims[1]);
    const want = moments(cpu, dims, [0, 2], x, dims[1]);
    for (let o = 0; o < 2; o++) {
      expect(Array.from(got[o]).slice(0, 3), ['mean', 'variance'][o]).toEqual(Array.from(want[o]).slice(0, 3));
      expect(got[o][4], ['mean', 'variance'][o]).toEqual(want[o][4]);
      for (const c of [3, ...Array.from({ length: dims[1] - 5 }, (_, i) => i + 5)]) expect(got[o][c]).toBeCloseTo(want[o][c], 9);
    }
  });

  it.each([
    ['[256, 1024]', [256, 1024, 1]],
    ['[1000, 37]', [1000, 37, 1]],
    ['[20000, 37] (row groups)', [20000, 37, 1]],
    ['[4096, 130] (row groups, tiles)', [4096, 130, 1]],
    ['[64, 32, 9]', [64, 32, 9]],
  ] as [string, [number, number, number]][])('%s: bit-identical with 1 and 2 threads', (_, dims) => {
    const x = data(dims, 21, (a, c, t, g) => 1e4 + (a % 97 === 0 ? 50 : 0) + Math.sin(a / 300 + c + t) * 20 + g());
    expect(moments(two, dims, [0, 2], x, dims[1])).toEqual(moments(one, dims, [0, 2], x, dims[1]));
  });
});

describe("wasm moments with the default precision 'float64'", () => {
  const exact = new WasmBackend({ threads: 1 });
  afterAll(() => exact.dispose());
  it.each(adversarial.slice(0, 6))('%s: float64 two-pass, the CPU routine to float64 rounding', (_, dims, value) => {
    const x = data(dims, 17, value);
    const got = moments(exact, dims, [0, 2], x, dims[1]);
    const want = moments(cpu, dims, [0, 2], x, dims[1]);
    for (let c = 0; c < dims[1]; c++) {
      expect(Math.abs(got[0][c] - want[0][c])).toBeLessThanOrEqual(1e-12 * (Math.abs(want[0][c]) + 1));
      expect(Math.abs(got[1][c] - want[1][c])).toBeLessThanOrEqual(1e-12 * want[1][c] + 1e-300);
    }
  });
  it.each(vertical.filter((_, i) => i % 7 === 0))('%s: float64 two-pass, the CPU routine to float64 rounding', (_, dims, value) => {
    const x = data(dims, 17, value);
    const got = moments(exact, dims, [0, 2], x, dims[1]);
    const want = moments(cpu, dims, [0, 2], x, dims[1]);
    for (let c = 0; c < dims[1]; c++) {
      expect(Math.abs(got[0][c] - want[0][c])).toBeLessThanOrEqual(1e-12 * (Math.abs(want[0][c]) + 1));
      expect(Math.abs(got[1][c] - want[1][c])).toBeLessThanOrEqual(1e-12 * want[1][c] + 1e-300);
    }
  });
  it("precision 'float32' is what takes the float32 blocks (the variances differ in the low bits)", () => {
    const dims: [number, number, number] = [4, 3, 3000];
    const x = data(dims, 2, (_a, c, _t, g) => 1e4 * c + g());
    expect(moments(one, dims, [0, 2], x, 3)[1]).not.toEqual(moments(exact, dims, [0, 2], x, 3)[1]);
    for (const short of [[300, 40, 1], [300, TILES, 1]] as [number, number, number][]) {
      const y = data(short, 2, (_a, c, _t, g) => 1e4 * c + g());
      expect(moments(one, short, [0, 2], y, short[1])[1]).not.toEqual(moments(exact, short, [0, 2], y, short[1])[1]);
    }
  });
});

describe('wasm moments into float32 outputs', () => {

  // The trust check runs on pairs of channels and on an odd last one alone: make only that one
  // untrustworthy (f32 squares that overflow, or that fall into the subnormals), so the float64 path
  // computes the outputs, here float32, against the float64 oracle rounded.
  it.each([
    ['runs', [2, 3, 1000]],
    ['column strips', [200, 5, 1]],
    ['tiles', [200, TILES, 1]],
  ] as [string, [number, number, number]][])('%s: an odd last channel float32 cannot hold falls back to float64', (_, dims) => {
    const k = dims[1];
    const call: RoutineCall = { routine: 'moments', inDims: dims, axes: [0, 2], weighted: false, weightEpsilon: 0 };
    for (const scale of [1e19, 1e-18]) {
      const x = data(dims, 11, (_a, c, _t, g) => (c === k - 1 ? scale * g() : 1e3 + g()));
      const want = oracle(dims, x);
      const [mean, variance] = runRoutineOn(one, call, [{ dtype: 'float32', data: x }], [{ dtype: 'float32', size: k }, { dtype: 'float32', size: k }]).map((o) => values({ dtype: 'float32', data: o }));
      for (let c = 0; c < k; c++) {
        const sd = Math.sqrt(want.variance[c]);
        expect(Math.abs(mean[c] - want.mean[c]), `${scale}, channel ${c} mean`).toBeLessThanOrEqual(2 ** -23 * (Math.abs(want.mean[c]) + sd));
        expect(Math.abs(variance[c] - want.variance[c]), `${scale}, channel ${c} variance`).toBeLessThanOrEqual(2 ** -23 * want.variance[c]);
      }
    }
  });

  // The Moments op may ask for float32 mean and variance: the finish rounds the same float64 results
  // (Math.fround of the float64-output run), for runs and columns, an odd and an even channel count.
  it.each([
    ['runs', [3, 5, 500]],
    ['columns', [256, 37, 1]],
    ['tiles', [64, TILES + 1, 1]],
  ] as [string, [number, number, number]][])('%s: each output is the float64 result rounded to float32', (_, dims) => {
    const x = data(dims, 8, (_a, c, t, g) => 100 * c + 0.01 * t + g());
    const k = dims[1];
    const call: RoutineCall = { routine: 'moments', inDims: dims, axes: [0, 2], weighted: false, weightEpsilon: 0 };
    const run = (m: 'float32' | 'float64', v: 'float32' | 'float64'): Float64Array[] =>
      runRoutineOn(one, call, [{ dtype: 'float32', data: x }], [{ dtype: m, size: k }, { dtype: v, size: k }]).map((o, i) => values({ dtype: i === 0 ? m : v, data: o }));
    const [mean, variance] = run('float64', 'float64');
    for (const [m, v] of [['float32', 'float32'], ['float32', 'float64'], ['float64', 'float32']] as const) {
      const [gm, gv] = run(m, v);
      expect(Array.from(gm), `${m} mean`).toEqual(Array.from(mean, (y) => (m === 'float32' ? Math.fround(y) : y)));
      expect(Array.from(gv), `${v} variance`).toEqual(Array.from(variance, (y) => (v === 'float32' ? Math.fround(y) : y)));
    }
  });
});

// BatchNormalization's training form asks the statistics routine for its per-channel outputs too:
// a = scale/√(var + ε) in float64 and the running statistics running·momentum + batch·(1 − momentum),
// here against the same formulas over the float64 oracle's statistics (within the statistics' own
// error), for both backends, with and without the running outputs, and into float32 running outputs.
describe('moments with the batchNorm option', () => {
  const bn = { epsilon: 1e-3, momentum: 0.9 };
  it.each([
    ['runs', [2, 6, 700]],
    ['tiles', [150, TILES, 1]],
  ] as [string, [number, number, number]][])('%s: a and the running statistics follow the batch statistics', (_, dims) => {
    const k = dims[1];
    const x = data(dims, 21, (_a, c, _t, g) => 50 * c + (1 + c / 10) * g());
    const want = oracle(dims, x);
    const rnd = mulberry32(5);
    const scale = Float32Array.from({ length: k }, () => 0.5 + rnd());
    const runMean = Float32Array.from({ length: k }, () => rnd() * 10);
    const runVar = Float32Array.from({ length: k }, () => 0.5 + rnd());
    const call: RoutineCall = { routine: 'moments', inDims: dims, axes: [0, 2], weighted: false, weightEpsilon: 0, batchNorm: bn };
    const f32 = (data: Float32Array): { dtype: 'float32'; data: Float32Array } => ({ dtype: 'float32', data });
    for (const be of [one, two, cpu] as Backend<unknown, unknown>[]) {
      for (const running of [true, false]) {
        const outs = runRoutineOn(
          be,
          call,
          running ? [f32(x), f32(scale), f32(runMean), f32(runVar)] : [f32(x), f32(scale)],
          [
            { dtype: 'float64', size: k },
            { dtype: 'float64', size: k },
            { dtype: 'float64', size: k },
            ...(running ? [{ dtype: 'float32' as const, size: k }, { dtype: 'float32' as const, size: k }] : []),
          ],
        );
        expect(outs).toHaveLength(running ? 5 : 3);
        const [mean, variance, a] = outs.slice(0, 3).map((o) => values({ dtype: 'float64', data: o }));
        for (let c = 0; c < k; c++) {
          // Exactly the formulas over the routine's own statistics, and those within the oracle's bounds.
          expect(a[c]).toBe(scale[c] / Math.sqrt(variance[c] + bn.epsilon));
          expect(Math.abs(variance[c] - want.variance[c])).toBeLessThanOrEqual(VAR_RTOL * want.variance[c]);
          expect(Math.abs(a[c] - scale[c] / Math.sqrt(want.variance[c] + bn.epsilon))).toBeLessThanOrEqual(VAR_RTOL * a[c]);
        }
        if (!running) continue;
        const [rm, rv] = outs.slice(3).map((o) => values({ dtype: 'float32', data: o }));
        for (let c = 0; c < k; c++) {
          expect(rm[c]).toBe(Math.fround(runMean[c] * 0.9 + mean[c] * (1 - 0.9)));
          expect(rv[c]).toBe(Math.fround(runVar[c] * 0.9 + variance[c] * (1 - 0.9)));
          expect(Math.abs(rm[c] - (0.9 * runMean[c] + 0.1 * want.mean[c]))).toBeLessThanOrEqual(1e-6 * (Math.abs(rm[c]) + 1));
        }
      }
    }
  });
});

describe('moments with the batchNorm option, float64 parameters', () => {
  // Not a float32 model: the wasm routine writes the per-channel outputs through heap views in
  // JavaScript (runtime/batch-norm-channels.ts) rather than its f64x2 function; same operations.
  it('a and float64 running statistics follow the formulas on both backends', () => {
    const dims: [number, number, number] = [40, TILES, 1];
    const k = dims[1];
    const x = data(dims, 23, (_a, c, _t, g) => 7 * c + g());
    const rnd = mulberry32(9);
    const params = [0, 1, 2].map(() => Float64Array.from({ length: k }, () => 0.5 + rnd()));
    const call: RoutineCall = { routine: 'moments', inDims: dims, axes: [0, 2], weighted: false, weightEpsilon: 0, batchNorm: { epsilon: 1e-5, momentum: 0.99 } };
    for (const be of [one, two, cpu] as Backend<unknown, unknown>[]) {
      const outs = runRoutineOn(
        be,
        call,
        [{ dtype: 'float32', data: x }, ...params.map((data) => ({ dtype: 'float64' as const, data }))],
        Array.from({ length: 5 }, () => ({ dtype: 'float64' as const, size: k })),
      ).map((o) => values({ dtype: 'float64', data: o }));
      const [mean, variance, a, rm, rv] = outs;
      for (let c = 0; c < k; c++) {
        expect(a[c]).toBe(params[0][c] / Math.sqrt(variance[c] + 1e-5));
        expect(rm[c]).toBe(params[1][c] * 0.99 + mean[c] * (1 - 0.99));
        expect(rv[c]).toBe(params[2][c] * 0.99 + variance[c] * (1 - 0.99));
      }
    }
  });
});
