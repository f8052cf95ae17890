// The wasm matmul with B packed a K-block at a time (runtime/wasm/routines/matmul-module.ts), on
// shapes that cross every block boundary (several K-blocks, row groups and column blocks, edge tiles
// and panels, transA/transB, broadcast batches, the batch-1 classifier 2048 → 1000):
// - bit for bit the float32 sum in k order, computed here in JavaScript: acc = f32(acc + f32(a·b)),
//   which is what the micro-kernel's f32x4.mul/f32x4.add do per lane (rounding a double sum or
//   product of float32s to float32 is the correctly rounded float32 operation: 53 ≥ 2·24 + 2,
//   Figueroa, "When is double rounding innocuous?", SIGNUM 1995), with 1, 2 and 3 threads;
// - within γ(K+1)·Σ|a||b| of the float64 product (Higham, Accuracy and Stability, §3.1);
// - with a staged epilogue written over its residual operand (in place), equal to a separate output;
// - with heap scratch bounded by the block sizes, not by B's size.

import { afterAll, describe, expect, it } from 'vitest';
import { sizeOf } from '../../../core/shape.js';
import { E, type RoutineCall } from '../../../ops/kernel-ir.js';
import { batchMatrixIndex } from '../../../runtime/cpu/routines/matmul.js';
import { ALIGN, SET_SPAN } from '../../../runtime/wasm/heap.js';
import { PANEL_ROW_BYTES, TILE_TMP_BYTES } from '../../../runtime/wasm/routines/gemm.js';
import { CBP, KC, MC } from '../../../runtime/wasm/routines/matmul.js';
import { WasmBackend } from '../../../runtime/wasm/wasm-backend.js';
import { randomValues } from '../../helpers/random.js';

type MatmulCall = Extract<RoutineCall, { routine: 'matmul' }>;

const U = 2 ** -24;
const backends = new Map<number, WasmBackend>();
afterAll(() => {
  for (const be of backends.values()) be.dispose();
});
function wasm(threads: number): WasmBackend {
  let be = backends.get(threads);
  if (be === undefined) {
    be = new WasmBackend({ threads, precision: 'float32' });
    backends.set(threads, be);
  }
  return be;
}

function mm(aDims: number[], bDims: number[], transA: boolean, transB: boolean): MatmulCall {
  const r = Math.max(aDims.length, bDims.length);
  const pad = (d: number[]): number[] => [...Array<number>(r - d.length).fill(1), ...d];
  const batch = pad(aDims.slice(0, -2)).slice(0, r - 2).map((x, i) => Math.max(x, pad(bDims.slice(0, -2))[i]));
  const M = transA ? aDims[aDims.length - 1] : aDims[aDims.length - 2];
  const N = transB ? bDims[bDims.length - 2] : bDims[bDims.length - 1];
  return { routine: 'matmul', aDims, bDims, transA, transB, outDims: [...batch.slice(0, r - 2), M, N] };
}

/** Float32 operand values (float32-representable doubles). */
const f32 = (n: number, seed: number, offset = 0): Float64Array => Float64Array.from(new Float32Array(randomValues(n, { seed, offset })));

/** Per output element: the float32 k-order sum, the float64 sum and Σ|a||b|. */
function oracle(call: MatmulCall, a: Float64Array, b: Float64Array): { f32: Float32Array; f64: Float64Array; abs: Float64Array } {
  const { aDims, bDims, transA, transB, outDims } = call;
  const r = outDims.length;
  const [M, N] = outDims.slice(r - 2);
  const K = transA ? aDims[aDims.length - 2] : aDims[aDims.length - 1];
  const outBatch = outDims.slice(0, r - 2);
  const aIdx = batchMatrixIndex(outBatch, aDims.slice(0, -2));
  const bIdx = batchMatrixIndex(outBatch, bDims.slice(0, -2));
  const size = sizeOf(outDims);
  const res = { f32: new Float32Array(size), f64: new Float64Array(size), abs: new Float64Array(size) };
  for (let p = 0; p < sizeOf(outBatch); p++) {
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s32 = 0;
        let s64 = 0;
        let abs = 0;
        for (let k = 0; k < K; k++) {
          const av = a[aIdx[p] * M * K + (transA ? k * M + i : i * K + k)];
          const bv = b[bIdx[p] * K * N + (transB ? j * K + k : k * N + j)];
          s32 = Math.fround(s32 + Math.fround(av * bv));
          s64 += av * bv;
          abs += Math.abs(av * bv);
        }
        const o = (p * M + i) * N + j;
        res.f32[o] = s32;
        res.f64[o] = s64;
        res.abs[o] = abs;
      }
    }
  }
  return res;
}

function run(be: WasmBackend, call: RoutineCall, operands: readonly Float64Array[], inPlace = false): Float32Array {
  const bufs = operands.map((v) => {
    const buf = be.allocate('float32', v.length);
    be.write(buf, Float32Array.from(v));
    return buf;
  });
  const size = sizeOf(call.routine === 'matmul' ? call.outDims : []);
  const out = inPlace ? bufs[bufs.length - 1] : be.allocate('float32', size);
  if (!inPlace) be.write(out, new Float32Array(size).fill(Number.NaN));
  be.runRoutine(call, bufs, [out]);
  return be.read(out) as Float32Array;
}

// Several K-blocks with a partial last one, row groups past MC, column blocks past CBP panels with a
// partial panel, a 1-row and a 3-row edge tile, transposes, broadcast batches, and the classifier.
const cases: [string, MatmulCall][] = [
  ['[263×1061]·[1061×77]', mm([MC + 7, 2 * KC + 37], [2 * KC + 37, CBP * 8 + 13], false, false)],
  ['[263×1061]ᵀ·[77×1061]ᵀ', mm([2 * KC + 37, MC + 7], [CBP * 8 + 13, 2 * KC + 37], true, true)],
  ['[2,1,9,600]·[3,600,70]ᵀ', mm([2, 1, 9, KC + 88], [3, 70, KC + 88], false, true)],
  ['[1×2048]·[1000×2048]ᵀ (Gemm classifier)', mm([1, 2048], [1000, 2048], false, true)],
  ['K = 0', mm([5, 0], [0, 9], false, false)],
];

describe('wasm matmul with B packed per K-block', () => {
  for (const [name, call] of cases) {
    it(`${name}: the float32 k-order sum bit for bit (1, 2, 3 threads), within γ(K+1)·Σ|a||b| of float64`, () => {
      const a = f32(sizeOf(call.aDims), 1);
      const b = f32(sizeOf(call.bDims), 2, 0.25);
      const want = oracle(call, a, b);
      const K = call.transA ? call.aDims[call.aDims.length - 2] : call.aDims[call.aDims.length - 1];
      const gamma = ((K + 1) * U) / (1 - (K + 1) * U);
      for (const threads of [1, 2, 3]) {
        const got = run(wasm(threads), call, [a, b]);
        expect(got, `${threads} threads`).toEqual(want.f32);
        got.forEach((g, i) => {
          if (!(Math.abs(g - want.f64[i]) <= gamma * want.abs[i])) expect.fail(`${threads} threads, element ${i}: ${g} vs ${want.f64[i]}`);
        });
      }
    });
  }

  it('a staged epilogue over several K-blocks, written over its residual, equals a separate output and the float32 oracle', () => {
    const call = cases[0][1];
    const [M, N] = call.outDims;
    // relu(raw·s[n] + residual), each operation rounded to float32 (the embedded kernel's float32 lanes).
    const epilogue = {
      expr: E.unary('relu', E.add(E.mul(E.operand(0), E.operand(1)), E.operand(2))),
      operands: [{ dtype: 'float32' as const, dims: [M, N] }, { dtype: 'float32' as const, dims: [N] }, { dtype: 'float32' as const, dims: [M, N] }],
    };
    const a = f32(sizeOf(call.aDims), 3);
    const b = f32(sizeOf(call.bDims), 4);
    const s = f32(N, 5, 1);
    const residual = f32(M * N, 6, 4);
    const raw = oracle(call, a, b).f32;
    const want = Float32Array.from(raw, (v, i) => Math.max(0, Math.fround(Math.fround(v * s[i % N]) + residual[i])));
    for (const threads of [1, 2, 3]) {
      const separate = run(wasm(threads), { ...call, epilogue }, [a, b, s, residual]);
      const inPlace = run(wasm(threads), { ...call, epilogue }, [a, b, s, residual], true);
      expect(separate, `${threads} threads, separate output`).toEqual(want);
      expect(inPlace, `${threads} threads, in place`).toEqual(want);
    }
  });

  it('takes heap scratch bounded by the block sizes, whatever B\'s size', () => {
    // Per thread: the edge tile, one packed KC × CBP·8 block, an MC × CBP·8 stage and the epilogue's
    // params (a few words); per call: the batch offset tables and the epilogue's params template. The
    // threads' scratch is one block of a page or more, which may start up to a page later (the heap's
    // cache colouring).
    const roundUp = (v: number): number => Math.ceil(v / ALIGN) * ALIGN;
    const perThread = roundUp(TILE_TMP_BYTES + KC * CBP * PANEL_ROW_BYTES + MC * CBP * PANEL_ROW_BYTES + 64);
    const perCall = 2 * roundUp(8) + roundUp(64) + SET_SPAN - ALIGN;
    const [K, N] = [4096, 1000];
    const call = mm([1, K], [N, K], false, true);
    const epilogue = {
      expr: E.add(E.operand(0), E.operand(1)),
      operands: [{ dtype: 'float32' as const, dims: [1, N] }, { dtype: 'float32' as const, dims: [N] }],
    };
    for (const threads of [1, 2, 3]) {
      const be = wasm(threads);
      for (const c of [call, { ...call, epilogue }]) {
        const operands = [f32(K, 7), f32(N * K, 8), ...(c === call ? [] : [f32(N, 9)])];
        const bufs = operands.map((v) => {
          const buf = be.allocate('float32', v.length);
          be.write(buf, Float32Array.from(v));
          return buf;
        });
        const out = be.allocate('float32', N);
        const before = be.heap.highWaterBytes;
        be.runRoutine(c, bufs, [out]);
        // B alone is 16 MB: a whole-B packed copy would be ~64× the bound.
        expect(be.heap.highWaterBytes - before, `${threads} threads`).toBeLessThanOrEqual(threads * perThread + perCall);
      }
    }
  });
});
