// The float64 → float32 operand conversions the backend runs before a kernel that reads their results
// (per dispatch, or once where the sources are constants: wasm-backend.ts): a folded mean's hi and
// shift C (fold-shift.ts) and a split operand's hi and lo (split-operands.ts). They run as wasm over
// the shared memory, on the calling thread. As JavaScript
// loops over typed-array views made per call they took about 5 µs per dispatch on a 1024-channel
// BatchNormalization in training form, a sixth of its normalize kernel.
//
// The arithmetic is the one the generated kernels would do in-line, in the same order, so results are
// bit-identical to it (fold-shift.test.ts, elementwise.test.ts):
//   fold:  hi = f32(mean), C = f32(B − (mean − hi)·a), in float64;
//   split: hi = f32(x), lo = f32(x − hi).
// f32x4.demote_f64x2_zero and f64x2.promote_low_f32x4 are defined lane-wise by f32.demote_f64 and
// f64.promote_f32 (the WebAssembly SIMD specification), so two elements per vector round as one does.

import { elementAt, elementIo, loadNamedParams, overElementPairs } from './codegen-util.js';
import { FunctionBuilder, type Local, ModuleBuilder } from './encoder/index.js';
import { MEMORY_IMPORT } from './elementwise.js';

/**
 * How a fold reads its factor or addend: an array of the mean's length in float32 or float64, or one
 * float64 at the pointer for every element (a constant of the kernel).
 */
export type TermKind = 'float32' | 'float64' | 'scalar';

const TERM_KINDS: readonly TermKind[] = ['float32', 'float64', 'scalar'];

/** Export names: one fold per (factor, addend) kind, and the split with and without lo. */
export const CONVERT_EXPORTS: readonly string[] = [...TERM_KINDS.flatMap((a) => TERM_KINDS.map((b) => foldName(a, b))), 'split_hi', 'split_hilo'];

function foldName(factor: TermKind, addend: TermKind): string {
  return `fold_${factor}_${addend}`;
}

/** Index in CONVERT_EXPORTS of the fold reading its factor and addend as given. */
export function foldExport(factor: TermKind, addend: TermKind): number {
  return CONVERT_EXPORTS.indexOf(foldName(factor, addend));
}

/** Index in CONVERT_EXPORTS of the split, writing lo or not. */
export function splitExport(withLo: boolean): number {
  return CONVERT_EXPORTS.indexOf(withLo ? 'split_hilo' : 'split_hi');
}

export function buildConvertModule(): Uint8Array {
  const m = new ModuleBuilder().importMemory(MEMORY_IMPORT);
  for (const factor of TERM_KINDS) for (const addend of TERM_KINDS) m.addFunction(foldFunction(factor, addend), foldName(factor, addend));
  m.addFunction(splitFunction(false), 'split_hi');
  m.addFunction(splitFunction(true), 'split_hilo');
  return m.encode();
}

/** The locals of one width: x (float64) and its float32 hi, as v128s (two elements) or scalars. */
interface Lanes {
  readonly vector: boolean;
  readonly x: Local;
  readonly hi: Local;
}

function lanes(f: FunctionBuilder): { readonly vector: Lanes; readonly scalar: Lanes } {
  return { vector: { vector: true, x: f.local('v128'), hi: f.local('v128') }, scalar: { vector: false, x: f.local('f64'), hi: f.local('f32') } };
}

/** x := the float64 element(s) at src, hi := f32(x), stored at dst. */
function storeHi(f: FunctionBuilder, w: Lanes, dst: Local, src: Local, i: Local): void {
  elementAt(f, dst, i, 4);
  elementAt(f, src, i, 8);
  if (w.vector) f.vmem('v128.load').tee(w.x).simd('f32x4.demote_f64x2_zero').tee(w.hi).storeLane('v128.store64_lane', 0, 0);
  else f.mem('f64.load').tee(w.x).op('f32.demote_f64').tee(w.hi).mem('f32.store');
}

/** Push x − hi, exact in float64. */
function residual(f: FunctionBuilder, w: Lanes): void {
  f.get(w.x).get(w.hi);
  if (w.vector) f.simd('f64x2.promote_low_f32x4').simd('f64x2.sub');
  else f.op('f64.promote_f32').op('f64.sub');
}

/**
 * fold(start, end, tid, params): params = [mean (float64), factor, addend, hi, c (float32)]; for
 * elements [start, end) writes hi = f32(mean) and c = f32(addend − (mean − hi)·factor).
 */
function foldFunction(factor: TermKind, addend: TermKind): FunctionBuilder {
  const f = new FunctionBuilder(['i32', 'i32', 'i32', 'i32']);
  const [start, end, , params] = [0, 1, 2, 3].map((k) => f.param(k));
  const p = loadNamedParams(f, params, ['mean', 'factor', 'addend', 'hi', 'c']);
  const w = lanes(f);
  // A scalar term is loaded once, as a float64 and as its f64x2 splat.
  const splat = (kind: TermKind, ptr: Local): { s: Local; v: Local } | undefined => {
    if (kind !== 'scalar') return undefined;
    const s = f.local('f64');
    const v = f.local('v128');
    f.get(ptr).mem('f64.load').tee(s).simd('f64x2.splat').set(v);
    return { s, v };
  };
  const fs = splat(factor, p.factor);
  const as = splat(addend, p.addend);
  overElementPairs(f, start, end, (i, vector) => {
    const l = vector ? w.vector : w.scalar;
    const io = elementIo(f, i, vector);
    /** Push the factor's or addend's value at element i (two in a vector), as float64. */
    const term = (kind: TermKind, ptr: Local, s: { s: Local; v: Local } | undefined): void => {
      if (s !== undefined) f.get(vector ? s.v : s.s);
      else if (kind === 'float64') io.loadF64(ptr);
      else io.loadF32(ptr);
    };
    storeHi(f, l, p.hi, p.mean, i);
    io.storeF32(p.c, () => {
      term(addend, p.addend, as);
      residual(f, l);
      term(factor, p.factor, fs);
      io.op('mul');
      io.op('sub');
    });
  });
  return f;
}

/**
 * split(start, end, tid, params): params = [x (float64), hi, lo (float32)]; for elements [start, end)
 * writes hi = f32(x) and, with `withLo`, lo = f32(x − hi).
 */
function splitFunction(withLo: boolean): FunctionBuilder {
  const f = new FunctionBuilder(['i32', 'i32', 'i32', 'i32']);
  const [start, end, , params] = [0, 1, 2, 3].map((k) => f.param(k));
  const p = loadNamedParams(f, params, ['x', 'hi', 'lo']);
  const w = lanes(f);
  overElementPairs(f, start, end, (i, vector) => {
    const l = vector ? w.vector : w.scalar;
    storeHi(f, l, p.hi, p.x, i);
    if (withLo) elementIo(f, i, vector).storeF32(p.lo, () => residual(f, l));
  });
  return f;
}
