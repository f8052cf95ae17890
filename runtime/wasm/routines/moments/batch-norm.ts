// BatchNormalization's per-channel outputs of the statistics routine (its `batchNorm` option), in wasm
// for float32 parameters: a = scale/√(var + ε) and the running statistics running·momentum +
// batch·(1 − momentum), two channels per f64x2 — the float64 operations of runtime/batch-norm-channels.ts,
// which the routine uses for other dtypes (JavaScript's scalar sqrt and division took 7 µs for 1024
// channels, more than the three elementwise kernels this replaces).

import { elementAt, loadNamedParams, overElementPairs } from '../../codegen-util.js';
import { FunctionBuilder, type Local } from '../../encoder/index.js';

/**
 * bn(k, params, epsilon, momentum): params = [mean, var, a (float64 per channel), scale (float32), and
 * with running ≠ 0: runMean, runVar (float32) in and meanOut, varOut (float32) out, running]; channels
 * [0, k). Called directly on the calling thread (per-channel work, a few microseconds).
 */
export function batchNormFunction(): FunctionBuilder {
  const f = new FunctionBuilder(['i32', 'i32', 'f64', 'f64']);
  const [k, params, epsilon, momentum] = [0, 1, 2, 3].map((i) => f.param(i));
  const p = loadNamedParams(f, params, ['mean', 'variance', 'a', 'scale', 'runMean', 'runVar', 'meanOut', 'varOut', 'running']);
  const zero = f.local('i32');
  const eps = f.local('v128');
  const mom = f.local('v128');
  const keep = f.local('v128');
  const keepScalar = f.local('f64');
  f.i32(0).set(zero);
  f.get(epsilon).simd('f64x2.splat').set(eps);
  f.get(momentum).simd('f64x2.splat').set(mom);
  f.f64(1).get(momentum).op('f64.sub').tee(keepScalar).simd('f64x2.splat').set(keep);
  /** Each channel pair (or odd last channel) of `body`, with loads and stores in the matching width. */
  const channels = (body: (io: { f32: (base: Local) => void; f64: (base: Local) => void; storeF32: (base: Local, value: () => void) => void; storeF64: (base: Local, value: () => void) => void; op: (name: 'add' | 'mul' | 'div' | 'sqrt') => void; constant: (v: Local, s: Local) => void }) => void): void => {
    overElementPairs(f, zero, k, (i, vector) =>
      body({
        f32: (base) => {
          elementAt(f, base, i, 4);
          if (vector) f.vmem('v128.load64_zero').simd('f64x2.promote_low_f32x4');
          else f.mem('f32.load').op('f64.promote_f32');
        },
        f64: (base) => {
          elementAt(f, base, i, 8);
          if (vector) f.vmem('v128.load');
          else f.mem('f64.load');
        },
        storeF32: (base, value) => {
          elementAt(f, base, i, 4);
          value();
          if (vector) f.simd('f32x4.demote_f64x2_zero').storeLane('v128.store64_lane', 0, 0);
          else f.op('f32.demote_f64').mem('f32.store');
        },
        storeF64: (base, value) => {
          elementAt(f, base, i, 8);
          value();
          if (vector) f.vmem('v128.store');
          else f.mem('f64.store');
        },
        op: (name) => void (vector ? f.simd(`f64x2.${name}`) : f.op(`f64.${name}`)),
        constant: (v, s) => void f.get(vector ? v : s),
      }),
    );
  };
  channels(({ f32, f64, storeF64, op, constant }) => {
    storeF64(p.a, () => {
      f32(p.scale);
      f64(p.variance);
      constant(eps, epsilon);
      op('add');
      op('sqrt');
      op('div');
    });
  });
  f.get(p.running).if(() => {
    for (const [running, batch, out] of [[p.runMean, p.mean, p.meanOut], [p.runVar, p.variance, p.varOut]] as const) {
      channels(({ f32, f64, storeF32, op, constant }) => {
        storeF32(out, () => {
          f32(running);
          constant(mom, momentum);
          op('mul');
          f64(batch);
          constant(keep, keepScalar);
          op('mul');
          op('add');
        });
      });
    }
  });
  return f;
}
