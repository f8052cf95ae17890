// The last step of the float32 block statistics, in wasm: per channel the output mean and variance
// (M2 / count) in the outputs' dtypes, and whether every one can be trusted. Done in JavaScript over
// typed-array views, the check and the writes took about 5 µs per call on [256, 1024], a tenth of the
// statistics.

import { elementIo, loadNamedParams, overElementPairs } from '../../codegen-util.js';
import { FunctionBuilder } from '../../encoder/index.js';

/**
 * Below this (nonzero) variance, squares of deviations may fall into the f32 subnormals and lose
 * precision (f32's least normal is 1.2e-38; 1e-30 leaves their absolute error ≤ 1e-15 relative).
 */
export const MIN_BLOCK_VARIANCE = 1e-30;

/** The finish exports, by the mean's and the variance's output dtype (float32 or float64). */
export const FINISH_EXPORTS = ['finish_f32_f32', 'finish_f32_f64', 'finish_f64_f32', 'finish_f64_f64'] as const;

/** The index within FINISH_EXPORTS for outputs of these dtypes. */
export function finishVariant(meanF64: boolean, varF64: boolean): number {
  return (meanF64 ? 2 : 0) + (varF64 ? 1 : 0);
}

/**
 * finish(start, end, tid, params) → i32: params = [mean, m2 (float64 per channel), outMean, outVar,
 * count]; for channels [start, end) writes outMean = mean and outVar = m2 / count (rounded to float32
 * where that output is float32) and returns 1 when some channel is not to be trusted — a mean or
 * variance that is not finite (an f32 overflow in the blocks), or a nonzero variance below
 * MIN_BLOCK_VARIANCE (its squares may have underflowed) — else 0. The caller then recomputes in
 * float64. A channel whose deviations all underflow reads as variance 0: accepted, as no float32
 * variance or BN output can tell it from float64's ≲ 1e-45.
 */
export function finishFunction(meanF64: boolean, varF64: boolean): FunctionBuilder {
  const f = new FunctionBuilder(['i32', 'i32', 'i32', 'i32'], ['i32']);
  const [start, end, , params] = [0, 1, 2, 3].map((k) => f.param(k));
  const p = loadNamedParams(f, params, ['mean', 'm2', 'outMean', 'outVar', 'count']);
  // Pairs of channels in f64x2 lanes (their verdicts or'ed into a lane mask), an odd last one in
  // scalars (into an i32): the same tests either way.
  const vector = { m: f.local('v128'), v: f.local('v128'), count: f.local('v128'), bad: f.local('v128') };
  const scalar = { m: f.local('f64'), v: f.local('f64'), count: f.local('f64'), bad: f.local('i32') };
  f.get(p.count).op('f64.convert_i32_u').tee(scalar.count).simd('f64x2.splat').set(vector.count);
  f.f64x2(0, 0).set(vector.bad);
  f.i32(0).set(scalar.bad);
  overElementPairs(f, start, end, (i, isVector) => {
    const w = isVector ? vector : scalar;
    const io = elementIo(f, i, isVector);
    const op = io.op;
    const constant = (c: number): void => void (isVector ? f.f64x2(c, c) : f.f64(c));
    const logic = (name: 'or' | 'and'): void => void (isVector ? f.simd(`v128.${name}`) : f.op(`i32.${name}`));
    io.loadF64(p.mean);
    f.set(w.m);
    io.loadF64(p.m2);
    f.get(w.count);
    op('div');
    f.set(w.v);
    // bad |= m or v not finite (x − x is 0 for finite x, NaN otherwise) | 0 < v < MIN_BLOCK_VARIANCE.
    f.get(w.bad);
    for (const x of [w.m, w.v]) {
      f.get(x).get(x);
      op('sub');
      constant(0);
      op('ne');
      logic('or');
    }
    f.get(w.v);
    constant(0);
    op('gt');
    f.get(w.v);
    constant(MIN_BLOCK_VARIANCE);
    op('lt');
    logic('and');
    logic('or');
    f.set(w.bad);
    for (const [base, x, f64] of [[p.outMean, w.m, meanF64], [p.outVar, w.v, varF64]] as const) {
      (f64 ? io.storeF64 : io.storeF32)(base, () => void f.get(x));
    }
  });
  f.get(vector.bad).simd('v128.any_true').get(scalar.bad).op('i32.or');
  return f;
}
