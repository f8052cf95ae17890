// Wasm routines against float64 oracles: moments (two-pass, inputs offset by 1e4, every axis layout
// that merges into [R0, K, R1], runs longer than a segment, odd tails), matmul (transA/transB,
// broadcast batches, edge tiles) and conv2d (groups, strides, pads, dilations, bias), with fused
// epilogues; calls outside the fast paths run the CPU routines on views. Results are bit-identical
// with 1, 2 and 3 threads.

import { describe, expect, it } from 'vitest';
import type { DType, Storage } from '../../../core/dtype.js';
import { sizeOf, stridesOf } from '../../../core/shape.js';
import { E, RoutineCall } from '../../../ops/kernel-ir.js';
import { CpuBackend } from '../../../runtime/cpu/cpu-backend.js';
import { reductionLayout } from '../../../runtime/cpu/routines/reduction-layout.js';
import { maxError } from '../../helpers/compare.js';
import { randomValues } from '../../helpers/random.js';
import { backendsByThreads, runRoutineOn, storage, values } from './kernel-reference.js';

const wasm = backendsByThreads();
const cpu = new CpuBackend();

function tensor(dtype: DType, dims: readonly number[], seed: number, offset = 0): { dtype: DType; data: Storage } {
  return { dtype, data: storage(dtype, randomValues(sizeOf(dims), { seed, offset })) };
}

function expectClose(got: Storage, gotDtype: DType, want: Float64Array, tol: { rtol: number; atol: number }, what: string): void {
  const r = maxError(values({ dtype: gotDtype, data: got }), want, tol);
  expect(r.excess, `${what}: element ${r.index} off by ${r.worst}`).toBeLessThanOrEqual(0);
}

/** Two-pass float64 mean and population variance over `axes` (kept axes in row-major order). */
function momentsOracle(x: Float64Array, dims: readonly number[], axes: readonly number[]): { mean: Float64Array; variance: Float64Array } {
  const kept = dims.map((d, i) => (axes.includes(i) ? 1 : d));
  const ks = stridesOf(kept);
  const k = sizeOf(kept);
  const at = (i: number): number => {
    let rem = i;
    let o = 0;
    for (let d = dims.length - 1; d >= 0; d--) {
      const c = rem % dims[d];
      rem = Math.floor(rem / dims[d]);
      if (!axes.includes(d)) o += c * ks[d];
    }
    return o;
  };
  const count = sizeOf(dims) / k;
  const mean = new Float64Array(k);
  x.forEach((v, i) => (mean[at(i)] += v));
  mean.forEach((s, o) => (mean[o] = s / count));
  const variance = new Float64Array(k);
  x.forEach((v, i) => (variance[at(i)] += (v - mean[at(i)]) ** 2));
  variance.forEach((s, o) => (variance[o] = s / count));
  return { mean, variance };
}

describe('moments axis layouts', () => {
  it('merges axes into [R0, K, R1] or refuses', () => {
    expect(reductionLayout([8, 64, 56, 56], [0, 2, 3])).toEqual({ r0: 8, k: 64, r1: 3136 });
    expect(reductionLayout([8, 5, 5, 16], [0, 1, 2])).toEqual({ r0: 200, k: 16, r1: 1 });
    expect(reductionLayout([16, 100], [1])).toEqual({ r0: 1, k: 16, r1: 100 });
    expect(reductionLayout([4, 1, 7], [0, 1, 2])).toEqual({ r0: 1, k: 1, r1: 28 });
    expect(reductionLayout([3, 4, 5, 6], [0, 2])).toBeUndefined();
  });
});

describe.each([1, 2])('wasm moments, %i thread(s)', (threads) => {
  const cases: [string, number[], number[]][] = [
    ['NCHW per-channel (BN training)', [4, 6, 17, 19], [0, 2, 3]],
    ['a run longer than one segment', [2, 3, 20001], [0, 2]],
    ['channels-last [N,H,W,C]', [3, 7, 5, 33], [0, 1, 2]],
    ['short runs [N, C, 3]', [50, 9, 3], [0, 2]],
    ['many row blocks [M, C]', [4000, 20], [0]],
    ['row and column blocks [M, C] with a wide C', [40, 5000], [0]],
    ['rows wider than a block', [3, 70001], [0]],
    ['reduce the inner axis of [C, M]', [5, 1001], [1]],
    ['everything reduced', [7, 3, 11], [0, 1, 2]],
    ['single row', [1, 4, 1, 1], [0, 2, 3]],
  ];
  it.each(cases)('%s, offset by 1e4: variance right to 1e-4 relative', (_, dims, axes) => {
    const be = wasm(threads);
    const x = tensor('float32', dims, 11, 1e4);
    const k = sizeOf(dims.map((d, i) => (axes.includes(i) ? 1 : d)));
    const keptDims = dims.map((d, i) => (axes.includes(i) ? 1 : d));
    const call: RoutineCall = { routine: 'moments', inDims: dims, axes, weighted: false, weightEpsilon: 0 };
    const before = be.stats.wasmRoutines;
    const [mean, variance] = runRoutineOn(be, call, [x], [{ dtype: 'float64', size: k }, { dtype: 'float64', size: k }]);
    expect(be.stats.wasmRoutines).toBe(before + 1);
    const oracle = momentsOracle(values(x), dims, axes);
    expectClose(mean, 'float64', oracle.mean, { rtol: 1e-12, atol: 0 }, `mean over ${keptDims}`);
    expectClose(variance, 'float64', oracle.variance, { rtol: 1e-4, atol: 0 }, 'variance');
    // Much better than required: float64 accumulation of exact float32 inputs.
    expectClose(variance, 'float64', oracle.variance, { rtol: 1e-9, atol: 0 }, 'variance (tight)');
  });

  it('float32 outputs and the CPU fallback for weighted moments and interleaved axes', () => {
    const be = wasm(threads);
    const dims = [3, 4, 5, 6];
    const x = tensor('float32', dims, 3);
    const call: RoutineCall = { routine: 'moments', inDims: dims, axes: [0, 2, 3], weighted: false, weightEpsilon: 0 };
    const [m32] = runRoutineOn(be, call, [x], [{ dtype: 'float32', size: 4 }, { dtype: 'float32', size: 4 }]);
    expect(m32).toEqual(runRoutineOn(cpu, call, [x], [{ dtype: 'float32', size: 4 }, { dtype: 'float32', size: 4 }])[0]);
    const fallbacks: RoutineCall[] = [
      { routine: 'moments', inDims: dims, axes: [0, 2, 3], weighted: true, weightEpsilon: 1e-7 },
      { routine: 'moments', inDims: dims, axes: [0, 2], weighted: false, weightEpsilon: 0 },
    ];
    for (const c of fallbacks) {
      const inputs = c.routine === 'moments' && c.weighted ? [x, tensor('float32', dims, 4)] : [x];
      const size = c.routine === 'moments' && c.axes.length === 2 ? 24 : 4;
      const before = be.stats.cpuRoutines;
      const got = runRoutineOn(be, c, inputs, [{ dtype: 'float64', size }, { dtype: 'float64', size }]);
      expect(be.stats.cpuRoutines).toBe(before + 1);
      expect(got).toEqual(runRoutineOn(cpu, c, inputs, [{ dtype: 'float64', size }, { dtype: 'float64', size }]));
    }
  });
});

/** Float64 reference of op(A)·op(B) with numpy batch broadcasting. */
function matmulOracle(a: Float64Array, b: Float64Array, call: Extract<RoutineCall, { routine: 'matmul' }>): Float64Array {
  const { aDims, bDims, transA, transB, outDims } = call;
  const r = outDims.length;
  const [M, N] = [outDims[r - 2], outDims[r - 1]];
  const K = transA ? aDims[aDims.length - 2] : aDims[aDims.length - 1];
  const batch = outDims.slice(0, -2);
  const out = new Float64Array(sizeOf(outDims));
  const matIndex = (dims: readonly number[], p: number): number => {
    const bd = dims.slice(0, -2);
    let rem = p;
    let idx = 0;
    let stride = 1;
    for (let d = batch.length - 1; d >= 0; d--) {
      const c = rem % batch[d];
      rem = Math.floor(rem / batch[d]);
      const od = d - (batch.length - bd.length);
      if (od >= 0) {
        idx += (bd[od] === 1 ? 0 : c) * stride;
        stride *= bd[od];
      }
    }
    return idx;
  };
  for (let p = 0; p < sizeOf(batch); p++) {
    const ao = matIndex(aDims, p) * M * K;
    const bo = matIndex(bDims, p) * K * N;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let q = 0; q < K; q++) s += a[ao + (transA ? q * M + i : i * K + q)] * b[bo + (transB ? j * K + q : q * N + j)];
        out[(p * M + i) * N + j] = s;
      }
    }
  }
  return out;
}

const F32_GEMM = { rtol: 1e-5, atol: 1e-5 };

describe('wasm matmul', () => {
  const shapes: [string, number[], number[], boolean, boolean, number[]][] = [
    ['square-ish, full tiles', [32, 48], [48, 64], false, false, [32, 64]],
    ['edge tiles (M, N, K odd)', [37, 53], [53, 29], false, false, [37, 29]],
    ['transA', [53, 37], [53, 29], true, false, [37, 29]],
    ['transB', [37, 53], [29, 53], false, true, [37, 29]],
    ['transA and transB', [53, 37], [29, 53], true, true, [37, 29]],
    ['a row vector (M = 1), K = 1', [1, 1], [1, 300], false, false, [1, 300]],
    ['batched with broadcasting', [2, 1, 9, 13], [3, 13, 11], false, false, [2, 3, 9, 11]],
    ['batched transB, shared B', [4, 10, 7], [12, 7], false, true, [4, 10, 12]],
  ];
  it.each(shapes)('%s matches the float64 reference', (_, aDims, bDims, transA, transB, outDims) => {
    const call: Extract<RoutineCall, { routine: 'matmul' }> = { routine: 'matmul', aDims, bDims, transA, transB, outDims };
    const a = tensor('float32', aDims, 1);
    const b = tensor('float32', bDims, 2);
    const want = matmulOracle(values(a), values(b), call);
    for (const threads of [1, 2]) {
      const be = wasm(threads);
      const [got] = runRoutineOn(be, call, [a, b], [{ dtype: 'float32', size: sizeOf(outDims) }]);
      expectClose(got, 'float32', want, F32_GEMM, `matmul ×${threads}`);
    }
  });

  it('applies a fused epilogue (per-row scale, shift, residual, relu) as the CPU routine does', () => {
    const [M, K, N] = [19, 23, 45];
    const epilogue = {
      expr: E.unary('relu', E.add(E.mul(E.unary('roundF32', E.operand(0)), E.operand(1)), E.operand(2))),
      operands: [{ dtype: 'float32' as const, dims: [M, N] }, { dtype: 'float32' as const, dims: [N] }, { dtype: 'float32' as const, dims: [M, N] }],
    };
    const call: RoutineCall = { routine: 'matmul', aDims: [M, K], bDims: [K, N], transA: false, transB: false, outDims: [M, N], epilogue };
    const inputs = [tensor('float32', [M, K], 1), tensor('float32', [K, N], 2), tensor('float32', [N], 3), tensor('float32', [M, N], 4)];
    const raw = matmulOracle(values(inputs[0]), values(inputs[1]), { routine: 'matmul', aDims: [M, K], bDims: [K, N], transA: false, transB: false, outDims: [M, N] });
    const scale = values(inputs[2]);
    const res = values(inputs[3]);
    const want = raw.map((v, i) => Math.max(0, Math.fround(v) * scale[i % N] + res[i]));
    for (const outDtype of ['float32', 'float64'] as const) {
      const be = wasm(2);
      const [got] = runRoutineOn(be, call, inputs, [{ dtype: outDtype, size: M * N }]);
      expectClose(got, outDtype, want, F32_GEMM, `epilogue into ${outDtype}`);
    }
  });

  it('float64 operands run the CPU routine on views', () => {
    const call: RoutineCall = { routine: 'matmul', aDims: [5, 6], bDims: [6, 7], transA: false, transB: false, outDims: [5, 7] };
    const inputs = [tensor('float64', [5, 6], 1), tensor('float64', [6, 7], 2)];
    const be = wasm(1);
    const before = be.stats.cpuRoutines;
    expect(runRoutineOn(be, call, inputs, [{ dtype: 'float64', size: 35 }])).toEqual(runRoutineOn(cpu, call, inputs, [{ dtype: 'float64', size: 35 }]));
    expect(be.stats.cpuRoutines).toBe(before + 1);
  });
});

/** Float64 reference of a 2-D convolution (NCHW, groups, strides, pads, dilations, bias). */
function convOracle(x: Float64Array, w: Float64Array, bias: Float64Array | undefined, c: Extract<RoutineCall, { routine: 'conv2d' }>): Float64Array {
  const [N, C, H, W] = c.xDims;
  const [M, cg, kh, kw] = c.wDims;
  const [, , OH, OW] = c.outDims;
  const mg = M / c.group;
  const out = new Float64Array(N * M * OH * OW);
  for (let n = 0; n < N; n++) {
    for (let m = 0; m < M; m++) {
      const g = Math.floor(m / mg);
      for (let oy = 0; oy < OH; oy++) {
        for (let ox = 0; ox < OW; ox++) {
          let s = bias === undefined ? 0 : bias[m];
          for (let ci = 0; ci < cg; ci++) {
            for (let ky = 0; ky < kh; ky++) {
              for (let kx = 0; kx < kw; kx++) {
                const iy = oy * c.strides[0] - c.pads[0] + ky * c.dilations[0];
                const ix = ox * c.strides[1] - c.pads[1] + kx * c.dilations[1];
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                s += x[((n * C + g * cg + ci) * H + iy) * W + ix] * w[((m * cg + ci) * kh + ky) * kw + kx];
              }
            }
          }
          out[((n * M + m) * OH + oy) * OW + ox] = s;
        }
      }
    }
  }
  return out;
}

function convCall(xDims: [number, number, number, number], m: number, k: [number, number], group: number, strides: [number, number], pads: [number, number, number, number], dilations: [number, number], hasBias: boolean): Extract<RoutineCall, { routine: 'conv2d' }> {
  const [n, c, h, w] = xDims;
  const oh = Math.floor((h + pads[0] + pads[2] - dilations[0] * (k[0] - 1) - 1) / strides[0]) + 1;
  const ow = Math.floor((w + pads[1] + pads[3] - dilations[1] * (k[1] - 1) - 1) / strides[1]) + 1;
  return { routine: 'conv2d', xDims, wDims: [m, c / group, k[0], k[1]], hasBias, group, strides, pads, dilations, outDims: [n, m, oh, ow] };
}

describe('wasm conv2d', () => {
  const calls: [string, Extract<RoutineCall, { routine: 'conv2d' }>][] = [
    ['3×3 pad 1 with bias', convCall([2, 8, 13, 11], 12, [3, 3], 1, [1, 1], [1, 1, 1, 1], [1, 1], true)],
    ['groups 2, stride 2, no pad', convCall([2, 8, 13, 11], 12, [3, 3], 2, [2, 2], [0, 0, 0, 0], [1, 1], false)],
    ['groups 4, dilation 2, asymmetric pads', convCall([1, 8, 12, 15], 4, [3, 2], 4, [1, 2], [2, 0, 1, 3], [2, 2], true)],
    ['depthwise 3×3 (direct kernel)', convCall([2, 6, 9, 9], 6, [3, 3], 6, [1, 1], [1, 1, 1, 1], [1, 1], true)],
    ['depthwise stride 2, dilation 2 (direct, scalar columns)', convCall([2, 4, 11, 12], 4, [3, 3], 4, [2, 2], [2, 1, 0, 2], [2, 2], false)],
    ['two output channels per group (direct)', convCall([1, 6, 7, 21], 6, [2, 3], 3, [1, 1], [0, 1, 1, 0], [1, 1], true)],
    ['pointwise 1×1 over a large image (many pixel blocks)', convCall([1, 5, 40, 43], 7, [1, 1], 1, [1, 1], [0, 0, 0, 0], [1, 1], false)],
    ['kernel larger than the padded input row', convCall([1, 2, 4, 3], 3, [5, 5], 1, [1, 1], [2, 2, 2, 2], [1, 1], true)],
    ['ResNet stem 7×7 stride 2 pad 3 (stride-2 im2col gathers)', convCall([1, 3, 30, 37], 8, [7, 7], 1, [2, 2], [3, 3, 3, 3], [1, 1], true)],
    ['column stride 2, row stride 1, dilated columns', convCall([2, 3, 15, 29], 8, [3, 5], 1, [1, 2], [1, 2, 1, 2], [1, 2], false)],
    // Two pixel blocks for two threads: output channels split into units of 64 (EPILOGUE_ROWS multiples).
    ['late-stage stride 2 (output channels split across units)', convCall([1, 64, 14, 14], 100, [3, 3], 1, [2, 2], [1, 1, 1, 1], [1, 1], true)],
  ];
  it.each(calls)('%s matches the float64 reference', (_, call) => {
    const x = tensor('float32', call.xDims, 1);
    const w = tensor('float32', call.wDims, 2);
    const bias = call.hasBias ? tensor('float32', [call.wDims[0]], 3) : undefined;
    const want = convOracle(values(x), values(w), bias === undefined ? undefined : values(bias), call);
    const inputs = bias === undefined ? [x, w] : [x, w, bias];
    for (const threads of [1, 2]) {
      const be = wasm(threads);
      const before = be.stats.wasmRoutines;
      const [got] = runRoutineOn(be, call, inputs, [{ dtype: 'float32', size: sizeOf(call.outDims) }]);
      expect(be.stats.wasmRoutines).toBe(before + 1);
      expectClose(got, 'float32', want, F32_GEMM, `conv ×${threads}`);
    }
  });

  it.each([
    ['GEMM path', 1],
    ['direct path', 2],
  ] as const)('applies a fused per-channel epilogue (BN scale/shift + relu), %s', (_, group) => {
    const base = convCall([2, 4, 10, 9], 6, [3, 3], group, [1, 1], [1, 1, 1, 1], [1, 1], true);
    const od = base.outDims;
    const cdims = [6, 1, 1];
    const epilogue = {
      expr: E.unary('relu', E.add(E.mul(E.sub(E.unary('roundF32', E.operand(0)), E.operand(1)), E.operand(2)), E.operand(3))),
      operands: [{ dtype: 'float32' as const, dims: od }, { dtype: 'float64' as const, dims: cdims }, { dtype: 'float64' as const, dims: cdims }, { dtype: 'float32' as const, dims: cdims }],
    };
    const call: RoutineCall = { ...base, epilogue };
    const inputs = [tensor('float32', base.xDims, 1), tensor('float32', base.wDims, 2), tensor('float32', [6], 3), tensor('float64', cdims, 4), tensor('float64', cdims, 5), tensor('float32', cdims, 6)];
    expect(base.wDims[0] / base.group < 4).toBe(group === 2);
    const raw = convOracle(values(inputs[0]), values(inputs[1]), values(inputs[2]), base);
    const [mean, a, b] = [values(inputs[3]), values(inputs[4]), values(inputs[5])];
    const plane = od[2] * od[3];
    const want = raw.map((v, i) => {
      const c = Math.floor(i / plane) % 6;
      return Math.max(0, (Math.fround(v) - mean[c]) * a[c] + b[c]);
    });
    const [got] = runRoutineOn(wasm(2), call, inputs, [{ dtype: 'float32', size: sizeOf(od) }]);
    expectClose(got, 'float32', want, { rtol: 1e-5, atol: 1e-5 }, 'conv + epilogue');
  });
});

describe('thread-count independence', () => {
  it('moments, matmul and conv2d are bit-identical with 1, 2 and 3 threads', () => {
    const mdims = [8, 16, 45, 47];
    const mcall: RoutineCall = { routine: 'moments', inDims: mdims, axes: [0, 2, 3], weighted: false, weightEpsilon: 0 };
    const mx = tensor('float32', mdims, 5, 1e4);
    const gcall: RoutineCall = { routine: 'matmul', aDims: [3, 150, 130], bDims: [130, 170], transA: false, transB: false, outDims: [3, 150, 170] };
    const ga = [tensor('float32', [3, 150, 130], 6), tensor('float32', [130, 170], 7)];
    const ccall = convCall([2, 16, 31, 29], 24, [3, 3], 2, [1, 1], [1, 1, 1, 1], [1, 1], true);
    const cx = [tensor('float32', ccall.xDims, 8), tensor('float32', ccall.wDims, 9), tensor('float32', [24], 10)];
    const dcall = convCall([4, 16, 33, 35], 16, [3, 3], 16, [1, 1], [1, 1, 1, 1], [1, 1], false);
    const dx = [tensor('float32', dcall.xDims, 11), tensor('float32', dcall.wDims, 12)];
    // Few pixel blocks: 2 and 3 threads split its output channels across units.
    const scall = convCall([1, 64, 14, 14], 100, [3, 3], 1, [2, 2], [1, 1, 1, 1], [1, 1], true);
    const sx = [tensor('float32', scall.xDims, 13), tensor('float32', scall.wDims, 14), tensor('float32', [100], 15)];
    const run = (threads: number): Storage[] => [
      ...runRoutineOn(wasm(threads), mcall, [mx], [{ dtype: 'float64', size: 16 }, { dtype: 'float64', size: 16 }]),
      ...runRoutineOn(wasm(threads), gcall, ga, [{ dtype: 'float32', size: 3 * 150 * 170 }]),
      ...runRoutineOn(wasm(threads), ccall, cx, [{ dtype: 'float32', size: sizeOf(ccall.outDims) }]),
      ...runRoutineOn(wasm(threads), dcall, dx, [{ dtype: 'float32', size: sizeOf(dcall.outDims) }]),
      ...runRoutineOn(wasm(threads), scall, sx, [{ dtype: 'float32', size: sizeOf(scall.outDims) }]),
    ];
    const one = run(1);
    expect(run(2)).toEqual(one);
    expect(run(3)).toEqual(one);
  });
});
