// Elementwise kernels on the wasm backend against the float64 evaluator and the CPU backend, over the
// SIMD fast paths (contiguous operands, per-channel [C,1,1] splats, scalars, general broadcasting,
// float64 operands and outputs, runs that start mid-chunk) and the JavaScript fallbacks (float16,
// int64, bool, transcendental functions). In 'float64' precision the results are bit-identical to
// the CPU backend; in 'float32' they stay within float32 tolerance of the reference on well-scaled
// data, and the offset case documents why float32 is opt-in.

import { afterAll, describe, expect, it } from 'vitest';
import type { DType, Storage } from '../../../core/dtype.js';
import { sizeOf } from '../../../core/shape.js';
import { E, ElementwiseKernel, KernelOperand, ScalarExpr } from '../../../ops/kernel-ir.js';
import { CpuBackend } from '../../../runtime/cpu/cpu-backend.js';
import { describeWasmKernel } from '../../../runtime/wasm/row-layout.js';
import { Precision, WasmBackend } from '../../../runtime/wasm/wasm-backend.js';
import { maxError } from '../../helpers/compare.js';
import { randomValues } from '../../helpers/random.js';
import { referenceElementwise, runKernel, storage, values } from './kernel-reference.js';

const backends = new Map<string, WasmBackend>();
function wasm(precision: Precision, threads: number): WasmBackend {
  const key = `${precision}/${threads}`;
  let be = backends.get(key);
  if (be === undefined) {
    be = new WasmBackend({ precision, threads });
    backends.set(key, be);
  }
  return be;
}
afterAll(() => {
  for (const be of backends.values()) be.dispose();
});

const cpu = new CpuBackend();
const op = (dtype: DType, dims: readonly number[]): KernelOperand => ({ dtype, dims });
const kernel = (operands: KernelOperand[], outDims: number[], expr: ScalarExpr, outDtype: DType = 'float32'): ElementwiseKernel => ({ kind: 'elementwise', operands, outDims, outDtype, expr });

interface Case {
  readonly name: string;
  readonly k: ElementwiseKernel;
  /** Values of each operand (before rounding to its dtype). */
  readonly lo?: number;
  readonly hi?: number;
}

function inputsFor(c: Case, seed = 1): Storage[] {
  return c.k.operands.map((o, j) => storage(o.dtype, randomValues(sizeOf(o.dims), { seed: seed + 7 * j, low: c.lo ?? -2, high: c.hi ?? 2 })));
}

const X = E.operand(0);
const Y = E.operand(1);
const Z = E.operand(2);
const W = E.operand(3);
const bnExpr = E.add(E.mul(E.sub(X, Y), Z), W);

const SIMD_CASES: Case[] = [
  { name: 'contiguous chain over a parallel-sized tensor', k: kernel([op('float32', [2, 3, 11, 1009]), op('float32', [2, 3, 11, 1009])], [2, 3, 11, 1009], E.unary('relu', E.add(E.mul(X, Y), E.const(0.25)))) },
  { name: 'BN scale/shift with float64 per-channel operands', k: kernel([op('float32', [4, 7, 9, 13]), op('float64', [7, 1, 1]), op('float64', [7, 1, 1]), op('float32', [7, 1, 1])], [4, 7, 9, 13], bnExpr) },
  { name: 'large BN pattern (chunks start mid-row)', k: kernel([op('float32', [3, 5, 97, 101]), op('float64', [5, 1, 1]), op('float64', [5, 1, 1]), op('float32', [5, 1, 1])], [3, 5, 97, 101], bnExpr) },
  { name: 'scalar operands ([] and [1])', k: kernel([op('float32', [5, 6]), op('float32', []), op('float64', [1])], [5, 6], E.binary('max', E.mul(X, Y), Z)) },
  { name: 'two-sided broadcasting [5,1,6] × [4,1]', k: kernel([op('float32', [5, 1, 6]), op('float32', [4, 1])], [5, 4, 6], E.sub(X, E.unary('square', Y))) },
  { name: 'row broadcast [3,1] with a trailing [1,7]', k: kernel([op('float32', [3, 1]), op('float32', [1, 7])], [3, 7], E.binary('min', X, Y)) },
  { name: 'channels-last per-channel operand [C]', k: kernel([op('float32', [2, 5, 3, 10]), op('float32', [10]), op('float64', [10])], [2, 5, 3, 10], E.add(E.mul(X, Y), Z)) },
  // Rows of whole vectors with row-invariant operands run ROW_BLOCK rows at a time: a chunk boundary
  // mid-row (34920 elements, chunks of 32768), leftover rows, and an operand that changes with the
  // outer axis, so blocks stop at the outer boundary and the odometer carries after a block.
  { name: 'channels-last rows in blocks, chunks ending mid-row', k: kernel([op('float32', [97, 3, 120]), op('float32', [120]), op('float64', [120]), op('float64', [120])], [97, 3, 120], bnExpr) },
  // Rows of an even vector count run two columns per loop iteration, an odd count (36 = 9 vectors) one.
  { name: 'channels-last rows in blocks, an odd number of vectors per row', k: kernel([op('float32', [11, 36]), op('float32', [36]), op('float64', [36]), op('float32', [36])], [11, 36], bnExpr) },
  { name: 'row blocks over an axis whose operand changes with the outer axis', k: kernel([op('float32', [5, 7, 16]), op('float32', [5, 1, 16]), op('float64', [16]), op('float32', [])], [5, 7, 16], E.add(E.mul(E.sub(X, Y), Z), W)) },
  { name: 'float64 operands and a float64 output', k: kernel([op('float64', [3, 37]), op('float32', [3, 1])], [3, 37], E.div(X, E.add(E.unary('abs', Y), E.const(0.5))), 'float64') },
  { name: 'float32 operands into a float64 output', k: kernel([op('float32', [1, 2, 23])], [1, 2, 23], E.unary('neg', E.unary('floor', E.mul(X, E.const(3)))), 'float64') },
  { name: 'a single element', k: kernel([op('float32', []), op('float32', [])], [], E.add(X, Y)) },
  {
    name: 'every SIMD unary',
    k: kernel(
      [op('float32', [3, 41])],
      [3, 41],
      E.add(
        E.add(E.unary('sqrt', E.unary('abs', X)), E.unary('rsqrt', E.add(E.unary('square', X), E.const(1)))),
        E.add(E.unary('recip', E.add(E.unary('ceil', X), E.const(7))), E.unary('roundF32', E.div(E.unary('floor', X), E.const(3)))),
      ),
    ),
  },
  { name: 'in-range sqrt of a positive channel term', k: kernel([op('float64', [7]), op('float64', [7])], [7], E.div(X, E.unary('sqrt', E.add(Y, E.const(1e-5)))), 'float64'), lo: 0.1, hi: 3 },
];

describe.each([
  ['float64', 1],
  ['float64', 2],
  ['float32', 1],
  ['float32', 3],
] as const)('wasm elementwise, precision %s, %i thread(s)', (precision, threads) => {
  it.each(SIMD_CASES.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const be = wasm(precision, threads);
    const compiled = be.compile(c.k);
    expect(compiled.kind, compiled.kind === 'js' ? compiled.reason : '').toBe('wasm');
    const inputs = inputsFor(c);
    const got = runKernel(be, c.k, inputs);
    const want = runKernel(cpu, c.k, inputs);
    if (precision === 'float64') {
      // The same float64 arithmetic and one rounding on store: bit for bit the CPU backend.
      expect(got).toEqual(want);
    } else {
      const ref = referenceElementwise(c.k, inputs.map((s, j) => values({ dtype: c.k.operands[j].dtype, data: s })));
      const r = maxError(values({ dtype: c.k.outDtype, data: got }), ref, { rtol: 1e-5, atol: 1e-6 });
      expect(r.excess, `element ${r.index}: max abs error ${r.worst}`).toBeLessThanOrEqual(0);
    }
  });
});

describe('wasm elementwise special values', () => {
  const special = [NaN, -0, 0, Infinity, -Infinity, -1.5, 2.5, 1e-40, -3e38, 0.5];
  const k = kernel(
    [op('float32', [10]), op('float32', [10])],
    [10],
    E.add(E.unary('relu', X), E.binary('max', E.mul(Y, E.const(-0)), E.binary('min', X, E.const(NaN)))),
  );
  const relu = kernel([op('float32', [10])], [10], E.unary('relu', X));
  const minmax = kernel([op('float32', [10]), op('float32', [10])], [10], E.add(E.binary('max', X, Y), E.binary('min', Y, X)));
  it.each(['float64', 'float32'] as const)('NaN, ±0 and ±∞ behave as on the CPU backend (%s)', (precision) => {
    const be = wasm(precision, 1);
    const a = storage('float32', special);
    const b = storage('float32', [...special].reverse());
    for (const kk of [k, relu, minmax]) {
      const got = runKernel(be, kk, [a, b].slice(0, kk.operands.length));
      const want = runKernel(cpu, kk, [a, b].slice(0, kk.operands.length));
      // NaN payloads may differ; Object.is tells −0 from +0.
      expect([...got].map((v) => (Number.isNaN(v) ? 'NaN' : Object.is(v, -0) ? '-0' : v))).toEqual([...want].map((v) => (Number.isNaN(v) ? 'NaN' : Object.is(v, -0) ? '-0' : v)));
    }
  });

  it('writes in place over an operand (the memory plan does this)', () => {
    const be = wasm('float64', 2);
    const n = 70_001;
    const kk = kernel([op('float32', [n]), op('float32', [])], [n], E.mul(E.add(X, Y), X));
    const xs = storage('float32', randomValues(n, { seed: 3 }));
    const buf = be.allocate('float32', n);
    const s = be.allocate('float32', 1);
    be.write(buf, xs);
    be.write(s, storage('float32', [0.5]));
    be.dispatch(be.compile(kk), [buf, s], buf);
    expect(be.read(buf)).toEqual(runKernel(cpu, kk, [xs, storage('float32', [0.5])]));
  });
});

describe('wasm elementwise fallbacks to the CPU kernel', () => {
  const cases: [string, ElementwiseKernel][] = [
    ['float16 operand', kernel([op('float16', [4, 9]), op('float32', [9])], [4, 9], E.add(X, Y))],
    ['float16 output', kernel([op('float32', [4, 9])], [4, 9], E.mul(X, E.const(3)), 'float16')],
    ['int64 output (Cast truncation)', kernel([op('float32', [33])], [33], E.mul(X, E.const(10)), 'int64')],
    ['bool output', kernel([op('float32', [33])], [33], X, 'bool')],
    ['exp / tanh / sigmoid', kernel([op('float32', [3, 17])], [3, 17], E.add(E.unary('exp', X), E.mul(E.unary('tanh', X), E.unary('sigmoid', X))))],
    ['pow', kernel([op('float32', [17]), op('float32', [])], [17], E.binary('pow', E.unary('abs', X), Y))],
    ['float16 rounding', kernel([op('float32', [17])], [17], E.unary('roundF16', X))],
  ];
  it.each(cases)('%s runs the JavaScript kernel on views, identical to the CPU backend', (_, k) => {
    const be = wasm('float64', 2);
    const compiled = be.compile(k);
    expect(compiled.kind).toBe('js');
    expect(describeWasmKernel(k)).toMatch(/^js fallback/);
    const inputs = k.operands.map((o, j) => storage(o.dtype, randomValues(sizeOf(o.dims), { seed: 5 + j, low: -3, high: 3 })));
    expect(runKernel(be, k, inputs)).toEqual(runKernel(cpu, k, inputs));
  });
});

describe('wasm elementwise layout and precision', () => {
  it('describes the row/run layout it generates', () => {
    const k = SIMD_CASES[1].k;
    expect(describeWasmKernel(k)).toBe('f64x2 rows 28 × run 117; x0:f32 vector, x1:f64 splat, x2:f64 splat, x3:f32 splat');
    expect(describeWasmKernel(SIMD_CASES[4].k, 'float32')).toBe('f32x4 rows 20 × run 6; x0:f32 vector, x1:f32 splat');
  });

  // BN with a float64 mean on data offset by 1e4: rounding the mean to float32 (ulp 2^-10 near 1e4) would
  // cost up to ulp/2 · a ≈ 1e-3. The float32 lanes split it as hi + lo, so x − mean keeps its precision.
  // Per-channel operands as splats ([3,1,1]) and as vectors along the innermost axis ([9]: vector body
  // and scalar tail of each 9-element run).
  it.each([
    ['splat', [3, 1, 1], [1e4 + 0.0123456789, 1e4 - 0.3141592653, 1e4 + 0.2718281828]],
    ['vector', [9], Array.from({ length: 9 }, (_, i) => 1e4 + Math.sin(i + 0.5) * 0.37)],
  ] as const)('BN on data offset by 1e4 with a float64 mean (%s) stays within ~1 ulp in both precisions', (_, pdims, mean) => {
    const dims = [2, 3, 8, 9];
    const c = sizeOf(pdims);
    const k = kernel([op('float32', dims), op('float64', pdims), op('float64', pdims), op('float32', pdims)], dims, bnExpr);
    const x = storage('float32', randomValues(sizeOf(dims), { seed: 9, offset: 1e4 }));
    const a = storage('float64', Array.from({ length: c }, (_, i) => [1.3, 0.7, 2.1][i % 3]));
    const b = storage('float32', Array.from({ length: c }, (_, i) => [0.1, -0.2, 0.3][i % 3]));
    const inputs = [x, storage('float64', [...mean]), a, b];
    const ref = referenceElementwise(k, inputs.map((s, j) => values({ dtype: k.operands[j].dtype, data: s })));
    const err = (precision: Precision): number => maxError(values({ dtype: 'float32', data: runKernel(wasm(precision, 1), k, inputs) }), ref, { rtol: 0, atol: 0 }).worst;
    expect(err('float64')).toBeLessThan(1e-6);
    // |y| < 8 here, so one float32 rounding of y is ≤ 2^-22 ≈ 2.4e-7; allow a few roundings.
    expect(err('float32')).toBeLessThan(1e-6);
  });
});

// Channels-last BN ([M, C], per-channel float64 vectors): with float32 lanes the backend folds the
// float64 mean into the shift (fold-shift.ts) and converts the remaining float64 vectors to float32
// once per dispatch (split-operands.ts). The oracle is that arithmetic written out here with
// Math.fround — hi = f32(mean), C = f32(b − (mean − hi)·a) in float64, y = f32(f32(f32(x − hi)·f32(a)) + C)
// — which the kernel must match bit for bit.
describe('wasm float32 lanes with float64 per-channel vectors', () => {
  it.each([
    ['[37, 1031] (vector body and scalar tail)', [37, 1031]],
    ['[5, 3, 64] (channels innermost, rows of 64)', [5, 3, 64]],
  ] as const)('%s: folded and converted once per dispatch, bit-identical to float32 arithmetic', (_, dims) => {
    const c = dims[dims.length - 1];
    const k = kernel([op('float32', [...dims]), op('float64', [c]), op('float64', [c]), op('float32', [c])], [...dims], bnExpr);
    const x = randomValues(sizeOf(dims), { seed: 3, offset: 1e4 });
    const mean = Array.from({ length: c }, (_, i) => 1e4 + Math.sin(i) * 0.77 + 1e-9 * i);
    const a = Array.from({ length: c }, (_, i) => 0.5 + Math.cos(i) * 0.3);
    const b = Array.from({ length: c }, (_, i) => Math.fround(0.01 * i));
    const inputs = [storage('float32', x), storage('float64', mean), storage('float64', a), storage('float32', b)];
    const be = wasm('float32', 2);
    expect((be.compile(k) as { folded?: unknown }).folded, 'the mean is folded').toBeDefined();
    expect((be.compile(k) as { converted?: unknown }).converted, 'the factor is converted').toBeDefined();
    const got = runKernel(be, k, inputs) as Float32Array;
    const f = Math.fround;
    const xs = inputs[0] as Float32Array;
    for (let i = 0; i < xs.length; i++) {
      const ch = i % c;
      const hi = f(mean[ch]);
      const shift = f(b[ch] - (mean[ch] - hi) * a[ch]);
      const want = f(f(f(xs[i] - hi) * f(a[ch])) + shift);
      if (got[i] !== want) expect({ i, got: got[i] }).toEqual({ i, got: want });
    }
  });

  // The same rows computed with the vectors converted ([64, C]: an operand of C ≤ 1/8 of the output)
  // and in-line ([4, C]: not small enough to convert) must agree bit for bit, whatever the expression:
  // addends on either side, both sides float64, nesting, an operand also used as a factor, and a
  // float64 per-row operand [M, 1] (never converted) beside a converted vector.
  const A = E.operand(1);
  const B = E.operand(2);
  it.each([
    ['(x + a) + (a + b)', E.add(E.add(X, A), E.add(A, B)), false],
    ['(x − a)·a', E.mul(E.sub(X, A), A), false],
    ['(x − a) − b', E.sub(E.sub(X, A), B), false],
    ['a + x', E.add(A, X), false],
    ['a − x', E.sub(A, X), false],
    ['a + b', E.add(A, B), false],
    ['x + (a + b), b per row', E.add(X, E.add(A, B)), true],
    ['a + b, b per row', E.add(A, B), true],
    ['x·0 + (a − b), b per row', E.add(E.mul(X, E.const(0)), E.sub(A, B)), true],
    ['(x − a) + (a + b), b per row', E.add(E.sub(X, A), E.add(A, B)), true],
  ] as const)('%s: converted and in-line agree bit for bit', (_, expr, perRow) => {
    const c = 37;
    const mk = (r: number): ElementwiseKernel => kernel([op('float32', [r, c]), op('float64', [c]), op('float64', perRow ? [r, 1] : [c])], [r, c], expr);
    const rows = (r: number): number[] => Array.from({ length: r * c }, (_, i) => 1e4 + Math.sin(i * 1.7));
    const a = Array.from({ length: c }, (_, i) => 1e4 + Math.sin(i) * 0.77 + 1e-7 * i);
    const b = (r: number): number[] => (perRow ? Array.from({ length: r }, (_, i) => -1e4 + Math.sin(i) * 0.123456789) : Array.from({ length: c }, (_, i) => -1e4 + Math.cos(i) * 0.33 + 3e-7 * i));
    const be = wasm('float32', 1);
    expect((be.compile(mk(4)) as { converted?: unknown }).converted).toBeUndefined();
    expect((be.compile(mk(64)) as { converted?: unknown }).converted).toBeDefined();
    const inline = runKernel(be, mk(4), [storage('float32', rows(4)), storage('float64', a), storage('float64', b(4))]);
    const converted = runKernel(be, mk(64), [storage('float32', rows(64)), storage('float64', a), storage('float64', b(64))]);
    expect(Array.from(converted.slice(0, 4 * c) as Float32Array)).toEqual(Array.from(inline as Float32Array));
  });

  it('leaves float64 lanes and splat (per-row) operands alone', () => {
    const k = kernel([op('float32', [4, 7, 9, 13]), op('float64', [7, 1, 1]), op('float64', [7, 1, 1]), op('float32', [7, 1, 1])], [4, 7, 9, 13], bnExpr);
    expect((wasm('float32', 1).compile(k) as { converted?: unknown }).converted).toBeUndefined();
    const cl = kernel([op('float32', [37, 1031]), op('float64', [1031]), op('float64', [1031]), op('float32', [1031])], [37, 1031], bnExpr);
    expect((wasm('float64', 1).compile(cl) as { converted?: unknown }).converted).toBeUndefined();
  });
});
