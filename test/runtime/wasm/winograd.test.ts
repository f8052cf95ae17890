// The wasm Winograd F(2×2, 3×3) and F(4×4, 3×3) convolutions (runtime/wasm/routines/winograd*.ts):
// which calls take them and which variant, that the transform matrices realize F(2, 3) and F(4, 3),
// that the tile tables cover every output once, and the float32 results of both variants against the
// float64 reference on adversarial data (inputs offset by 100, mixed per-channel scales), with pads
// 0/1/asymmetric, odd and tiny images, channel counts that are not multiples of 4 or 8, batches,
// bias on/off and a fused epilogue — bit-identical with 1, 2 and 3 threads.

import { describe, expect, it } from 'vitest';
import type { Storage } from '../../../core/dtype.js';
import { sizeOf } from '../../../core/shape.js';
import { E, RoutineCall } from '../../../ops/kernel-ir.js';
import { convAlgorithm } from '../../../runtime/wasm/routines/conv2d.js';
import type { WasmRoutineContext } from '../../../runtime/wasm/routines/context.js';
import { filterColumns, sliceStride, vectorEdgeReads, vGroupBudget, V_GROUP_BYTES, V_GROUP_BYTES_PER_IMAGE, winogradBlocking, winogradConv, winogradVariant, type WinogradOptions } from '../../../runtime/wasm/routines/winograd.js';
import { groupLayout, groupTable, tileCount } from '../../../runtime/wasm/routines/winograd-tiles.js';
import { apply1d, F2, F4, type WinogradVariant } from '../../../runtime/wasm/routines/winograd-transforms.js';
import { WasmBackend } from '../../../runtime/wasm/wasm-backend.js';
import { mulberry32 } from '../../helpers/random.js';
import { backendsByThreads, runRoutineOn, storage } from './kernel-reference.js';

type Conv2dCall = Extract<RoutineCall, { routine: 'conv2d' }>;

const wasm = backendsByThreads();

function conv3x3(xDims: [number, number, number, number], m: number, pads: [number, number, number, number], hasBias: boolean, extra: Partial<Conv2dCall> = {}): Conv2dCall {
  const [n, c, h, w] = xDims;
  const k = extra.wDims?.[2] ?? 3;
  const s = extra.strides?.[0] ?? 1;
  const d = extra.dilations?.[0] ?? 1;
  const g = extra.group ?? 1;
  const oh = Math.floor((h + pads[0] + pads[2] - d * (k - 1) - 1) / s) + 1;
  const ow = Math.floor((w + pads[1] + pads[3] - d * (k - 1) - 1) / s) + 1;
  return { routine: 'conv2d', xDims, wDims: [m, c / g, k, k], hasBias, group: g, strides: [s, s], pads, dilations: [d, d], outDims: [n, m, oh, ow], ...extra };
}

describe('convAlgorithm', () => {
  it('takes Winograd for 3×3 stride-1 undilated single-group convolutions with enough channels', () => {
    expect(convAlgorithm(conv3x3([8, 64, 56, 56], 64, [1, 1, 1, 1], true))).toBe('winograd');
    expect(convAlgorithm(conv3x3([1, 512, 7, 7], 512, [1, 1, 1, 1], false))).toBe('winograd');
    expect(convAlgorithm(conv3x3([1, 16, 7, 7], 16, [1, 1, 1, 1], false))).toBe('winograd');
    expect(convAlgorithm(conv3x3([1, 16, 1, 40], 16, [1, 1, 1, 1], false))).toBe('winograd');
  });
  it('keeps im2col or the direct kernel for everything else', () => {
    expect(convAlgorithm(conv3x3([1, 64, 56, 56], 64, [1, 1, 1, 1], true, { strides: [2, 2] }))).toBe('im2col');
    expect(convAlgorithm(conv3x3([1, 64, 56, 56], 64, [2, 2, 2, 2], true, { dilations: [2, 2] }))).toBe('im2col');
    expect(convAlgorithm(conv3x3([1, 64, 56, 56], 64, [1, 1, 1, 1], true, { group: 2 }))).toBe('im2col');
    expect(convAlgorithm(conv3x3([1, 64, 56, 56], 64, [0, 0, 0, 0], true, { wDims: [64, 64, 1, 1] }))).toBe('im2col');
    expect(convAlgorithm(conv3x3([1, 64, 56, 56], 64, [2, 2, 2, 2], true, { wDims: [64, 64, 5, 5] }))).toBe('im2col');
    expect(convAlgorithm(conv3x3([1, 8, 56, 56], 64, [1, 1, 1, 1], true))).toBe('im2col');
    expect(convAlgorithm(conv3x3([1, 64, 56, 56], 8, [1, 1, 1, 1], true))).toBe('im2col');
    // Fewer than 16 output tiles per image: the 8-tile panels would be mostly padding.
    expect(convAlgorithm(conv3x3([8, 64, 6, 6], 64, [1, 1, 1, 1], true))).toBe('im2col');
    expect(convAlgorithm(conv3x3([1, 64, 56, 56], 64, [1, 1, 1, 1], true, { group: 64 }))).toBe('direct');
  });
});

describe('winogradVariant', () => {
  it('takes F(4×4) where an image has enough tiles and F(2×2) on small images', () => {
    expect(winogradVariant(56, 56)).toBe(F4);
    expect(winogradVariant(28, 28)).toBe(F4);
    // 14×14: 16 F(4×4) tiles × 36 = 576 against 49 → 56 F(2×2) panel columns × 16 = 896.
    expect(winogradVariant(14, 14)).toBe(F4);
    // 7×7: 4 F(4×4) tiles fill half a panel: 8 × 36 = 288 against 16 × 16 = 256.
    expect(winogradVariant(7, 7)).toBe(F2);
    expect(winogradVariant(1, 40)).toBe(F2);
  });
  it('counts the tiles of a batch run as one sequence: F(4×4) for eight 7×7 images', () => {
    // 8 × 4 = 32 tiles × 36 = 1152 against 128 × 16 = 2048; two images: 8 × 36 = 288 against 32 × 16 = 512.
    expect(winogradVariant(7, 7, 8)).toBe(F4);
    expect(winogradVariant(7, 7, 2)).toBe(F4);
    expect(winogradVariant(2, 3, 8)).toBe(F2);
  });
});

const variants = [F2, F4];

describe.each(variants)('Winograd transforms and tiles ($name)', (v) => {
  it('Aᵀ[(G g) ⊙ (Bᵀ d)] is the 1-D correlation of d with g (float64, small integers)', () => {
    const rnd = mulberry32(7);
    for (let trial = 0; trial < 50; trial++) {
      const d = Array.from({ length: v.a }, () => Math.round(20 * rnd()) - 10);
      const g = Array.from({ length: 3 }, () => Math.round(20 * rnd()) - 10);
      const u = apply1d(v.weight, g);
      const vv = apply1d(v.input, d);
      const y = apply1d(v.output, u.map((ui, i) => ui * vv[i]));
      const want = Array.from({ length: v.m }, (_, o) => g[0] * d[o] + g[1] * d[o + 1] + g[2] * d[o + 2]);
      // F(2×2)'s scales (1, ½) are exact; F(4×4)'s G holds float32 roundings of ⅙ and 1/24 (relative error ≤ 2⁻²⁴).
      if (v === F2) expect(y).toEqual(want);
      else y.forEach((yo, o) => expect(Math.abs(yo - want[o])).toBeLessThanOrEqual(1e-6 * (1 + 3 * 10 * 10 * 4)));
    }
  });

  it.each([
    ['even output, pad 1', 8, 8, 8, 8, 1, 1],
    ['odd output, straddling groups', 7, 11, 7, 11, 1, 1],
    ['no pad', 9, 6, 7, 4, 0, 0],
    ['asymmetric pads', 5, 6, 6, 4, 2, 0],
    ['a single output', 1, 1, 1, 1, 1, 1],
    ['F(4×4) tiles cut by the edge', 14, 14, 14, 14, 1, 1],
  ])('tile tables (%s) store every output once and read only inside the image', (_, H, W, OH, OW, padTop, padLeft) => {
    const geo = { H, W, OH, OW, padTop, padLeft };
    const groups = Math.ceil(tileCount(geo, v.m) / 4) + 1;
    const t = groupTable(v, geo, groups);
    const L = groupLayout(v);
    const f = L.bytes / 4;
    const all = 2 ** (v.m * v.m) - 1;
    const stored = new Array<number>(OH * OW).fill(0);
    for (let q = 0; q < groups; q++) {
      for (let l = 0; l < 4; l++) {
        const origin = t[q * f + L.outOffset / 4 + l] / 4;
        const bits = t[q * f + L.outBits / 4 + l];
        for (let b = 0; b < v.m * v.m; b++) if (bits & (1 << b)) stored[origin + Math.floor(b / v.m) * OW + (b % v.m)]++;
        for (let p = 0; p < v.xi; p++) {
          const off = t[q * f + L.inOffset / 4 + 4 * p + l];
          expect(off >= 0 && off < 4 * H * W).toBe(true);
          if (t[q * f + L.inMask / 4 + 4 * p + l] === 0) expect(off).toBe(0);
          // A fast group's windows are wholly inside: every position of every lane is a real input.
          if (t[q * f + L.fastIn / 4] === 1) expect(t[q * f + L.inMask / 4 + 4 * p + l]).toBe(-1);
        }
      }
      if (t[q * f + L.fastOut / 4] === 1) expect([0, 1, 2, 3].map((l) => t[q * f + L.outBits / 4 + l])).toEqual([all, all, all, all]);
    }
    expect(stored).toEqual(new Array<number>(OH * OW).fill(1));
  });
});

describe.each(variants)('Winograd tile sequences over a batch ($name)', (v) => {
  it('store every output of every image once, at its image\'s offsets, with groups straddling images', () => {
    // 25 F(2×2) or 9 F(4×4) tiles an image: groups of 4 straddle images.
    const geo = { H: 9, W: 9, OH: 9, OW: 9, padTop: 1, padLeft: 1 };
    const images = 3;
    const inStride = 4 * 5 * geo.H * geo.W;
    const outStride = 4 * 6 * geo.OH * geo.OW;
    const perImage = tileCount(geo, v.m);
    const groups = Math.ceil((images * perImage) / 4) + 1;
    const t = groupTable(v, geo, groups, { count: images, inStride, outStride });
    const L = groupLayout(v);
    const f = L.bytes / 4;
    const stored = new Array<number>(images * outStride / 4).fill(0);
    let straddling = 0;
    for (let q = 0; q < groups; q++) {
      const imagesOf = new Set<number>();
      for (let l = 0; l < 4; l++) {
        const T = 4 * q + l;
        const origin = t[q * f + L.outOffset / 4 + l] / 4;
        const bits = t[q * f + L.outBits / 4 + l];
        if (T < images * perImage) imagesOf.add(Math.floor(T / perImage));
        for (let b = 0; b < v.m * v.m; b++) if (bits & (1 << b)) stored[origin + Math.floor(b / v.m) * geo.OW + (b % v.m)]++;
        for (let p = 0; p < v.xi; p++) {
          const off = t[q * f + L.inOffset / 4 + 4 * p + l];
          if (t[q * f + L.inMask / 4 + 4 * p + l] === 0) expect(off).toBe(0);
          // Inside its own image's planes (channel 0's, here).
          else expect(off - Math.floor(T / perImage) * inStride).toBeLessThan(4 * geo.H * geo.W);
        }
      }
      if (imagesOf.size > 1) {
        straddling++;
        // Tiles of two images are never read or stored side by side.
        if (v === F2) expect(t[q * f + L.fastIn / 4]).toBe(0);
      }
    }
    expect(straddling).toBeGreaterThan(0);
    for (let n = 0; n < images; n++) {
      const plane = stored.slice((n * outStride) / 4, (n * outStride) / 4 + geo.OH * geo.OW);
      expect(plane).toEqual(new Array<number>(geo.OH * geo.OW).fill(1));
    }
    expect(stored.reduce((a, b) => a + b, 0)).toBe(images * geo.OH * geo.OW);
  });
});

describe('Winograd blocking', () => {
  it('shares the smaller transformed operand, blocks tiles for L2 and bounds the per-thread filters', () => {
    // 64 → 64 at 56×56: U 256 KiB < V 3.1 MiB (batch 1): filters shared, M split only for a second thread.
    expect(winogradBlocking(F2, 64, 64, 784, 8, 1)).toEqual({ shared: 'filters', Tp: 32, nTB: 25, MB: 16, MC: 64, nMC: 1, groupBlocks: 0 });
    expect(winogradBlocking(F2, 128, 128, 196, 1, 2)).toEqual({ shared: 'filters', Tp: 16, nTB: 13, MB: 16, MC: 128, nMC: 1, groupBlocks: 0 });
    // 256 → 256 at 14×14: U 4 MiB > V 4 blocks × 257 KiB; per-thread U of 16 rows × 16 × 256 floats = 256 KiB;
    // one image's V groups hold 768 KiB: two blocks each (four with two images).
    expect(winogradBlocking(F2, 256, 256, 49, 1, 1)).toEqual({ shared: 'inputs', Tp: 16, nTB: 4, MB: 16, MC: 0, nMC: 0, groupBlocks: 2 });
    expect(winogradBlocking(F2, 256, 256, 49, 2, 1).groupBlocks).toBe(5);
    // 512 → 512 at 7×7: one 512 KiB block per image, 4 rows of filters (16 × 516 floats each: filterColumns
    // pads the 2 KiB rows; 8 would pass 256 KiB); batch 8 fits V_GROUP_BYTES (4 MiB).
    expect(filterColumns(512)).toBe(516);
    expect(filterColumns(37)).toBe(40);
    expect(winogradBlocking(F2, 512, 512, 16, 1, 2)).toEqual({ shared: 'inputs', Tp: 16, nTB: 1, MB: 4, MC: 0, nMC: 0, groupBlocks: 1 });
    // Its ξ slices are 32 KiB, a multiple of 2 KiB: a cache line apart more (sliceStride), so 7 fit, not 8.
    expect(sliceStride(2 * 512 * 32)).toBe(32768 + 64);
    expect(sliceStride(1536)).toBe(1536);
    expect(winogradBlocking(F2, 512, 512, 16, 8, 1).groupBlocks).toBe(Math.floor(V_GROUP_BYTES / (16 * (32768 + 64))));
    expect(winogradBlocking(F2, 512, 512, 16, 9, 1).groupBlocks).toBe(7);
    expect(winogradBlocking(F2, 37, 37, 3, 1, 2)).toEqual({ shared: 'inputs', Tp: 8, nTB: 1, MB: 32, MC: 0, nMC: 0, groupBlocks: 1 });
    // F(4×4), 64 → 64 at 56×56 (196 tiles): V of 16 tiles × 36 × 64 floats = 144 KiB; U 576 KiB < V.
    expect(winogradBlocking(F4, 64, 64, 196, 1, 1)).toEqual({ shared: 'filters', Tp: 16, nTB: 13, MB: 16, MC: 64, nMC: 1, groupBlocks: 0 });
    // F(4×4), 128 → 128 at 28×28 (49 tiles): U 2.25 MiB > V 4 blocks × 290 KiB; two blocks per group at batch 1.
    expect(winogradBlocking(F4, 128, 128, 49, 1, 1)).toEqual({ shared: 'inputs', Tp: 16, nTB: 4, MB: 12, MC: 0, nMC: 0, groupBlocks: 2 });
    expect(vGroupBudget(1)).toBe(V_GROUP_BYTES_PER_IMAGE);
    expect(vGroupBudget(8)).toBe(V_GROUP_BYTES);
    // F(4×4), 256 → 256 at 14×14 (16 tiles): U 9 MiB > V 576 KiB; 4 rows of filters (36 KiB each, 144 KiB).
    expect(winogradBlocking(F4, 256, 256, 16, 1, 1)).toEqual({ shared: 'inputs', Tp: 16, nTB: 1, MB: 4, MC: 0, nMC: 0, groupBlocks: 1 });
  });
});

/**
 * Float64 reference y and three error scales per output: Σ|w||x| + |b|, Σ_c ‖w_c‖₁·max|x_c| + |b| over
 * the 3×3 window, and the same over the (m+2)×(m+2) input window of the output's F(m×m) tile.
 */
function reference(x: Float64Array, w: Float64Array, bias: Float64Array | undefined, call: Conv2dCall, tile = 2): { y: Float64Array; sumAbs: Float64Array; windowMax: Float64Array; tileMax: Float64Array } {
  const [N, C, H, W] = call.xDims;
  const M = call.wDims[0];
  const [, , OH, OW] = call.outDims;
  const [pt, pl] = call.pads;
  const size = N * M * OH * OW;
  const y = new Float64Array(size);
  const sumAbs = new Float64Array(size);
  const windowMax = new Float64Array(size);
  const tileMax = new Float64Array(size);
  for (let n = 0; n < N; n++) {
    for (let m = 0; m < M; m++) {
      for (let oy = 0; oy < OH; oy++) {
        for (let ox = 0; ox < OW; ox++) {
          const b = bias === undefined ? 0 : bias[m];
          let s = b;
          let a = Math.abs(b);
          let wm = Math.abs(b);
          let tm = Math.abs(b);
          for (let c = 0; c < C; c++) {
            let wl1 = 0;
            let xmax = 0;
            let tmax = 0;
            const ty0 = oy - (oy % tile) - pt;
            const tx0 = ox - (ox % tile) - pl;
            for (let iy = Math.max(0, ty0); iy < Math.min(H, ty0 + tile + 2); iy++) {
              for (let ix = Math.max(0, tx0); ix < Math.min(W, tx0 + tile + 2); ix++) tmax = Math.max(tmax, Math.abs(x[((n * C + c) * H + iy) * W + ix]));
            }
            for (let ky = 0; ky < 3; ky++) {
              for (let kx = 0; kx < 3; kx++) {
                const wv = w[((m * C + c) * 3 + ky) * 3 + kx];
                wl1 += Math.abs(wv);
                const iy = oy - pt + ky;
                const ix = ox - pl + kx;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                const xv = x[((n * C + c) * H + iy) * W + ix];
                s += wv * xv;
                a += Math.abs(wv * xv);
                xmax = Math.max(xmax, Math.abs(xv));
              }
            }
            wm += wl1 * xmax;
            tm += wl1 * tmax;
          }
          const o = ((n * M + m) * OH + oy) * OW + ox;
          y[o] = s;
          sumAbs[o] = a;
          windowMax[o] = wm;
          tileMax[o] = tm;
        }
      }
    }
  }
  return { y, sumAbs, windowMax, tileMax };
}

type Data = 'offset 100' | 'mixed scales' | 'uniform';

/** Inputs: uniform [−1, 1) (+100 for 'offset 100'; 'mixed scales': per-channel 10^−2 … 10^2, offset by twice that). */
function inputsFor(call: Conv2dCall, data: Data, seed: number): { x: Float64Array; w: Float64Array; bias?: Float64Array } {
  const rnd = mulberry32(seed);
  const [N, C, H, W] = call.xDims;
  const M = call.wDims[0];
  const u = (): number => 2 * rnd() - 1;
  const x = new Float64Array(N * C * H * W);
  for (let i = 0; i < x.length; i++) {
    const c = Math.floor(i / (H * W)) % C;
    const scale = data === 'mixed scales' ? 10 ** ((c % 5) - 2) : 1;
    x[i] = Math.fround(data === 'offset 100' ? 100 + u() : data === 'mixed scales' ? scale * (2 + u()) : u());
  }
  const w = new Float64Array(M * C * 9);
  for (let i = 0; i < w.length; i++) {
    const c = Math.floor(i / 9) % C;
    const m = Math.floor(i / (9 * C));
    const scale = data === 'mixed scales' ? 10 ** (((m + 2 * c) % 3) - 1) : 1;
    w[i] = Math.fround(scale * u());
  }
  const bias = call.hasBias ? Float64Array.from({ length: M }, () => Math.fround(10 * u())) : undefined;
  return { x, w, bias };
}

/**
 * Error bounds, relative to Σ_c ‖w_c‖₁·max|x_c| over a window (+|b|), the scale Winograd's float32
 * error follows (Lavin & Gray §5; Barabasz et al. 2020): the transformed tiles mix the window's inputs
 * before the products, so the rounding of a product is relative to the window's largest input rather
 * than to the input it is paired with in the direct sum.
 *   F(2×2): over the output's 3×3 window. Rounding errors: the filter and input transforms (≤ 3
 *           additions each, one exact ½), the C-term float32 dot product, the output transform (≤ 8
 *           additions). Worst case ~(C + 20)·u·(transform norms); random rounding errors grow like √C,
 *           and the largest observed ratio over the cases below is 2.8e-7 (~5u, C ≤ 160): 2e-6.
 *   F(4×4): over the tile's 6×6 window (G's ⅙ and 1/24 are rounded, so the rest of the window no
 *           longer cancels exactly), with transform coefficients up to 5 (Bᵀ) and 8 (Aᵀ): the
 *           largest observed ratio is 1.1e-6 (~19u, mixed channel scales): 1e-5.
 * Both keep about an order of magnitude of margin while still catching any wrong tap or tile (an error
 * of one term is ≥ 1/(9C) ≈ 7e-4 of the scale).
 */
const WINOGRAD_RTOL: Readonly<Record<WinogradVariant['name'], number>> = { F2: 2e-6, F4: 1e-5 };

/** |got − want| ≤ rtol·scale everywhere (an all-padding window without bias is exactly 0). */
function expectWithin(got: Storage, want: Float64Array, scale: Float64Array, rtol: number, what: string): void {
  let worst = 0;
  let worstAt = -1;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(Number(got[i]) - want[i]);
    const ratio = err === 0 ? 0 : err / scale[i];
    if (!(ratio <= worst)) {
      worst = ratio;
      worstAt = i;
    }
  }
  expect(worst, `${what}: element ${worstAt} is ${got[worstAt]}, expected ${want[worstAt]}`).toBeLessThanOrEqual(rtol);
}

interface Case {
  readonly name: string;
  readonly call: Conv2dCall;
  readonly data: Data;
  /** Bound on the shared transformed inputs (several groups of tile blocks on a small call). */
  readonly vGroupBytes?: number;
}

/**
 * Run variant `v` on a backend: through the routine where conv2d.ts picks it (Winograd, and this
 * variant for the call's batch, whose tiles run as one sequence), else (images below the size
 * threshold, the other variant, a V bound) winogradConv on the backend's routine context directly.
 */
function runWinograd(be: WasmBackend, call: Conv2dCall, inputs: readonly { dtype: 'float32'; data: Storage }[], v: WinogradVariant, options: Omit<WinogradOptions, 'variant'> = {}): Storage {
  const [, , OH, OW] = call.outDims;
  if (convAlgorithm(call) === 'winograd' && winogradVariant(OH, OW, call.xDims[0]) === v && options.vGroupBytes === undefined && options.edgeReads === undefined) {
    const before = be.stats.wasmRoutines;
    const [out] = runRoutineOn(be, call, inputs, [{ dtype: 'float32', size: sizeOf(call.outDims) }]);
    expect(be.stats.wasmRoutines).toBe(before + 1);
    return out;
  }
  const ctx = (be as unknown as { ctx: WasmRoutineContext }).ctx;
  const bufs = inputs.map((t) => {
    const b = be.allocate('float32', t.data.length);
    be.write(b, t.data);
    return b;
  });
  const out = be.allocate('float32', sizeOf(call.outDims));
  be.write(out, new Float32Array(sizeOf(call.outDims)).fill(Number.NaN));
  winogradConv(ctx, call, out, bufs, undefined, { ...options, variant: v });
  return be.read(out);
}

const cases: Case[] = [
  { name: 'pad 1, even image, filters transformed once (U)', call: conv3x3([2, 32, 20, 22], 24, [1, 1, 1, 1], true), data: 'offset 100' },
  { name: 'no pad, odd image, C/M not multiples of 4, inputs shared', call: conv3x3([1, 19, 9, 11], 21, [0, 0, 0, 0], true), data: 'offset 100' },
  { name: 'asymmetric pads [2, 0, 1, 3]', call: conv3x3([3, 17, 10, 7], 18, [2, 0, 1, 3], false), data: 'mixed scales' },
  { name: 'asymmetric pads [0, 1, 1, 0], odd output both ways', call: conv3x3([1, 16, 8, 12], 16, [0, 1, 1, 0], true), data: 'uniform' },
  { name: '1×1 image, pad 1', call: conv3x3([2, 16, 1, 1], 17, [1, 1, 1, 1], true), data: 'offset 100' },
  { name: '2×3 image, pad 1', call: conv3x3([1, 20, 2, 3], 16, [1, 1, 1, 1], false), data: 'mixed scales' },
  { name: '7×7 image, many channels (M split into chunks)', call: conv3x3([1, 160, 7, 7], 100, [1, 1, 1, 1], true), data: 'offset 100' },
  { name: 'several tile blocks and an odd M (row-block edges)', call: conv3x3([2, 40, 30, 26], 37, [1, 1, 1, 1], true), data: 'mixed scales' },
  { name: 'wide rows with straddling groups', call: conv3x3([1, 16, 5, 45], 16, [1, 1, 1, 1], true), data: 'uniform' },
  { name: 'inputs shared (M > tiles), one group, odd M', call: conv3x3([1, 20, 9, 8], 45, [1, 1, 1, 1], true), data: 'offset 100' },
  {
    name: 'inputs shared, three groups of tile blocks (filters transformed per group), batch 3',
    call: conv3x3([3, 24, 11, 9], 200, [1, 1, 1, 1], true),
    data: 'mixed scales',
    vGroupBytes: 2 * 36 * 4 * 24 * 16,
  },
  { name: 'ResNet stage-2 shape, every F(4×4) tile whole', call: conv3x3([1, 64, 28, 28], 32, [1, 1, 1, 1], true), data: 'offset 100' },
  { name: '14×14 image, F(4×4) tiles cut by the edge', call: conv3x3([2, 24, 14, 14], 40, [1, 1, 1, 1], false), data: 'mixed scales' },
  { name: 'batch of 3 run as one tile sequence, blocks and groups straddling images', call: conv3x3([3, 20, 9, 9], 24, [1, 1, 1, 1], true), data: 'offset 100' },
  { name: 'batch of 8 at 7×7 (ResNet layer 4 shape, F(4×4) by the batch rule)', call: conv3x3([8, 32, 7, 7], 40, [1, 1, 1, 1], true), data: 'mixed scales' },
  { name: '512 channels: filter rows padded to 516 columns (filterColumns)', call: conv3x3([1, 512, 7, 7], 24, [1, 1, 1, 1], true), data: 'offset 100' },
];

describe.each(variants.flatMap((v) => cases.map((c) => ({ ...c, v, variant: v.name }))))('wasm Winograd $variant conv2d: $name ($data)', ({ call, data, vGroupBytes, v }) => {
  it('matches the float64 reference within the Winograd bound, bit-identical with 1, 2 and 3 threads', () => {
    const { x, w, bias } = inputsFor(call, data, 1);
    const ref = reference(x, w, bias, call, v.m);
    const inputs = [x, w, ...(bias === undefined ? [] : [bias])].map((t) => ({ dtype: 'float32' as const, data: storage('float32', t) }));
    const runs = [1, 2, 3].map((threads) => runWinograd(wasm(threads), call, inputs, v, { vGroupBytes }));
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2]).toEqual(runs[0]);
    const rtol = WINOGRAD_RTOL[v.name];
    if (v === F2) {
      // F(2×2)'s transforms (±1, ½) cancel exactly what lies outside an output's 3×3 window.
      expectWithin(runs[0], ref.y, ref.windowMax, rtol, 'relative to Σ_c ‖w_c‖₁·max|x_c| over the 3×3 window');
      // Where every channel's inputs vary by at most 3× within a window, that scale is at most 3× Σ|w||x|.
      if (data !== 'uniform') expectWithin(runs[0], ref.y, ref.sumAbs.map((t) => 3 * t), rtol, 'relative to 3·Σ|w||x|');
    } else {
      // F(4×4)'s G (⅙, 1/24 rounded) leaves the rest of the 6×6 tile window in each output's rounding error.
      expectWithin(runs[0], ref.y, ref.tileMax, rtol, 'relative to Σ_c ‖w_c‖₁·max|x_c| over the tile window');
    }
  });
});

/**
 * Variant `v` on `be` with the filters a constant (Backend.constant), called twice: the outputs, and how
 * much the backend's kept transformed filters grew on each call (derivedBytes).
 */
function runKeptFilters(be: WasmBackend, call: Conv2dCall, inputs: readonly { dtype: 'float32'; data: Storage }[], v: WinogradVariant, vGroupBytes?: number): { outs: Storage[]; grew: number[] } {
  const ctx = (be as unknown as { ctx: WasmRoutineContext }).ctx;
  const bufs = inputs.map((t, i) => {
    if (i === 1) return be.constant('float32', t.data);
    const b = be.allocate('float32', t.data.length);
    be.write(b, t.data);
    return b;
  });
  const outs: Storage[] = [];
  const grew: number[] = [];
  for (let call2 = 0; call2 < 2; call2++) {
    const out = be.allocate('float32', sizeOf(call.outDims));
    be.write(out, new Float32Array(sizeOf(call.outDims)).fill(Number.NaN));
    const before = be.derivedBytes;
    winogradConv(ctx, call, out, bufs, undefined, { variant: v, vGroupBytes });
    grew.push(be.derivedBytes - before);
    outs.push(be.read(out));
  }
  return { outs, grew };
}

describe.each(variants.flatMap((v) => [0, 9, 10, 14, 15].map((i) => ({ ...cases[i], v, variant: v.name }))))('wasm Winograd $variant conv2d, constant filters: $name', ({ call, data, vGroupBytes, v }) => {
  // A constant's filters are transformed on the first call and kept (winograd.ts): both blockings then
  // read the kept U instead of transforming per call (or per row block), which must change no bit.
  it('transforms them once (ξ·M·Cp floats kept) and gives the per-call transform\'s bits, 1 and 2 threads', () => {
    const { x, w, bias } = inputsFor(call, data, 1);
    const inputs = [x, w, ...(bias === undefined ? [] : [bias])].map((t) => ({ dtype: 'float32' as const, data: storage('float32', t) }));
    const perCall = runWinograd(wasm(1), call, inputs, v, { vGroupBytes });
    const [M, C] = call.wDims;
    for (const threads of [1, 2]) {
      const { outs, grew } = runKeptFilters(wasm(threads), call, inputs, v, vGroupBytes);
      expect(grew).toEqual([v.xi * M * filterColumns(C) * 4, 0]);
      expect(outs[0]).toEqual(perCall);
      expect(outs[1]).toEqual(perCall);
    }
  });
});

describe('wasm Winograd conv2d, constant filters with cacheTransformedWeights: false', () => {
  it('keeps nothing and gives the same bits', () => {
    const c = cases[9];
    const { x, w, bias } = inputsFor(c.call, c.data, 1);
    const inputs = [x, w, ...(bias === undefined ? [] : [bias])].map((t) => ({ dtype: 'float32' as const, data: storage('float32', t) }));
    const be = new WasmBackend({ threads: 1, cacheTransformedWeights: false });
    try {
      const { outs, grew } = runKeptFilters(be, c.call, inputs, F2);
      expect(grew).toEqual([0, 0]);
      expect(be.derivedBytes).toBe(0);
      expect(outs[0]).toEqual(runWinograd(wasm(1), c.call, inputs, F2));
    } finally {
      be.dispose();
    }
  });
});

describe('wasm Winograd F(4×4) edge windows', () => {
  // Two ways to read a window that reaches outside the image: whole vector rows from the (outside)
  // window origin, zeroed by mask, where the memory around the input has room (vectorEdgeReads), or a
  // gather by table. They load the same values, so the results must agree bit for bit.
  it.each([
    ['pad 1, 14×14 (every group at an edge)', conv3x3([2, 16, 14, 14], 20, [1, 1, 1, 1], true)],
    ['asymmetric pads [2, 0, 1, 3], odd sizes', conv3x3([1, 17, 11, 9], 16, [2, 0, 1, 3], false)],
    ['no pad, tiles cut by the bottom and right', conv3x3([1, 16, 13, 15], 18, [0, 0, 0, 0], true)],
    ['a 2×3 image', conv3x3([1, 16, 2, 3], 16, [1, 1, 1, 1], true)],
  ])('vector rows and the table gather agree (%s), 1 and 2 threads', (_, call) => {
    const { x, w, bias } = inputsFor(call, 'mixed scales', 9);
    const ref = reference(x, w, bias, call, 4);
    const [N, C, H, W] = call.xDims;
    const geo = { H, W, OH: call.outDims[2], OW: call.outDims[3], padTop: call.pads[0], padLeft: call.pads[1] };
    const inputs = [x, w, ...(bias === undefined ? [] : [bias])].map((t) => ({ dtype: 'float32' as const, data: storage('float32', t) }));
    for (const threads of [1, 2]) {
      // A fresh heap with room below the input: the vector rows are taken (checked).
      const be = new WasmBackend({ threads });
      try {
        be.allocate('float32', 16384);
        const ctx = (be as unknown as { ctx: WasmRoutineContext }).ctx;
        const bufs = inputs.map((t) => {
          const b = be.allocate('float32', t.data.length);
          be.write(b, t.data);
          return b;
        });
        const run = (options: WinogradOptions): Storage => {
          const out = be.allocate('float32', sizeOf(call.outDims));
          be.write(out, new Float32Array(sizeOf(call.outDims)).fill(Number.NaN));
          winogradConv(ctx, call, out, bufs, undefined, { ...options, variant: F4 });
          return be.read(out);
        };
        const vector = run({});
        expect(vectorEdgeReads(F4, geo, N * C, bufs[0].offset, ctx.heap.buffer.byteLength)).toBe(true);
        expect(vector).toEqual(run({ edgeReads: 'gather' }));
        expectWithin(vector, ref.y, ref.tileMax, WINOGRAD_RTOL.F4, 'relative to Σ_c ‖w_c‖₁·max|x_c| over the tile window');
      } finally {
        be.dispose();
      }
    }
  });

  it('reads by table where the vector rows would leave the memory', () => {
    const geo = { H: 14, W: 14, OH: 14, OW: 14, padTop: 1, padLeft: 1 };
    // The first tile's window starts a row and a column before the plane: 15 floats below it.
    expect(vectorEdgeReads(F4, geo, 1, 60, 1 << 20)).toBe(true);
    expect(vectorEdgeReads(F4, geo, 1, 56, 1 << 20)).toBe(false);
    // The last tile's window (rows and columns 11–16) is read up to 24 bytes from its row 16, column 11.
    const end = (16 * 14 + 11) * 4 + 24;
    expect(vectorEdgeReads(F4, geo, 2, 64, 64 + 14 * 14 * 4 + end)).toBe(true);
    expect(vectorEdgeReads(F4, geo, 2, 64, 64 + 14 * 14 * 4 + end - 1)).toBe(false);
  });
});

describe.each(variants)('wasm Winograd $name conv2d blocking', (v) => {
  it('gives each image the same bits alone as in a batch', () => {
    const one = conv3x3([1, 24, 12, 13], 20, [1, 1, 1, 1], true);
    const two = conv3x3([2, 24, 12, 13], 20, [1, 1, 1, 1], true);
    const a = inputsFor(two, 'offset 100', 5);
    const f32 = (v: Float64Array): { dtype: 'float32'; data: Storage } => ({ dtype: 'float32', data: storage('float32', v) });
    const plane = 24 * 12 * 13;
    const batch = runWinograd(wasm(1), two, [f32(a.x), f32(a.w), f32(a.bias ?? new Float64Array(20))], v);
    const out = 20 * 12 * 13;
    for (const n of [0, 1]) {
      const alone = runWinograd(wasm(2), one, [f32(a.x.subarray(n * plane, (n + 1) * plane)), f32(a.w), f32(a.bias ?? new Float64Array(20))], v);
      expect(batch.slice(n * out, (n + 1) * out)).toEqual(alone);
    }
  });
});

describe('wasm Winograd conv2d with a fused epilogue', () => {
  // Small outputs of a batch: raw results into scratch and one epilogue pass, the two images' tiles one
  // sequence (1×40 outputs take F(2×2), 16×18 F(4×4): winogradVariant); outputs past
  // WINOGRAD_RAW_SCRATCH_BYTES into float64: a staged epilogue, the tiles image by image.
  it.each([
    ['float32', 'F2', [2, 24, 1, 40], 2],
    ['float64', 'F2', [2, 24, 1, 40], 2],
    ['float32', 'F4', [2, 24, 16, 18], 2],
    ['float64', 'F4', [2, 24, 16, 18], 2],
    ['float64', 'F4', [2, 16, 96, 96], 1],
  ] as const)('applies BN scale/shift + residual + relu into %s (%s)', (outDtype, name, xDims, sequence) => {
    const v = name === 'F2' ? F2 : F4;
    const call = conv3x3([...xDims], 20, [1, 1, 1, 1], true);
    expect(winogradVariant(call.outDims[2], call.outDims[3], sequence)).toBe(v);
    const od = call.outDims;
    const cdims = [20, 1, 1];
    const epilogue = {
      expr: E.unary('relu', E.add(E.add(E.mul(E.unary('roundF32', E.operand(0)), E.operand(1)), E.operand(2)), E.operand(3))),
      operands: [{ dtype: 'float32' as const, dims: od }, { dtype: 'float32' as const, dims: cdims }, { dtype: 'float32' as const, dims: cdims }, { dtype: 'float32' as const, dims: od }],
    };
    const { x, w, bias } = inputsFor(call, 'offset 100', 3);
    const rnd = mulberry32(4);
    const scale = Float64Array.from({ length: 20 }, () => Math.fround(rnd() + 0.5));
    const shift = Float64Array.from({ length: 20 }, () => Math.fround(rnd() - 0.5));
    const residual = Float64Array.from({ length: sizeOf(od) }, () => Math.fround(100 * (rnd() - 0.5)));
    const ref = reference(x, w, bias, call, v.m);
    // The variant's window: 3×3 for F(2×2), the 6×6 tile window for F(4×4) (as in the tests above).
    const scaleMax = v === F2 ? ref.windowMax : ref.tileMax;
    const plane = od[2] * od[3];
    const want = ref.y.map((v, i) => Math.max(0, v * scale[Math.floor(i / plane) % 20] + shift[Math.floor(i / plane) % 20] + residual[i]));
    const inputs = [x, w, bias ?? new Float64Array(0), scale, shift, residual].map((v) => ({ dtype: 'float32' as const, data: storage('float32', v) }));
    const outs = [1, 2].map((threads) => runRoutineOn(wasm(threads), { ...call, epilogue }, inputs, [{ dtype: outDtype, size: sizeOf(od) }])[0]);
    expect(outs[1]).toEqual(outs[0]);
    for (let i = 0; i < want.length; i++) {
      const c = Math.floor(i / plane) % 20;
      // The conv error (scaled) plus float32 rounding of the epilogue's value.
      const tol = WINOGRAD_RTOL[v.name] * scaleMax[i] * scale[c] + 1e-6 * (Math.abs(want[i]) + Math.abs(residual[i]) + 1);
      if (!(Math.abs(Number(outs[0][i]) - want[i]) <= tol)) expect.fail(`element ${i}: ${outs[0][i]} vs ${want[i]} (tol ${tol})`);
    }
  });
});
