// Small structured-loop helpers over the FunctionBuilder, shared by the wasm code generators.

import type { FunctionBuilder, Label, Local } from './encoder/index.js';

/** Pushes one i32 (a value or a condition). */
export type Emit = () => void;

export const constant = (f: FunctionBuilder, v: number): Emit => () => void f.i32(v);
export const read = (f: FunctionBuilder, l: Local): Emit => () => void f.get(l);

/** for (i = from; i <u to; i += step) body — `to` is re-evaluated every iteration. */
export function forUp(f: FunctionBuilder, i: Local, from: Emit, to: Emit, step: number, body: (exit: Label) => void): void {
  from();
  f.set(i);
  f.block((exit) => {
    f.loop((again) => {
      f.get(i);
      to();
      f.op('i32.ge_u').brIf(exit);
      body(exit);
      f.get(i).i32(step).op('i32.add').set(i);
      f.br(again);
    });
  });
}

/** while (n >=u step) { body; n -= step } */
export function whileAtLeast(f: FunctionBuilder, n: Local, step: number, body: () => void): void {
  f.block((exit) => {
    f.loop((again) => {
      f.get(n).i32(step).op('i32.lt_u').brIf(exit);
      body();
      f.get(n).i32(step).op('i32.sub').set(n);
      f.br(again);
    });
  });
}

/** local += delta (an i32 constant, wrapped to 32 bits as address arithmetic wraps; nothing when 0). */
export function addConst(f: FunctionBuilder, l: Local, delta: number): void {
  if (delta === 0) return;
  f.get(l).i32(delta | 0).op('i32.add').set(l);
}

/** Push min(a, b) of two unsigned i32s. */
export function minU(f: FunctionBuilder, a: Emit, b: Emit, scratchA: Local, scratchB: Local): void {
  a();
  f.tee(scratchA);
  b();
  f.tee(scratchB);
  f.get(scratchA).get(scratchB).op('i32.lt_u');
  f.op('select');
}

/** Load the parameters `names` (i32s at params, params + 4, ...) into fresh locals, by name. */
export function loadNamedParams<const N extends string>(f: FunctionBuilder, params: Local, names: readonly N[]): Readonly<Record<N, Local>> {
  const out = {} as Record<N, Local>;
  names.forEach((n, i) => {
    out[n] = loadParam(f, params, i);
  });
  return out;
}

/** Load the i32 at params + 4·index into a fresh local. */
export function loadParam(f: FunctionBuilder, params: Local, index: number): Local {
  const l = f.local('i32');
  f.get(params).mem('i32.load', 4 * index).set(l);
  return l;
}

/**
 * Elements [start, end) of float64 data: `step(i, true)` two at a time in f64x2 lanes, then
 * `step(i, false)` for an odd last one in scalars; both emit the same arithmetic at element index i.
 */
export function overElementPairs(f: FunctionBuilder, start: Local, end: Local, step: (i: Local, vector: boolean) => void): void {
  const i = f.local('i32');
  f.get(start).set(i);
  f.block((done) => {
    f.loop((again) => {
      f.get(i).i32(2).op('i32.add').get(end).op('i32.gt_u').brIf(done);
      step(i, true);
      f.get(i).i32(2).op('i32.add').set(i);
      f.br(again);
    });
  });
  f.get(i).get(end).op('i32.lt_u').if(() => step(i, false));
}

/** Push base + i·bytes. */
export function elementAt(f: FunctionBuilder, base: Local, i: Local, bytes: 4 | 8): void {
  f.get(base).get(i).i32(bytes === 8 ? 3 : 2).op('i32.shl').op('i32.add');
}

/**
 * Float64 arithmetic on element i of an overElementPairs step, in its width (f64x2 lanes holding two
 * elements, or an f64 scalar): loads widen float32 to float64 and stores round to float32 lane by lane
 * (f64x2.promote_low_f32x4 and f32x4.demote_f64x2_zero are defined by the scalar conversions), so both
 * widths compute the same values.
 */
export interface ElementIo {
  /** Push the float32 element(s) at base + 4i, as float64. */
  loadF32(base: Local): void;
  /** Push the float64 element(s) at base + 8i. */
  loadF64(base: Local): void;
  /** Store the float64 value(s) `value` pushes at base + 4i, rounded to float32. */
  storeF32(base: Local, value: () => void): void;
  /** Store the float64 value(s) `value` pushes at base + 8i. */
  storeF64(base: Local, value: () => void): void;
  /** A float64 operation in the width (comparisons give an all-ones lane mask or an i32). */
  op(name: 'add' | 'sub' | 'mul' | 'div' | 'sqrt' | 'ne' | 'lt' | 'gt'): void;
}

export function elementIo(f: FunctionBuilder, i: Local, vector: boolean): ElementIo {
  return {
    loadF32: (base) => {
      elementAt(f, base, i, 4);
      if (vector) f.vmem('v128.load64_zero').simd('f64x2.promote_low_f32x4');
      else f.mem('f32.load').op('f64.promote_f32');
    },
    loadF64: (base) => {
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
  };
}

/** Bytes of a cache line on x86-64 and most arm64 cores (Apple's have 128, where each line is read twice). */
export const LINE_BYTES = 64;

/**
 * Reads one word per cache line of [from, to) (from < to) and stores their xor at `sink`, so the loads
 * are kept. A tight loop of independent loads has many misses in flight at once; a loop that computes
 * between its loads (a filter transform: about 20 cycles per 144 bytes) has few, and waits on DRAM
 * latency instead. Wasm has no prefetch instruction; this is the next best thing. `at` and `acc` are
 * scratch locals.
 */
export function touchLines(f: FunctionBuilder, from: Local, to: Local, at: Local, acc: Local, sink: Local): void {
  f.get(from).set(at);
  f.i32(0).set(acc);
  f.loop((next) => {
    f.get(at).mem('i32.load').get(acc).op('i32.xor').set(acc);
    f.get(at).i32(LINE_BYTES).op('i32.add').tee(at).get(to).op('i32.lt_u').brIf(next);
  });
  f.get(sink).get(acc).mem('i32.store');
}
