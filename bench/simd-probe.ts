// The floating-point rate of 128-bit WebAssembly SIMD on this core, measured in the run, and the floor
// it puts under BatchNormalization in training form.
//
// Why: kiln's BN training forward is exact in the sense of DESIGN.md §6–§7 — statistics summed about a
// float32 shift (d = x − m̂, then Σd and Σd²: three vector adds and a multiply per four values,
// runtime/wasm/routines/moments.ts) and a normalize that subtracts first ((x − hi)·a + C: two adds and
// a multiply; onnxruntime's x·a + (B − mean·a) loses ~1e-3 on offset inputs). Five f32x4 adds per four
// values, and the core's vector adders (two pipes on this AMD EPYC, beside two multipliers) bound how
// fast any kernel doing that arithmetic in 128-bit lanes can run, whatever its memory traffic. The report
// gives that floor per training shape, kiln's time as a multiple of it, and onnxruntime-node's time over
// it: the largest speed-up this arithmetic can show against onnxruntime.
//
// The probe: CHAINS independent accumulators, each taking STEPS dependent f32x4 adds (or multiplies) per
// loop iteration, so the adders' throughput, not one chain's latency, is what limits it (12 chains of
// 3-cycle adds keep more than two pipes busy; 8 measured no slower). The best of several repeats is kept:
// a floor is about what the core can do, and other work on this shared machine only slows a repeat.
// The functions return the chains' sum, so the work cannot be optimized away and a test can check it.

import { FunctionBuilder, ModuleBuilder } from '../runtime/wasm/encoder/index.js';
import { exportedFunctions, webAssembly } from '../runtime/wasm/wasm-api.js';

/** Independent accumulator chains in the probe loop (12 v128 locals, fewer than x64's 16 xmm registers). */
export const CHAINS = 12;
/** Dependent operations per chain per loop iteration. */
export const STEPS = 4;

/** Vector adds per four values in kiln's BN training forward: Σ about the shift (3) and the normalize (2). */
export const BN_TRAINING_ADDS_PER_VECTOR = 5;

export interface SimdRates {
  /** f32x4.add per nanosecond, one thread. */
  readonly addsPerNs: number;
  /** f32x4.mul per nanosecond, one thread. */
  readonly mulsPerNs: number;
}

/**
 * op(n, start, operand) → f32: every chain starts at `start` and takes n·STEPS ops with `operand`
 * (an f32x4.add or f32x4.mul); returns the sum over the chains of lane 0. Exported as `add` and `mul`.
 */
function probeFunction(op: 'f32x4.add' | 'f32x4.mul'): FunctionBuilder {
  const f = new FunctionBuilder(['i32', 'f32', 'f32'], ['f32']);
  const [n, start, operand] = [0, 1, 2].map((i) => f.param(i));
  const chains = Array.from({ length: CHAINS }, () => f.local('v128'));
  const v = f.local('v128');
  f.get(operand).simd('f32x4.splat').set(v);
  for (const c of chains) f.get(start).simd('f32x4.splat').set(c);
  f.block((done) => {
    f.loop((next) => {
      f.get(n).op('i32.eqz').brIf(done);
      for (let s = 0; s < STEPS; s++) for (const c of chains) f.get(c).get(v).simd(op).set(c);
      f.get(n).i32(1).op('i32.sub').set(n);
      f.br(next);
    });
  });
  f.get(chains[0]);
  for (const c of chains.slice(1)) f.get(c).simd('f32x4.add');
  f.lane('f32x4.extract_lane', 0);
  return f;
}

export interface ProbeFunctions {
  add(n: number, start: number, operand: number): number;
  mul(n: number, start: number, operand: number): number;
}

export function probeFunctions(): ProbeFunctions {
  const api = webAssembly();
  if (api === undefined) throw new Error('simd probe: WebAssembly is not available');
  const m = new ModuleBuilder();
  m.addFunction(probeFunction('f32x4.add'), 'add');
  m.addFunction(probeFunction('f32x4.mul'), 'mul');
  // The module imports nothing; the memory only satisfies the instance's import type.
  const [add, mul] = exportedFunctions(new api.Instance(new api.Module(m.encode()), { env: { memory: new api.Memory({ initial: 1 }) } }), ['add', 'mul']);
  const number = (v: number | undefined): number => v ?? Number.NaN;
  return { add: (n, start, operand) => number(add(n, start, operand)), mul: (n, start, operand) => number(mul(n, start, operand)) };
}

/** The best rate of `repeats` timed calls of `iterations` loop iterations each, after a warm-up. */
export function measureSimdRates(iterations = 1_000_000, repeats = 7): SimdRates {
  const fns = probeFunctions();
  // Warm-up: V8 tiers a wasm function up to optimized code after it has done enough work.
  for (let i = 0; i < 3; i++) {
    fns.add(iterations, 0, 1);
    fns.mul(iterations, 1, 1);
  }
  const ops = iterations * STEPS * CHAINS;
  const best = (run: () => void): number => {
    let rate = 0;
    for (let r = 0; r < repeats; r++) {
      const t0 = process.hrtime.bigint();
      run();
      const ns = Number(process.hrtime.bigint() - t0);
      rate = Math.max(rate, ops / ns);
    }
    return rate;
  };
  return { addsPerNs: best(() => fns.add(iterations, 0, 1)), mulsPerNs: best(() => fns.mul(iterations, 1, 1)) };
}

/** The least time (ms) kiln's BN training arithmetic can take on `elements` values at `addsPerNs`. */
export function bnTrainingFloorMs(elements: number, addsPerNs: number): number {
  return (Math.ceil(elements / 4) * BN_TRAINING_ADDS_PER_VECTOR) / addsPerNs / 1e6;
}
