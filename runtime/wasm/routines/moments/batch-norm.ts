// BatchNormalization's per-channel outputs of the statistics routine (its `batchNorm` option), in wasm
// for float32 parameters: a = scale/√(var + ε) and the running statistics running·momentum +
// batch·(1 − momentum), two channels per f64x2 — the float64 operations of runtime/batch-norm-channels.ts,
// which the routine uses for other dtypes (JavaScript's scalar sqrt and division took 7 µs for 1024
// channels, more than the three elementwise kernels this replaces).

import { type ElementIo, elementIo, loadNamedParams, overElementPairs } from '../../codegen-util.js';
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
  /** `body` over every channel pair (and an odd last channel), with `constant` picking a splat or its scalar. */
  const channels = (body: (io: ElementIo, constant: (v: Local, s: Local) => void) => void): void =>
    overElementPairs(f, zero, k, (i, vector) => body(elementIo(f, i, vector), (v, s) => void f.get(vector ? v : s)));
  channels((io, constant) => {
    io.storeF64(p.a, () => {
      io.loadF32(p.scale);
      io.loadF64(p.variance);
      constant(eps, epsilon);
      io.op('add');
      io.op('sqrt');
      io.op('div');
    });
  });
  f.get(p.running).if(() => {
    for (const [running, batch, out] of [[p.runMean, p.mean, p.meanOut], [p.runVar, p.variance, p.varOut]] as const) {
      channels((io, constant) => {
        io.storeF32(out, () => {
          io.loadF32(running);
          constant(mom, momentum);
          io.op('mul');
          io.loadF64(batch);
          constant(keep, keepScalar);
          io.op('mul');
          io.op('add');
        });
      });
    }
  });
  return f;
}
