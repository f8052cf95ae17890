// The float64 mean folded into the shift (runtime/wasm/fold-shift.ts): which kernels fold, and the
// folded kernels on the wasm backend (float32 lanes, 1 and 2 threads, chunks starting mid-row) bit for
// bit against the arithmetic written out with Math.fround — hi = f32(mean), C = f32(B − (mean − hi)·A)
// in float64, y = f32(f32(f32(x − hi)·f32(A)) + C) — and within float32 rounding of the float64
// reference on data offset by 1e4.

import { afterAll, describe, expect, it } from 'vitest';
import type { DType } from '../../../core/dtype.js';
import { sizeOf } from '../../../core/shape.js';
import { E, ElementwiseKernel, KernelOperand, ScalarExpr } from '../../../ops/kernel-ir.js';
import { foldSplitShift } from '../../../runtime/wasm/fold-shift.js';
import { describeWasmKernel } from '../../../runtime/wasm/row-layout.js';
import { WasmBackend } from '../../../runtime/wasm/wasm-backend.js';
import { maxError } from '../../helpers/compare.js';
import { randomValues } from '../../helpers/random.js';
import { referenceElementwise, runKernel, storage, values } from './kernel-reference.js';

const backends = [1, 2].map((threads) => new WasmBackend({ precision: 'float32', threads }));
afterAll(() => {
  for (const be of backends) be.dispose();
});

const op = (dtype: DType, dims: readonly number[]): KernelOperand => ({ dtype, dims });
const X = E.operand(0);
const M = E.operand(1);
const A = E.operand(2);
const B = E.operand(3);
const R = E.operand(4);
const f = Math.fround;

// [3, 5, 97, 101]: 146,955 elements, so two threads split it into chunks that start mid-row.
const DIMS = [3, 5, 97, 101];
const CH = [5, 1, 1];
const chOf = (i: number): number => Math.floor(i / (97 * 101)) % 5;

interface FoldCase {
  readonly name: string;
  readonly expr: ScalarExpr;
  /** dtypes of the factor and addend operands (operands 2 and 3; unused ones stay in the list). */
  readonly aType: DType;
  readonly bType: DType;
  /** The float32 arithmetic of the folded kernel for one element (factor and addend as the kernel sees them). */
  readonly want: (x: number, hi: number, a: number, c: number, r: number) => number;
  /** The factor and addend the fold computes C from (operand values, or the kernel's constants). */
  readonly terms: (a: number, b: number) => readonly [number, number];
}

const affine = (x: number, hi: number, a: number, c: number): number => f(f(f(x - hi) * f(a)) + c);

const CASES: FoldCase[] = [
  { name: '(x − M)·A + B (BN training)', expr: E.add(E.mul(E.sub(X, M), A), B), aType: 'float64', bType: 'float32', want: affine, terms: (a, b) => [a, b] },
  { name: 'A·(x − M) + B', expr: E.add(E.mul(A, E.sub(X, M)), B), aType: 'float64', bType: 'float32', want: affine, terms: (a, b) => [a, b] },
  { name: 'B + (x − M)·A, B float64', expr: E.add(B, E.mul(E.sub(X, M), A)), aType: 'float32', bType: 'float64', want: affine, terms: (a, b) => [a, b] },
  { name: 'relu((x − M)·A + B) + r (fused residual)', expr: E.add(E.unary('relu', E.add(E.mul(E.sub(X, M), A), B)), R), aType: 'float64', bType: 'float32', want: (x, hi, a, c, r) => f(Math.max(affine(x, hi, a, c), 0) + r), terms: (a, b) => [a, b] },
  { name: '(x − M)·0.75 + B (constant factor)', expr: E.add(E.mul(E.sub(X, M), E.const(0.75)), B), aType: 'float64', bType: 'float32', want: (x, hi, _a, c) => affine(x, hi, 0.75, c), terms: (_a, b) => [0.75, b] },
  { name: '(x − M)·A + 0.5 (constant addend)', expr: E.add(E.mul(E.sub(X, M), A), E.const(0.5)), aType: 'float64', bType: 'float32', want: affine, terms: (a) => [a, 0.5] },
];

function kernelOf(expr: ScalarExpr, aType: DType, bType: DType, mDims: readonly number[] = CH): ElementwiseKernel {
  return { kind: 'elementwise', operands: [op('float32', DIMS), op('float64', mDims), op(aType, CH), op(bType, CH), op('float32', DIMS)], outDims: DIMS, outDtype: 'float32', expr };
}

describe('fold-shift: the float64 mean folded into the shift', () => {
  const n = sizeOf(DIMS);
  const x = randomValues(n, { seed: 5, offset: 1e4 });
  const r = randomValues(n, { seed: 6 });
  const mean = Array.from({ length: 5 }, (_, i) => 1e4 + Math.sin(i + 0.3) * 0.41 + 1e-9 * (i + 1));
  const a = Array.from({ length: 5 }, (_, i) => 0.6 + Math.cos(i) * 0.37);
  const b = Array.from({ length: 5 }, (_, i) => -0.3 + 0.17 * i);

  it.each(CASES)('$name: folds, and matches the float32 arithmetic bit for bit', (c) => {
    const k = kernelOf(c.expr, c.aType, c.bType);
    const fold = foldSplitShift(k);
    expect(fold, 'the kernel folds').toBeDefined();
    expect(fold?.kernel.operands[1].dtype, 'the mean becomes float32 hi').toBe('float32');
    const inputs = [storage('float32', x), storage('float64', mean), storage(c.aType, a), storage(c.bType, b), storage('float32', r)];
    const xs = inputs[0] as Float32Array;
    const rs = inputs[4] as Float32Array;
    const av = Array.from(inputs[2] as Float32Array | Float64Array);
    const bv = Array.from(inputs[3] as Float32Array | Float64Array);
    for (const be of backends) {
      expect((be.compile(k) as { folded?: unknown }).folded).toBeDefined();
      const got = runKernel(be, k, inputs) as Float32Array;
      for (let i = 0; i < n; i++) {
        const ch = chOf(i);
        const hi = f(mean[ch]);
        const [fa, fb] = c.terms(av[ch], bv[ch]);
        const want = c.want(xs[i], hi, fa, f(fb - (mean[ch] - hi) * fa), rs[i]);
        if (got[i] !== want) expect({ i, threads: be.threads, got: got[i] }).toEqual({ i, threads: be.threads, got: want });
      }
      // And within a few float32 roundings of the float64 result (|y| < 4 here: ulp ≤ 2^-22).
      const ref = referenceElementwise(k, inputs.map((s, j) => values({ dtype: k.operands[j].dtype, data: s })));
      expect(maxError(values({ dtype: 'float32', data: got }), ref, { rtol: 0, atol: 0 }).worst).toBeLessThan(1e-6);
    }
  });

  it('converts constant means and factors once, and anything else on every dispatch', () => {
    const be = backends[0];
    const k = kernelOf(CASES[0].expr, 'float64', 'float32');
    const compiled = be.compile(k);
    const n = sizeOf(DIMS);
    const want = (ms: readonly number[]): Float32Array => {
      const xs = storage('float32', x) as Float32Array;
      return Float32Array.from({ length: n }, (_, i) => {
        const ch = chOf(i);
        const hi = f(ms[ch]);
        const fa = (storage('float64', a) as Float64Array)[ch];
        return affine(xs[i], hi, fa, f(f(b[ch]) - (ms[ch] - hi) * fa));
      });
    };
    const other = mean.map((m, i) => m + 0.5 + i);
    const buffer = (dtype: DType, d: readonly number[], constant: boolean) => (constant ? be.constant(dtype, storage(dtype, d)) : (() => {
      const buf = be.allocate(dtype, d.length);
      be.write(buf, storage(dtype, d));
      return buf;
    })());
    const [xb, ab, bb, rb] = [buffer('float32', Array.from(x), false), buffer('float64', a, true), buffer('float32', b, true), buffer('float32', Array.from(r), false)];
    const out = be.allocate('float32', n);
    // The number of elements that differ from the expected run (a count: a diff of 146,955 would not print).
    const run = (mb: ReturnType<typeof buffer>, ms: readonly number[]): number => {
      be.dispatch(compiled, [xb, mb, ab, bb, rb], out);
      const got = be.read(out) as Float32Array;
      const w = want(ms);
      return got.reduce((t, v, i) => t + (v === w[i] ? 0 : 1), 0);
    };
    // Two constant means through one compiled kernel, alternately: each run converts its own.
    const [c1, c2] = [buffer('float64', mean, true), buffer('float64', other, true)];
    for (const [mb, ms] of [[c1, mean], [c2, other], [c1, mean], [c1, mean]] as const) expect(run(mb, ms)).toBe(0);
    // A mean that is not a constant is converted on every dispatch: writing it changes the result.
    const variable = buffer('float64', mean, false);
    expect(run(variable, mean)).toBe(0);
    be.write(variable, storage('float64', other));
    expect(run(variable, other)).toBe(0);
  });

  it('reads hi and C per row, and never loads the original addend', () => {
    const be = backends[0];
    const compiled = be.compile(kernelOf(CASES[0].expr, 'float64', 'float32'));
    if (compiled.kind !== 'wasm') throw new Error('expected a wasm kernel');
    expect(describeWasmKernel(compiled.built, 'float32')).toBe('f32x4 rows 15 × run 9797; x0:f32 vector, x1:f32 splat, x2:f64 splat, x3:f32 unused, x4:f32 unused, x5:f32 splat');
  });

  it('channels-last: converts the float64 factor once per dispatch, but not the float64 addend the fold replaced', () => {
    const dims = [64, 16];
    const k: ElementwiseKernel = { kind: 'elementwise', operands: [op('float32', dims), op('float64', [16]), op('float64', [16]), op('float64', [16])], outDims: dims, outDtype: 'float32', expr: E.add(E.mul(E.sub(X, M), A), B) };
    const compiled = backends[0].compile(k);
    if (compiled.kind !== 'wasm') throw new Error('expected a wasm kernel');
    expect(compiled.folded).toBeDefined();
    expect(compiled.converted?.splits.map((sp) => sp.operand)).toEqual([2]);
  });

  it.each([
    ['the mean used twice', E.add(E.mul(E.sub(X, M), A), M), CH],
    ['a factor of other dims than the mean', E.add(E.mul(E.sub(X, M), R), B), CH],
    ['x − M not scaled', E.add(E.sub(X, M), B), CH],
    ['(x − M)·A − B (a difference, not a sum)', E.sub(E.mul(E.sub(X, M), A), B), CH],
    ['a mean as large as the output', E.add(E.mul(E.sub(X, M), A), B), DIMS],
  ] as const)('leaves alone: %s', (_, expr, mDims) => {
    expect(foldSplitShift(kernelOf(expr, 'float64', 'float32', mDims))).toBeUndefined();
  });

  it('leaves alone a float32 mean and a float64 output', () => {
    const k = kernelOf(E.add(E.mul(E.sub(X, M), A), B), 'float64', 'float32');
    expect(foldSplitShift({ ...k, operands: k.operands.map((o, j) => (j === 1 ? op('float32', CH) : o)) })).toBeUndefined();
    expect(foldSplitShift({ ...k, outDtype: 'float64' })).toBeUndefined();
  });
});
