// Conv2d and matmul routines writing their output over an epilogue operand (the memory plan's in-place
// residual, compiler/lowering/memory-plan.ts): on every wasm path (im2col, matmul, Winograd with the
// filters or the inputs shared, and direct, all with the staged epilogue) and on the CPU routines, the output
// written over the residual's own buffer must equal, bit for bit, the output written to a buffer of
// its own, with 1 and 2 threads and both precisions; and that output must match a float64 oracle
// within a bound derived from Σ|w||x| (float32 accumulation) plus the epilogue's float32 roundings.
// Epilogues: the real ResNet form relu(f32(f32(BN(f32(raw))) + residual)), the same with a float64
// mean (a training-mode or opset-15 float64 BN: the wasm backend folds its low part into the shift,
// fold-shift.ts, inside the routine's embedded epilogue too), and the folded form f32(raw) + residual;
// residuals offset by 1e4 and inputs offset by 100 (adversarial cancellation).

import { afterAll, describe, expect, it } from 'vitest';
import { sizeOf } from '../../../core/shape.js';
import { E, type Epilogue, type RoutineCall } from '../../../ops/kernel-ir.js';
import type { Backend } from '../../../runtime/backend.js';
import { CpuBackend } from '../../../runtime/cpu/cpu-backend.js';
import { convAlgorithm, type ConvAlgorithm } from '../../../runtime/wasm/routines/conv2d.js';
import { WasmBackend, type Precision } from '../../../runtime/wasm/wasm-backend.js';
import { mulberry32 } from '../../helpers/random.js';
import { storage, values } from './kernel-reference.js';

type Conv2dCall = Extract<RoutineCall, { routine: 'conv2d' }>;
type MatmulCall = Extract<RoutineCall, { routine: 'matmul' }>;

const U = 2 ** -24;

const backends = new Map<string, WasmBackend>();
afterAll(() => {
  for (const be of backends.values()) be.dispose();
});
function wasm(threads: number, precision: Precision): WasmBackend {
  const key = `${threads}:${precision}`;
  let be = backends.get(key);
  if (be === undefined) {
    be = new WasmBackend({ threads, precision });
    backends.set(key, be);
  }
  return be;
}

function conv(xDims: [number, number, number, number], m: number, k: number, group: number, stride: number, pad: number, hasBias: boolean): Conv2dCall {
  const [n, c, h, w] = xDims;
  const oh = Math.floor((h + 2 * pad - k) / stride) + 1;
  const ow = Math.floor((w + 2 * pad - k) / stride) + 1;
  return { routine: 'conv2d', xDims, wDims: [m, c / group, k, k], hasBias, group, strides: [stride, stride], pads: [pad, pad, pad, pad], dilations: [1, 1], outDims: [n, m, oh, ow] };
}

/** Float64 raw product and Σ|w||x| (+|b|) per output element, straight from the definition. */
function convOracle(call: Conv2dCall, x: Float64Array, w: Float64Array, b: Float64Array | undefined): { y: Float64Array; s: Float64Array } {
  const [N, C, H, W] = call.xDims;
  const [M, cg, kh, kw] = call.wDims;
  const [, , OH, OW] = call.outDims;
  const mg = M / call.group;
  const y = new Float64Array(N * M * OH * OW);
  const s = new Float64Array(y.length);
  for (let n = 0; n < N; n++) {
    for (let m = 0; m < M; m++) {
      const g = Math.floor(m / mg);
      for (let oy = 0; oy < OH; oy++) {
        for (let ox = 0; ox < OW; ox++) {
          let acc = b === undefined ? 0 : b[m];
          let abs = Math.abs(acc);
          for (let ci = 0; ci < cg; ci++) {
            for (let ky = 0; ky < kh; ky++) {
              for (let kx = 0; kx < kw; kx++) {
                const iy = oy * call.strides[0] - call.pads[0] + ky;
                const ix = ox * call.strides[1] - call.pads[1] + kx;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                const p = x[((n * C + g * cg + ci) * H + iy) * W + ix] * w[((m * cg + ci) * kh + ky) * kw + kx];
                acc += p;
                abs += Math.abs(p);
              }
            }
          }
          const o = ((n * M + m) * OH + oy) * OW + ox;
          y[o] = acc;
          s[o] = abs;
        }
      }
    }
  }
  return { y, s };
}

function matmulOracle(call: MatmulCall, a: Float64Array, b: Float64Array): { y: Float64Array; s: Float64Array } {
  const [M, K] = call.aDims;
  const N = call.bDims[1];
  const y = new Float64Array(M * N);
  const s = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      for (let k = 0; k < K; k++) {
        const p = a[i * K + k] * b[k * N + j];
        y[i * N + j] += p;
        s[i * N + j] += Math.abs(p);
      }
    }
  }
  return { y, s };
}

/**
 * Epilogue operands after the routine's own: per-channel (conv: [M,1,1]; matmul: [N]) mean, factor
 * (float64, as BN lowering makes it) and shift, then the residual (output dims).
 */
type Form = 'bn+residual+relu' | 'bn64+residual+relu' | 'residual';
const FORMS: readonly Form[] = ['bn+residual+relu', 'bn64+residual+relu', 'residual'];
function epilogueOf(form: Form, outDims: readonly number[], chan: readonly number[]): Epilogue {
  const raw = { dtype: 'float32' as const, dims: outDims };
  const f32 = (dims: readonly number[]) => ({ dtype: 'float32' as const, dims });
  if (form === 'residual') return { expr: E.add(E.unary('roundF32', E.operand(0)), E.operand(1)), operands: [raw, f32(outDims)] };
  const bn = E.add(E.mul(E.sub(E.unary('roundF32', E.operand(0)), E.operand(1)), E.operand(2)), E.operand(3));
  return {
    expr: E.unary('relu', E.unary('roundF32', E.add(E.unary('roundF32', bn), E.operand(4)))),
    operands: [raw, form === 'bn64+residual+relu' ? { dtype: 'float64', dims: chan } : f32(chan), { dtype: 'float64', dims: chan }, f32(chan), f32(outDims)],
  };
}

interface Case {
  readonly name: string;
  readonly call: Conv2dCall | MatmulCall;
  readonly path: ConvAlgorithm | 'matmul';
}

const cases: Case[] = [
  { name: 'bottleneck conv3: 1×1, 40 channels (row chunks of the stage), 3 pixel blocks', call: conv([1, 16, 24, 24], 40, 1, 1, 1, 0, false), path: 'im2col' },
  { name: 'projection-like 3×3 stride 2 with bias, odd sizes (edge tiles), batch 2', call: conv([2, 8, 13, 11], 36, 3, 1, 2, 1, true), path: 'im2col' },
  { name: 'basic-block 3×3 stride 1 (Winograd)', call: conv([1, 16, 12, 12], 16, 3, 1, 1, 1, false), path: 'winograd' },
  { name: 'Winograd, filters shared: 4 tile blocks straddling tile rows, batch 2', call: conv([2, 16, 40, 20], 16, 3, 1, 1, 1, false), path: 'winograd' },
  { name: 'Winograd, inputs shared (more channels than tiles), odd 9×9 output, bias', call: conv([1, 16, 9, 9], 40, 3, 1, 1, 1, true), path: 'winograd' },
  { name: 'depthwise 3×3 (direct)', call: conv([2, 6, 9, 9], 6, 3, 6, 1, 1, true), path: 'direct' },
  { name: 'Gemm + Add: matmul 37×53 · 53×45 (edge tiles)', call: { routine: 'matmul', aDims: [37, 53], bDims: [53, 45], transA: false, transB: false, outDims: [37, 45] }, path: 'matmul' },
  { name: 'matmul 70×20 · 20×300 (several row and column blocks)', call: { routine: 'matmul', aDims: [70, 20], bDims: [20, 300], transA: false, transB: false, outDims: [70, 300] }, path: 'matmul' },
];

interface Data {
  readonly own: Float64Array[];
  /** mean64: the mean with bits below float32's (a float64 batch mean). */
  readonly chan: { mean: Float64Array; mean64: Float64Array; a: Float64Array; b: Float64Array };
  readonly residual: Float64Array;
}

function dataFor(c: Case, seed: number): Data {
  const rnd = mulberry32(seed);
  const u = (): number => 2 * rnd() - 1;
  const f32 = (n: number, f: () => number): Float64Array => Float64Array.from({ length: n }, () => Math.fround(f()));
  const call = c.call;
  const own = call.routine === 'conv2d'
    ? [f32(sizeOf(call.xDims), () => 100 + u()), f32(sizeOf(call.wDims), u), ...(call.hasBias ? [f32(call.wDims[0], () => 10 * u())] : [])]
    : [f32(sizeOf(call.aDims), () => 100 + u()), f32(sizeOf(call.bDims), u)];
  const channels = call.routine === 'conv2d' ? call.outDims[1] : call.outDims[1];
  return {
    own,
    // BN of a conv whose output is offset by ~100·Σw: a mean near it, so (raw − mean) cancels.
    chan: { mean: f32(channels, () => 50 * u()), mean64: Float64Array.from({ length: channels }, () => 50 * u()), a: Float64Array.from({ length: channels }, () => 0.5 + rnd()), b: f32(channels, u) },
    residual: f32(sizeOf(call.outDims), () => 1e4 + 100 * u()),
  };
}

/** The float64 value of the epilogue per element, and a tolerance from the raw error bound and the float32 roundings. */
function expected(c: Case, form: Form, d: Data): { want: Float64Array; tol: Float64Array } {
  const call = c.call;
  const { y, s } = call.routine === 'conv2d' ? convOracle(call, d.own[0], d.own[1], d.own[2]) : matmulOracle(call, d.own[0], d.own[1]);
  const K = call.routine === 'conv2d' ? call.wDims[1] * call.wDims[2] * call.wDims[3] : call.aDims[1];
  // Float32 accumulation of K products (+ bias): |error| ≤ γ·Σ|w||x| with γ = (K + 1)·u (Higham, recursive
  // summation); Winograd's transforms mix a window's inputs, and its error follows 3·Σ|w||x| at most 2e-6
  // on inputs that vary by less than 3× within a window (winograd.test.ts), as these (100 ± 1) do.
  const gamma = c.path === 'winograd' ? 6e-6 : (K + 1) * U;
  const per = (i: number): number => (call.routine === 'conv2d' ? Math.floor(i / (call.outDims[2] * call.outDims[3])) % call.outDims[1] : i % call.outDims[1]);
  const want = new Float64Array(y.length);
  const tol = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) {
    const raw = y[i];
    const r = d.residual[i];
    const rawErr = gamma * s[i] + U * Math.abs(raw);
    if (form === 'residual') {
      want[i] = raw + r;
      tol[i] = rawErr + 2 * U * (Math.abs(raw) + Math.abs(r));
      continue;
    }
    const k = per(i);
    const { a, b } = d.chan;
    const mean = form === 'bn64+residual+relu' ? d.chan.mean64 : d.chan.mean;
    const bn = (raw - mean[k]) * a[k] + b[k];
    want[i] = Math.max(0, bn + r);
    // (raw − mean)·a + b and + r, each rounded (float32 lanes round every operation, and a to float32).
    tol[i] = a[k] * rawErr + 4 * U * ((Math.abs(raw) + Math.abs(mean[k])) * a[k] + Math.abs(b[k]) + Math.abs(bn) + Math.abs(r));
  }
  return { want, tol };
}

/** Runs the call into a fresh output buffer, or over the residual's (the last operand's) own buffer; operands f64 are float64. */
function run<B, C>(be: Backend<B, C>, call: RoutineCall, operands: readonly Float64Array[], f64: readonly number[], inPlace: boolean): Float64Array {
  const bufs = operands.map((v, j) => {
    const dtype = f64.includes(j) ? 'float64' : 'float32';
    const buf = be.allocate(dtype, v.length);
    be.write(buf, storage(dtype, v));
    return buf;
  });
  const residual = bufs[bufs.length - 1];
  const size = operands[operands.length - 1].length;
  const out = inPlace ? residual : be.allocate('float32', size);
  if (!inPlace) be.write(out, new Float32Array(size).fill(Number.NaN));
  be.runRoutine(call, bufs, [out]);
  return values({ dtype: 'float32', data: be.read(out) });
}

function operandsOf(c: Case, form: Form, d: Data): { call: RoutineCall; operands: Float64Array[]; f64: number[] } {
  const call = c.call;
  const chanDims = call.routine === 'conv2d' ? [call.outDims[1], 1, 1] : [call.outDims[1]];
  const epilogue = epilogueOf(form, call.outDims, chanDims);
  const mean = form === 'bn64+residual+relu' ? d.chan.mean64 : d.chan.mean;
  const extras = form === 'residual' ? [d.residual] : [mean, d.chan.a, d.chan.b, d.residual];
  // The float64 operands' positions in the operand list (the factor, and the mean in bn64), for the buffers' dtypes.
  const n = d.own.length;
  const f64 = form === 'residual' ? [] : form === 'bn64+residual+relu' ? [n, n + 1] : [n + 1];
  return { call: { ...call, epilogue }, operands: [...d.own, ...extras], f64 };
}

function runOn<B, C>(be: Backend<B, C>, c: Case, form: Form, d: Data, inPlace: boolean): Float64Array {
  const { call, operands, f64 } = operandsOf(c, form, d);
  return run(be, call, operands, f64, inPlace);
}

function expectWithin(got: Float64Array, want: Float64Array, tol: Float64Array, what: string): void {
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    if (!(err <= tol[i])) expect.fail(`${what}: element ${i} is ${got[i]}, expected ${want[i]} ± ${tol[i]}`);
  }
}

describe.each(cases)('routine output over its dying residual: $name', (c) => {
  it('takes the expected wasm path', () => {
    if (c.call.routine === 'conv2d') expect(convAlgorithm(c.call)).toBe(c.path);
  });

  it.each(FORMS)('%s: wasm in place equals a separate output (1 and 2 threads, both precisions) and the float64 oracle', (form) => {
    const d = dataFor(c, 7);
    const { want, tol } = expected(c, form, d);
    for (const precision of ['float64', 'float32'] as const) {
      const separate = runOn(wasm(1, precision), c, form, d, false);
      expectWithin(separate, want, tol, `${precision}, separate output`);
      for (const threads of [1, 2]) {
        const be = wasm(threads, precision);
        const before = be.stats.wasmRoutines;
        expect(runOn(be, c, form, d, true), `${precision} ×${threads} in place`).toEqual(separate);
        expect(be.stats.wasmRoutines, 'ran as a wasm routine').toBe(before + 1);
        expect(runOn(be, c, form, d, false), `${precision} ×${threads} separate`).toEqual(separate);
      }
    }
  });

  it.each(FORMS)('%s: the CPU routine in place equals a separate output and the float64 oracle', (form) => {
    const d = dataFor(c, 8);
    const { want, tol } = expected({ ...c, path: 'direct' }, form, d);
    const cpu = new CpuBackend();
    const separate = runOn(cpu, c, form, d, false);
    // The CPU routines accumulate in float64: the oracle's bound holds a fortiori.
    expectWithin(separate, want, tol, 'cpu, separate output');
    expect(runOn(cpu, c, form, d, true)).toEqual(separate);
  });
});
