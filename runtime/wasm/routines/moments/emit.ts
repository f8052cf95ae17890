// Code-generation helpers shared by the moments kernels: lane shuffles, exact small-integer
// conversion, lane sums, the 16/4/1 piece loop and the vertical units' loop over blocks of rows.

import { addConst, minU, whileAtLeast } from '../../codegen-util.js';
import { FunctionBuilder, type Label, type Local } from '../../encoder/index.js';

/** The bytes of an f32x4 whose low two lanes are the source's high two (for promote_low). */
export const HIGH_HALF = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];

/** Push the i32 in `n` (< 2^23) as an f64: the f32 with bits of 2^23 + n, less 2^23 (exact). */
export function emitSmallIntToF64(f: FunctionBuilder, n: Local): void {
  f.get(n).i32(0x4b000000).op('i32.or').simd('i32x4.splat').lane('f32x4.extract_lane', 0);
  f.op('f64.promote_f32').f64(8388608).op('f64.sub');
}

/**
 * Pop w, v; push max(v, w) as f64x2.pmax(v, w) = v < w ? w : v: one maxpd on x64, where f64x2.max's
 * NaN and signed-zero rules take V8 eight instructions (a third of the vertical tiles' per-block
 * merge). It equals max unless v and w are zeros of opposite sign (never here: M2 = Σd² − Σd·(Σd/n) is
 * not −0, and the refine test only asks whether the largest is positive) or w is NaN. A NaN v is kept,
 * so a non-finite M2 still sends the call to the float64 path (finish.ts); a refine test that drops a
 * NaN belongs to such a call too.
 */
export function emitMaxF64x2(f: FunctionBuilder): void {
  f.simd('f64x2.pmax');
}

/** Push Σ of four f32x4 accumulators as an f64: ((a0 + a1) + (a2 + a3)) in f32, its lanes in f64. */
export function emitLaneSum(f: FunctionBuilder, acc: readonly Local[], tmp: Local): void {
  f.get(acc[0]).get(acc[1]).simd('f32x4.add').get(acc[2]).get(acc[3]).simd('f32x4.add').simd('f32x4.add').tee(tmp);
  f.simd('f64x2.promote_low_f32x4').get(tmp).get(tmp).shuffle(HIGH_HALF).simd('f64x2.promote_low_f32x4').simd('f64x2.add').set(tmp);
  f.get(tmp).lane('f64x2.extract_lane', 0).get(tmp).lane('f64x2.extract_lane', 1).op('f64.add');
}

/**
 * Loop over `c` values at `q` (both advanced): 16 per step (`wide(i, offset)` for accumulator i), then
 * up to three steps of 4 (accumulators 0, 1, 2, so no lane takes more than one of them per piece), then
 * one at a time (`scalar`).
 */
export function emitPieceLoop(f: FunctionBuilder, q: Local, c: Local, wide: (i: number, offset: number) => void, scalar: () => void): void {
  whileAtLeast(f, c, 16, () => {
    for (let i = 0; i < 4; i++) wide(i, 16 * i);
    addConst(f, q, 64);
  });
  const quad = (i: number): void => {
    if (i === 3) return;
    f.get(c).i32(4).op('i32.ge_u').if(() => {
      wide(i, 0);
      addConst(f, q, 16);
      f.get(c).i32(4).op('i32.sub').set(c);
      quad(i + 1);
    });
  };
  quad(0);
  whileAtLeast(f, c, 1, () => {
    scalar();
    addConst(f, q, 4);
  });
}

/** The bytes of two f32x4s' low halves side by side: [a0, a1, b0, b1] (after two demote_f64x2_zero). */
export const LOW_HALVES = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];

/** The locals of one vertical unit's walk over its blocks of rows (column strips and tiles alike). */
export interface VerticalBlockLocals {
  readonly x: Local;
  readonly L: Local;
  readonly rowStart: Local;
  readonly c0: Local;
  readonly g: Local;
  readonly lp: Local;
  readonly m2P: Local;
  readonly meanP: Local;
  readonly rows: Local;
  readonly xp: Local;
  readonly pq: Local;
  readonly pm: Local;
  readonly done: Local;
  readonly nb: Local;
  readonly s0: Local;
  readonly s1: Local;
  readonly nf: Local;
  readonly nbf: Local;
  readonly nbv: Local;
}

/**
 * A unit's loop over its blocks of at most blockRows rows: xp at its first row and column c0, pm
 * and pq at its columns' mean and M2 slots of row group g, no rows done (nf = 0); then per block nb
 * (the block's rows, also as an f64 in nbf and splat in nbv) before `body`, which advances `done` and
 * branches back to `blocks` while rows remain.
 */
export function emitVerticalBlocks(f: FunctionBuilder, l: VerticalBlockLocals, blockRows: number, body: (blocks: Label) => void): void {
  f.get(l.x).get(l.rowStart).get(l.L).op('i32.mul').get(l.c0).op('i32.add').i32(4).op('i32.mul').op('i32.add').set(l.xp);
  f.get(l.g).get(l.lp).op('i32.mul').get(l.c0).op('i32.add').i32(8).op('i32.mul').tee(l.pm).get(l.m2P).op('i32.add').set(l.pq);
  f.get(l.pm).get(l.meanP).op('i32.add').set(l.pm);
  f.i32(0).set(l.done);
  f.f64(0).set(l.nf);
  f.loop((blocks) => {
    minU(f, () => void f.i32(blockRows), () => void f.get(l.rows).get(l.done).op('i32.sub'), l.s0, l.s1);
    f.set(l.nb);
    emitSmallIntToF64(f, l.nb);
    f.tee(l.nbf).simd('f64x2.splat').set(l.nbv);
    body(blocks);
  });
}
