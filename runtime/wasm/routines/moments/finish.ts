// The last step of the float32 block statistics, in wasm: per channel the output mean and variance
// (M2 / count) in the outputs' dtypes, and whether every one can be trusted. Done in JavaScript over
// typed-array views, the check and the writes took about 5 µs per call on [256, 1024], a tenth of the
// statistics.

import { loadNamedParams } from '../../codegen-util.js';
import { FunctionBuilder, type Local } from '../../encoder/index.js';

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
  const i = f.local('i32');
  const [m, v, count, bad, tiny] = [0, 1, 2, 3, 4].map(() => f.local('v128'));
  const [ms, vs, counts] = [f.local('f64'), f.local('f64'), f.local('f64')];
  const badS = f.local('i32');
  f.get(p.count).op('f64.convert_i32_u').tee(counts).simd('f64x2.splat').set(count);
  f.f64x2(MIN_BLOCK_VARIANCE, MIN_BLOCK_VARIANCE).set(tiny);
  f.f64x2(0, 0).set(bad);
  const at = (base: Local, bytes: 4 | 8): void => void f.get(base).get(i).i32(bytes === 8 ? 3 : 2).op('i32.shl').op('i32.add');
  /** Push the mask of lanes of the local that are not finite: x − x is 0 for finite x, NaN otherwise. */
  const notFinite = (x: Local): void => void f.get(x).get(x).simd('f64x2.sub').f64x2(0, 0).simd('f64x2.ne');
  const store = (base: Local, x: Local, f64: boolean): void => {
    at(base, f64 ? 8 : 4);
    f.get(x);
    if (f64) f.vmem('v128.store');
    else f.simd('f32x4.demote_f64x2_zero').storeLane('v128.store64_lane', 0, 0);
  };
  f.get(start).set(i);
  f.block((done) => {
    f.loop((again) => {
      f.get(i).i32(2).op('i32.add').get(end).op('i32.gt_u').brIf(done);
      at(p.mean, 8);
      f.vmem('v128.load').set(m);
      at(p.m2, 8);
      f.vmem('v128.load').get(count).simd('f64x2.div').set(v);
      f.get(bad);
      notFinite(m);
      notFinite(v);
      f.simd('v128.or');
      f.get(v).f64x2(0, 0).simd('f64x2.gt').get(v).get(tiny).simd('f64x2.lt').simd('v128.and');
      f.simd('v128.or').simd('v128.or').set(bad);
      store(p.outMean, m, meanF64);
      store(p.outVar, v, varF64);
      f.get(i).i32(2).op('i32.add').set(i);
      f.br(again);
    });
  });
  // An odd last channel, in scalars: the same tests.
  f.get(bad).simd('v128.any_true').set(badS);
  f.get(i).get(end).op('i32.lt_u').if(() => {
    at(p.mean, 8);
    f.mem('f64.load').set(ms);
    at(p.m2, 8);
    f.mem('f64.load').get(counts).op('f64.div').set(vs);
    f.get(badS);
    for (const x of [ms, vs]) f.get(x).get(x).op('f64.sub').f64(0).op('f64.ne').op('i32.or');
    f.get(vs).f64(0).op('f64.gt').get(vs).f64(MIN_BLOCK_VARIANCE).op('f64.lt').op('i32.and').op('i32.or').set(badS);
    for (const [base, x, f64] of [[p.outMean, ms, meanF64], [p.outVar, vs, varF64]] as const) {
      at(base, f64 ? 8 : 4);
      f.get(x);
      if (f64) f.mem('f64.store');
      else f.op('f32.demote_f64').mem('f32.store');
    }
  });
  f.get(badS);
  return f;
}
