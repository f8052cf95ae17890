// Mean and population variance (the BN training statistics) in wasm, deterministic and bit-identical
// for any thread count (DESIGN.md §6). The axes merge into [R0, K, R1] (reduced, kept, reduced).
//
// With the backend's default precision 'float64', every value is promoted to float64 and summed in
// f64x2 lanes, two passes (mean, then squared deviations), as the CPU routine does (float64 rounding
// apart, which a float32 result never shows). With precision 'float32', long runs (R1 ≥ 16, e.g. NCHW
// per-channel statistics) are summed in float32 blocks instead: promoting every
// value to float64 (half-width lanes, a promote per value, two passes over memory) made this
// compute-bound, so each block of at most BLOCK values is read while it sits in L1 and summed in f32x4
// lanes, and only the lane totals go to float64. The lanes hold d = x − m̂ and d², m̂ an f32 estimate
// of the block's mean, so the f32 sums carry the data's spread rather than its offset (d is exact for
// x near m̂, Sterbenz); the corrected two-pass formula M2 = Σd² − (Σd)²/n, mean = m̂ + Σd/n (Chan,
// Golub & LeVeque, "Algorithms for computing the sample variance", Am. Stat. 37, 1983) cancels the
// estimate's error, which only amplifies the f32 rounding of Σd² by 1 + (mean − m̂)²/σ². m̂ is the mean
// of 16 values spread over the block; a block whose (Σd)² > n·M2 (m̂ off by more than σ) is summed
// again about its refined mean. Blocks, then units (fixed groups of run segments), merge by the
// pairwise update of Chan, Golub & LeVeque (1979) in float64, in index order. A non-finite or
// subnormal-scale variance (f32 overflow or underflow) is recomputed by the float64 path. Observed
// error: variance ≤ 4.2e-7 relative, mean ≤ 0.2 f32 ulp of the data's scale (moments.test.ts).
//
// Short runs (R1 < 16: channels-last [M, C], NHWC activations, tiny spatial maps) are columns: row
// length L = K·R1, column j of channel ⌊j / R1⌋. With precision 'float64' rows are accumulated
// vertically in float64 per column block, two passes. With 'float32' they are summed in float32 blocks
// of VERTICAL_ROWS rows, one lane per column, for the same reason as above (the float64 path promoted
// every value and went over memory twice: 0.16–0.3 ms on [256, 1024], where the data takes 0.03): d =
// x − s and d² per column, s the block's shift (an f32 per column: for a unit's first block the mean of
// 16 of its rows, then the previous block's mean, which stationary rows put within σ/5 of the block's),
// then per column in float64 mean = s + Σd/n, M2 = max(0, Σd² − (Σd)²/n) — the corrected two-pass
// formula of Chan, Golub & LeVeque (1983) — summed again about the refined means (at most MAX_REFINES
// times) while some column has (Σd)² > n·M2, and merged into the column's running (n, mean, M2) by the
// pairwise update of Chan, Golub & LeVeque (1979) in float64. Σd goes to float64 every few rows (D_ROWS,
// or ROW_STEP summed pairwise): one f32 lane summing a whole block's d would leave the mean σ/2 f32 ulps
// off. Rows of at least MIN_TILE columns are read along their length in tiles (contiguous, so prefetched;
// a wide row's columns lie a page apart, and columns read down the rows cost a TLB miss per row), the
// f32 sums in L1 work slots; narrower rows (and the last L mod 4 columns) in column strips held in
// registers. Units (row group, tile or strip) depend on the shape only and write their own columns; row
// groups, then a channel's R1 columns, merge by Chan's update in index order, so results are the same
// for any thread count. Non-finite and subnormal-scale results fall back to float64 as above. Observed:
// variance ≤ 5.4e-7 relative, mean ≤ 0.4 f32 ulp of the data's scale (moments.test.ts).
//
// Weighted moments, non-float32 inputs and axis patterns that do not merge into [R0, K, R1] return
// false (the backend runs the CPU routine).

import { sizeOf } from '../../../core/shape.js';
import type { RoutineCall } from '../../../ops/kernel-ir.js';
import { FunctionBuilder, Local, ModuleBuilder } from '../encoder/index.js';
import { MEMORY_IMPORT } from '../elementwise.js';
import { addConst, loadNamedParams, loadParam, minU, read, whileAtLeast } from '../codegen-util.js';
import type { PoolModule } from '../pool.js';
import { PARALLEL_MIN_WORK, WasmBuffer, WasmRoutineContext } from './context.js';

type MomentsCall = Extract<RoutineCall, { routine: 'moments' }>;

/** Elements per horizontal segment: a run longer than this is split (fixed, shape-independent). */
export const SEGMENT = 16384;
/**
 * Values per horizontal block (a multiple of 16 dividing SEGMENT): 4 KiB stays in L1 between passes,
 * and each of the 16 f32 lanes sums at most 64 terms (128 when the block gathers short runs). Smaller
 * blocks lose more time to the per-block work than they gain in accuracy.
 */
export const BLOCK = 1024;
/** Extra passes over a block whose estimated mean was off by more than its standard deviation. */
const MAX_REFINES = 2;
/**
 * Values per vertical row block (rows per block = ceil(BLOCK / rowLength)); rows of at least this many
 * values form one block (the column blocks give the parallelism), so partial sums never take more than
 * a fraction of the input's size.
 */
const VERTICAL_BLOCK = 65536;
/** Columns per vertical column block (16 KiB of float64 accumulators). */
const COLUMN_BLOCK = 2048;
/**
 * Rows per vertical block in float32: each f32 lane (one column) sums at most this many terms before
 * float64 takes over.
 */
export const VERTICAL_ROWS = 64;
/**
 * Rows of at least this many columns (their first multiple of 4; the rest in a strip) are read along
 * their length in tiles, narrower ones in column strips held in registers (the measured crossover lies
 * between 64 and 96 columns).
 */
export const MIN_TILE = 96;
/** Columns per tile at most (12 KiB of work slots, in L1 with the rows streaming through). */
const MAX_TILE = 1024;
/** Values per vertical row group (a whole number of blocks), the unit of parallelism along rows. */
const VERTICAL_GROUP = 1 << 18;
/** Runs shorter than this are accumulated vertically. */
const MIN_HORIZONTAL_RUN = 16;

export interface MomentsLayout {
  readonly r0: number;
  readonly k: number;
  readonly r1: number;
}

/** Merge the input axes into [R0, K, R1], or undefined when reduced and kept axes interleave more. */
export function momentsLayout(inDims: readonly number[], axes: readonly number[]): MomentsLayout | undefined {
  const segs: { reduced: boolean; size: number }[] = [];
  inDims.forEach((d, i) => {
    if (d === 1) return;
    const reduced = axes.includes(i);
    const last = segs[segs.length - 1];
    if (last !== undefined && last.reduced === reduced) last.size *= d;
    else segs.push({ reduced, size: d });
  });
  // Everything reduced: one long run per (only) kept position.
  if (segs.length === 1 && segs[0].reduced) return { r0: 1, k: 1, r1: segs[0].size };
  let i = 0;
  let r0 = 1;
  let k = 1;
  let r1 = 1;
  if (i < segs.length && segs[i].reduced) r0 = segs[i++].size;
  if (i < segs.length && !segs[i].reduced) k = segs[i++].size;
  if (i < segs.length && segs[i].reduced) r1 = segs[i++].size;
  return i === segs.length ? { r0, k, r1 } : undefined;
}

/** The bytes of an f32x4 whose low two lanes are the source's high two (for promote_low). */
const HIGH_HALF = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];

/** Push the i32 in `n` (< 2^23) as an f64: the f32 with bits of 2^23 + n, less 2^23 (exact). */
function emitSmallIntToF64(f: FunctionBuilder, n: Local): void {
  f.get(n).i32(0x4b000000).op('i32.or').simd('i32x4.splat').lane('f32x4.extract_lane', 0);
  f.op('f64.promote_f32').f64(8388608).op('f64.sub');
}

/** Push Σ of four f32x4 accumulators as an f64: ((a0 + a1) + (a2 + a3)) in f32, its lanes in f64. */
function emitLaneSum(f: FunctionBuilder, acc: readonly Local[], tmp: Local): void {
  f.get(acc[0]).get(acc[1]).simd('f32x4.add').get(acc[2]).get(acc[3]).simd('f32x4.add').simd('f32x4.add').tee(tmp);
  f.simd('f64x2.promote_low_f32x4').get(tmp).get(tmp).shuffle(HIGH_HALF).simd('f64x2.promote_low_f32x4').simd('f64x2.add').set(tmp);
  f.get(tmp).lane('f64x2.extract_lane', 0).get(tmp).lane('f64x2.extract_lane', 1).op('f64.add');
}

/**
 * Loop over `c` values at `q` (both advanced): 16 per step (`wide(i, offset)` for accumulator i), then
 * up to three steps of 4 (accumulators 0, 1, 2, so no lane takes more than one of them per piece), then
 * one at a time (`scalar`).
 */
function emitPieceLoop(f: FunctionBuilder, q: Local, c: Local, wide: (i: number, offset: number) => void, scalar: () => void): void {
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

/**
 * s(start, end, tid, params): partial[u] = (mean, M2) of unit u = (channel c, run group g, segment s):
 * segment s of runs [g·ga, (g+1)·ga) of channel c, in blocks of at most BLOCK values (a piece of one
 * run, or up to rpb whole runs when runs are short) merged in order by Chan's update. params: x, r1,
 * k, r0, nseg, ngroups, ga, rpb, partial. Per block: estimate its mean m̂ from 16 values, sum
 * d = x − f32(m̂) and d² in f32 lanes, take mean = m̂ + Σd/n and M2 = Σd² − (Σd)²/n, and repeat about
 * the new mean (at most MAX_REFINES times) while (Σd)² > n·M2.
 */
function blockStats(): FunctionBuilder {
  const f = new FunctionBuilder(['i32', 'i32', 'i32', 'i32']);
  const [start, end, , params] = [0, 1, 2, 3].map((i) => f.param(i));
  const { x, r1, k, r0, nseg, ngroups, ga, rpb, partial } = loadNamedParams(f, params, ['x', 'r1', 'k', 'r0', 'nseg', 'ngroups', 'ga', 'rpb', 'partial']);
  const [u, t0, ch, off, segLen, a, a1, pos, p, q, c, pieceLen, pieces, i, stride, tries, s0, s1] = Array.from({ length: 18 }, () => f.local('i32'));
  const accD = [0, 1, 2, 3].map(() => f.local('v128'));
  const accQ = [0, 1, 2, 3].map(() => f.local('v128'));
  const [mv, t] = [0, 1].map(() => f.local('v128'));
  const mf = f.local('f32');
  const [nb, est, mfd, sd, sq, td, sumD, bM2, segN, segMean, segM2, nNew, delta] = Array.from({ length: 13 }, () => f.local('f64'));
  const zero = (acc: readonly Local[]): void => {
    for (const l of acc) f.f32x4(0, 0, 0, 0).set(l);
  };
  /** Run `body` over the block's pieces with q at each piece's start and c its length. */
  const pieceLoop = (body: () => void): void => {
    f.i32(0).set(i);
    f.block((done) => {
      f.loop((next) => {
        f.get(i).get(pieces).op('i32.ge_u').brIf(done);
        f.get(p).get(i).get(stride).op('i32.mul').op('i32.add').set(q);
        f.get(pieceLen).set(c);
        body();
        addConst(f, i, 1);
        f.br(next);
      });
    });
  };
  f.get(k).get(r1).op('i32.mul').i32(4).op('i32.mul').set(stride);
  f.get(start).set(u);
  f.block((exit) => {
    f.loop((again) => {
      f.get(u).get(end).op('i32.ge_u').brIf(exit);
      // u = (ch·ngroups + g)·nseg + s.
      f.get(u).get(nseg).op('i32.div_u').set(t0);
      f.get(u).get(t0).get(nseg).op('i32.mul').op('i32.sub').i32(SEGMENT).op('i32.mul').set(off);
      f.get(t0).get(ngroups).op('i32.div_u').set(ch);
      f.get(t0).get(ch).get(ngroups).op('i32.mul').op('i32.sub').get(ga).op('i32.mul').set(a);
      minU(f, () => void f.get(a).get(ga).op('i32.add'), read(f, r0), s0, s1);
      f.set(a1);
      minU(f, () => void f.i32(SEGMENT), () => void f.get(r1).get(off).op('i32.sub'), s0, s1);
      f.set(segLen);
      for (const l of [segN, segMean, segM2]) f.f64(0).set(l);
      f.block((runsDone) => {
        f.loop((runs) => {
          f.get(a).get(a1).op('i32.ge_u').brIf(runsDone);
          f.get(x).get(a).get(k).op('i32.mul').get(ch).op('i32.add').get(r1).op('i32.mul').get(off).op('i32.add').i32(4).op('i32.mul').op('i32.add').set(p);
          f.i32(0).set(pos);
          f.loop((blocks) => {
            minU(f, () => void f.i32(BLOCK), () => void f.get(segLen).get(pos).op('i32.sub'), s0, s1);
            f.tee(pieceLen);
            // A whole segment fits: the block takes up to rpb runs.
            f.get(segLen).op('i32.eq');
            f.if(() => {
              minU(f, read(f, rpb), () => void f.get(a1).get(a).op('i32.sub'), s0, s1);
              f.set(pieces);
            }, () => void f.i32(1).set(pieces));
            f.get(pieces).get(pieceLen).op('i32.mul').set(c);
            emitSmallIntToF64(f, c);
            f.set(nb);
            // The estimate: the mean of 16 values spread over the block's pieces and offsets (in float64).
            f.f64(0).set(est);
            for (let j = 0; j < 16; j++) {
              f.get(est).get(p);
              f.get(pieces).i32(j).op('i32.mul').i32(4).op('i32.shr_u').get(stride).op('i32.mul').op('i32.add');
              f.get(pieceLen).i32(j).op('i32.mul').i32(4).op('i32.shr_u').i32(4).op('i32.mul').op('i32.add');
              f.mem('f32.load').op('f64.promote_f32').op('f64.add').set(est);
            }
            f.get(est).f64(1 / 16).op('f64.mul').set(est);
            f.i32(0).set(tries);
            f.loop((refine) => {
              // Σd and Σd² with d = x − f32(estimate) (exact for x near it: Sterbenz), in f32 lanes.
              f.get(est).op('f32.demote_f64').tee(mf).simd('f32x4.splat').set(mv);
              f.get(mf).op('f64.promote_f32').set(mfd);
              zero(accD);
              zero(accQ);
              f.f64(0).set(sd);
              f.f64(0).set(sq);
              pieceLoop(() => emitPieceLoop(f, q, c, (j, at) => {
                f.get(q).vmem('v128.load', at).get(mv).simd('f32x4.sub').tee(t);
                f.get(accD[j]).simd('f32x4.add').set(accD[j]);
                f.get(t).get(t).simd('f32x4.mul').get(accQ[j]).simd('f32x4.add').set(accQ[j]);
              }, () => {
                f.get(q).mem('f32.load').op('f64.promote_f32').get(mfd).op('f64.sub').tee(td);
                f.get(sd).op('f64.add').set(sd);
                f.get(td).get(td).op('f64.mul').get(sq).op('f64.add').set(sq);
              }));
              emitLaneSum(f, accD, t);
              f.get(sd).op('f64.add').set(sumD);
              f.get(mfd).get(sumD).get(nb).op('f64.div').op('f64.add').set(est);
              emitLaneSum(f, accQ, t);
              f.get(sq).op('f64.add').get(sumD).get(sumD).op('f64.mul').get(nb).op('f64.div').op('f64.sub');
              f.f64(0).op('f64.max').set(bM2);
              // (Σd)² > n·M2 means |mean − f32(estimate)| > σ, where the rounding of Σd² in f32 would be
              // amplified by more than 2: run again about the refined mean (at most twice).
              f.get(nb).get(bM2).op('f64.mul').get(sumD).get(sumD).op('f64.mul').op('f64.lt');
              f.get(tries).i32(MAX_REFINES).op('i32.lt_u').op('i32.and');
              f.if(() => {
                addConst(f, tries, 1);
                f.br(refine);
              });
            });
            // Chan et al.: merge (nb, bm, bM2) into the unit's (segN, segMean, segM2).
            f.get(segN).get(nb).op('f64.add').set(nNew);
            f.get(est).get(segMean).op('f64.sub').set(delta);
            f.get(segMean).get(delta).get(nb).op('f64.mul').get(nNew).op('f64.div').op('f64.add').set(segMean);
            f.get(segM2).get(bM2).op('f64.add');
            f.get(delta).get(delta).op('f64.mul').get(segN).get(nb).op('f64.mul').get(nNew).op('f64.div').op('f64.mul');
            f.op('f64.add').set(segM2);
            f.get(nNew).set(segN);
            f.get(p).get(pieceLen).i32(4).op('i32.mul').op('i32.add').set(p);
            f.get(pos).get(pieceLen).op('i32.add').tee(pos).get(segLen).op('i32.lt_u').brIf(blocks);
          });
          f.get(a).get(pieces).op('i32.add').set(a);
          f.br(runs);
        });
      });
      f.get(partial).get(u).i32(16).op('i32.mul').op('i32.add').tee(q).get(segMean).mem('f64.store');
      f.get(q).get(segM2).mem('f64.store', 8);
      addConst(f, u, 1);
      f.br(again);
    });
  });
  return f;
}

/** Horizontal run sums in float64: 8 values per step into four f64x2 accumulators, then a scalar tail. */
function emitRunSum(f: FunctionBuilder, p: Local, len: Local, mean: Local | undefined): void {
  const acc = [0, 1, 2, 3].map(() => f.local('v128'));
  const mv = f.local('v128');
  const t = f.local('f64');
  const d = f.local('v128');
  const sd = f.local('f64');
  for (const a of acc) f.f64x2(0, 0).set(a);
  if (mean !== undefined) f.get(mean).simd('f64x2.splat').set(mv);
  const accumulate = (a: Local, load: () => void): void => {
    f.get(a);
    load();
    if (mean !== undefined) f.get(mv).simd('f64x2.sub').tee(d).get(d).simd('f64x2.mul');
    f.simd('f64x2.add').set(a);
  };
  f.block((done) => {
    f.loop((again) => {
      f.get(len).i32(8).op('i32.lt_u').brIf(done);
      accumulate(acc[0], () => void f.get(p).vmem('v128.load').simd('f64x2.promote_low_f32x4'));
      accumulate(acc[1], () => void f.get(p).vmem('v128.load').get(p).vmem('v128.load').shuffle(HIGH_HALF).simd('f64x2.promote_low_f32x4'));
      accumulate(acc[2], () => void f.get(p).vmem('v128.load', 16).simd('f64x2.promote_low_f32x4'));
      accumulate(acc[3], () => void f.get(p).vmem('v128.load', 16).get(p).vmem('v128.load', 16).shuffle(HIGH_HALF).simd('f64x2.promote_low_f32x4'));
      addConst(f, p, 32);
      f.get(len).i32(8).op('i32.sub').set(len);
      f.br(again);
    });
  });
  f.f64(0).set(t);
  f.block((done) => {
    f.loop((again) => {
      f.get(len).op('i32.eqz').brIf(done);
      f.get(t).get(p).mem('f32.load').op('f64.promote_f32');
      if (mean !== undefined) f.get(mean).op('f64.sub').tee(sd).get(sd).op('f64.mul');
      f.op('f64.add').set(t);
      addConst(f, p, 4);
      f.get(len).i32(1).op('i32.sub').set(len);
      f.br(again);
    });
  });
  // ((a0 + a2) + (a1 + a3)) lane-summed, then the tail: a fixed order.
  f.get(acc[0]).get(acc[2]).simd('f64x2.add').get(acc[1]).get(acc[3]).simd('f64x2.add').simd('f64x2.add').set(d);
  f.get(d).lane('f64x2.extract_lane', 0).get(d).lane('f64x2.extract_lane', 1).op('f64.add').get(t).op('f64.add');
}

/** h(start, end, tid, params): partial[u] = Σ over segment u. params: x, r1, nseg, k, partial, mean. */
function horizontal(squares: boolean): FunctionBuilder {
  const f = new FunctionBuilder(['i32', 'i32', 'i32', 'i32']);
  const [start, end, , params] = [0, 1, 2, 3].map((i) => f.param(i));
  const x = loadParam(f, params, 0);
  const r1 = loadParam(f, params, 1);
  const nseg = loadParam(f, params, 2);
  const kk = loadParam(f, params, 3);
  const partial = loadParam(f, params, 4);
  const meanAt = loadParam(f, params, 5);
  const u = f.local('i32');
  const run = f.local('i32');
  const off = f.local('i32');
  const len = f.local('i32');
  const p = f.local('i32');
  const s0 = f.local('i32');
  const s1 = f.local('i32');
  const mean = squares ? f.local('f64') : undefined;
  f.get(start).set(u);
  f.block((exit) => {
    f.loop((again) => {
      f.get(u).get(end).op('i32.ge_u').brIf(exit);
      f.get(u).get(nseg).op('i32.div_u').set(run);
      f.get(u).get(run).get(nseg).op('i32.mul').op('i32.sub').i32(SEGMENT).op('i32.mul').set(off);
      minU(f, () => void f.i32(SEGMENT), () => void f.get(r1).get(off).op('i32.sub'), s0, s1);
      f.set(len);
      f.get(x).get(run).get(r1).op('i32.mul').get(off).op('i32.add').i32(4).op('i32.mul').op('i32.add').set(p);
      if (mean !== undefined) f.get(meanAt).get(run).get(kk).op('i32.rem_u').i32(8).op('i32.mul').op('i32.add').mem('f64.load').set(mean);
      f.get(partial).get(u).i32(8).op('i32.mul').op('i32.add');
      emitRunSum(f, p, len, mean);
      f.mem('f64.store');
      addConst(f, u, 1);
      f.br(again);
    });
  });
  return f;
}

/**
 * v(start, end, tid, params): unit u = (row block rb, column block cb); acc[rb][c] = Σ rows of the
 * block of x[row, c] (or (x − meanExp[c])²). params: x, L, rowsPerBlock, R0, ncb, partial, meanExp.
 */
function vertical(squares: boolean): FunctionBuilder {
  const f = new FunctionBuilder(['i32', 'i32', 'i32', 'i32']);
  const [start, end, , params] = [0, 1, 2, 3].map((i) => f.param(i));
  const x = loadParam(f, params, 0);
  const L = loadParam(f, params, 1);
  const rpb = loadParam(f, params, 2);
  const R0 = loadParam(f, params, 3);
  const ncb = loadParam(f, params, 4);
  const partial = loadParam(f, params, 5);
  const meanExp = loadParam(f, params, 6);
  const u = f.local('i32');
  const rb = f.local('i32');
  const c0 = f.local('i32');
  const cols = f.local('i32');
  const r = f.local('i32');
  const rEnd = f.local('i32');
  const accBase = f.local('i32');
  const xp = f.local('i32');
  const ap = f.local('i32');
  const mp = f.local('i32');
  const cnt = f.local('i32');
  const s0 = f.local('i32');
  const s1 = f.local('i32');
  const dv = f.local('v128');
  const ds = f.local('f64');
  f.get(start).set(u);
  f.block((exit) => {
    f.loop((again) => {
      f.get(u).get(end).op('i32.ge_u').brIf(exit);
      f.get(u).get(ncb).op('i32.div_u').set(rb);
      f.get(u).get(rb).get(ncb).op('i32.mul').op('i32.sub').i32(COLUMN_BLOCK).op('i32.mul').set(c0);
      minU(f, () => void f.i32(COLUMN_BLOCK), () => void f.get(L).get(c0).op('i32.sub'), s0, s1);
      f.set(cols);
      f.get(partial).get(rb).get(L).op('i32.mul').get(c0).op('i32.add').i32(8).op('i32.mul').op('i32.add').set(accBase);
      // Zero the block's accumulators.
      f.get(accBase).set(ap);
      f.get(cols).set(cnt);
      f.block((z) => {
        f.loop((zl) => {
          f.get(cnt).op('i32.eqz').brIf(z);
          f.get(ap).f64(0).mem('f64.store');
          addConst(f, ap, 8);
          f.get(cnt).i32(1).op('i32.sub').set(cnt);
          f.br(zl);
        });
      });
      f.get(rb).get(rpb).op('i32.mul').set(r);
      minU(f, () => void f.get(r).get(rpb).op('i32.add'), read(f, R0), s0, s1);
      f.set(rEnd);
      f.block((rowsDone) => {
        f.loop((rows) => {
          f.get(r).get(rEnd).op('i32.ge_u').brIf(rowsDone);
          f.get(x).get(r).get(L).op('i32.mul').get(c0).op('i32.add').i32(4).op('i32.mul').op('i32.add').set(xp);
          f.get(accBase).set(ap);
          f.get(meanExp).get(c0).i32(8).op('i32.mul').op('i32.add').set(mp);
          f.get(cols).set(cnt);
          f.block((vd) => {
            f.loop((vl) => {
              f.get(cnt).i32(2).op('i32.lt_u').brIf(vd);
              f.get(ap).get(ap).vmem('v128.load');
              f.get(xp).vmem('v128.load64_zero').simd('f64x2.promote_low_f32x4');
              if (squares) f.get(mp).vmem('v128.load').simd('f64x2.sub').tee(dv).get(dv).simd('f64x2.mul');
              f.simd('f64x2.add').vmem('v128.store');
              addConst(f, xp, 8);
              addConst(f, ap, 16);
              addConst(f, mp, 16);
              f.get(cnt).i32(2).op('i32.sub').set(cnt);
              f.br(vl);
            });
          });
          f.get(cnt).if(() => {
            f.get(ap).get(ap).mem('f64.load');
            f.get(xp).mem('f32.load').op('f64.promote_f32');
            if (squares) f.get(mp).mem('f64.load').op('f64.sub').tee(ds).get(ds).op('f64.mul');
            f.op('f64.add').mem('f64.store');
          });
          addConst(f, r, 1);
          f.br(rows);
        });
      });
      addConst(f, u, 1);
      f.br(again);
    });
  });
  return f;
}

/** The bytes of two f32x4s' low halves side by side: [a0, a1, b0, b1] (after two demote_f64x2_zero). */
const LOW_HALVES = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];

/** f32x4 vectors per vertical strip (more would spill the loop's accumulators from x64's 16 registers). */
const STRIP_VECTORS = 2;
/** Columns per vertical strip. */
export const STRIP = 4 * STRIP_VECTORS;
/** Columns per vertical strip variant: STRIP, 4 (one f32x4), or a tail of 3, 2, 1 (masked loads). */
type StripWidth = typeof STRIP | 4 | 3 | 2 | 1;

/**
 * vs(start, end, tid, params): unit u = (row group g, column strip i); per column of the strip, the
 * (mean, M2) of the group's rows, at meanP/m2P[g·lp + column]. params: x, L, r0, rpg, nstrips, nfull,
 * nquad, tail, meanP, m2P, lp. A strip is 16 columns (i < nfull), 4 columns (i < nfull + nquad), or the
 * last L mod 4 columns (masked loads, padding lanes read as 0). Rows go in blocks of VERTICAL_ROWS:
 * d = x − s and d² summed in f32 lanes (one lane per column), s the block's shift (the first block: the
 * mean of 16 rows spread over it; later blocks: the previous block's mean), then in f64x2 per column
 * mean = s + Σd/n and M2 = max(0, Σd² − (Σd)²/n); the strip's block is summed again about its means
 * (at most MAX_REFINES times) while some column has (Σd)² > n·M2, and is merged into the running
 * (mean, M2) by Chan's update.
 */
function verticalBlockStats(): FunctionBuilder {
  const f = new FunctionBuilder(['i32', 'i32', 'i32', 'i32']);
  const [start, end, , params] = [0, 1, 2, 3].map((i) => f.param(i));
  const { x, L, r0, rpg, nstrips, nfull, nquad, tail, meanP, m2P, lp } = loadNamedParams(f, params, ['x', 'L', 'r0', 'rpg', 'nstrips', 'nfull', 'nquad', 'tail', 'meanP', 'm2P', 'lp']);
  const [u, g, i, c0, rowStart, rows, done, nb, xp, q, r, pm, pq, stride, tries, s0, s1] = Array.from({ length: 17 }, () => f.local('i32'));
  const v128s = (n: number): Local[] => Array.from({ length: n }, () => f.local('v128'));
  const [shift, accD, accQ, newShift] = [v128s(STRIP_VECTORS), v128s(STRIP_VECTORS), v128s(STRIP_VECTORS), v128s(STRIP_VECTORS)];
  const [mb, m2b, sumD] = [v128s(2 * STRIP_VECTORS), v128s(2 * STRIP_VECTORS), v128s(2 * STRIP_VECTORS)];
  const [t, nbv, sdv, worst, wv, cv, dv, mv] = v128s(8);
  const sr = f.local('i32');
  const [nbf, nf, nNew] = [0, 1, 2].map(() => f.local('f64'));

  /** Push the f64x2 of lanes 0–1 (hi = false) or 2–3 (hi = true) of an f32x4 local. */
  const half = (v: Local, hi: boolean): void => {
    f.get(v);
    if (hi) f.get(v).shuffle(HIGH_HALF);
    f.simd('f64x2.promote_low_f32x4');
  };

  const strip = (w: StripWidth): void => {
    const vectors = w === STRIP ? STRIP_VECTORS : 1;
    const pairs = 2 * vectors;
    /** Push the strip's f32x4 number `k` of the row at q (lanes past the strip's width read as 0). */
    const load = (k: number): void => {
      if (w >= 4) f.get(q).vmem('v128.load', 16 * k);
      else if (w === 3) f.get(q).vmem('v128.load64_zero').get(q).mem('f32.load', 8).lane('f32x4.replace_lane', 2);
      else f.get(q).vmem(w === 2 ? 'v128.load64_zero' : 'v128.load32_zero');
    };
    f.get(x).get(rowStart).get(L).op('i32.mul').get(c0).op('i32.add').i32(4).op('i32.mul').op('i32.add').set(xp);
    f.get(g).get(lp).op('i32.mul').get(c0).op('i32.add').i32(8).op('i32.mul').tee(pm).get(m2P).op('i32.add').set(pq);
    f.get(pm).get(meanP).op('i32.add').set(pm);
    f.i32(0).set(done);
    f.f64(0).set(nf);
    f.loop((blocks) => {
      minU(f, () => void f.i32(VERTICAL_ROWS), () => void f.get(rows).get(done).op('i32.sub'), s0, s1);
      f.set(nb);
      emitSmallIntToF64(f, nb);
      f.tee(nbf).simd('f64x2.splat').set(nbv);
      // The first block's shift: the mean of 16 of its rows, as s0 + Σ(x − s0)/16 (differences of
      // nearby values are exact, so a large offset costs nothing).
      f.get(done).op('i32.eqz').if(() => {
        f.get(xp).set(q);
        for (let k = 0; k < vectors; k++) {
          load(k);
          f.set(shift[k]);
          f.f32x4(0, 0, 0, 0).set(accD[k]);
        }
        for (let j = 1; j < 16; j++) {
          f.get(xp).get(nb).i32(j).op('i32.mul').i32(4).op('i32.shr_u').get(stride).op('i32.mul').op('i32.add').set(q);
          for (let k = 0; k < vectors; k++) {
            load(k);
            f.get(shift[k]).simd('f32x4.sub').get(accD[k]).simd('f32x4.add').set(accD[k]);
          }
        }
        for (let k = 0; k < vectors; k++) f.get(accD[k]).f32x4(1 / 16, 1 / 16, 1 / 16, 1 / 16).simd('f32x4.mul').get(shift[k]).simd('f32x4.add').set(shift[k]);
      });
      f.i32(0).set(tries);
      f.loop((refine) => {
        for (let k = 0; k < vectors; k++) f.f32x4(0, 0, 0, 0).set(accQ[k]);
        for (let h = 0; h < pairs; h++) f.f64x2(0, 0).set(sumD[h]);
        f.get(xp).set(q);
        f.get(nb).set(r);
        // Σd² in f32 lanes over the block; Σd over D_ROWS rows at a time, then in float64 (a lane's
        // rounding of Σd is the mean's error, and 64 terms would make it σ/2 f32 ulps).
        f.loop((subBlocks) => {
          minU(f, () => void f.i32(D_ROWS), read(f, r), s0, s1);
          f.set(sr);
          f.get(r).get(sr).op('i32.sub').set(r);
          for (let k = 0; k < vectors; k++) f.f32x4(0, 0, 0, 0).set(accD[k]);
          f.loop((rowsLoop) => {
            for (let k = 0; k < vectors; k++) {
              load(k);
              f.get(shift[k]).simd('f32x4.sub').tee(t);
              f.get(accD[k]).simd('f32x4.add').set(accD[k]);
              f.get(t).get(t).simd('f32x4.mul').get(accQ[k]).simd('f32x4.add').set(accQ[k]);
            }
            f.get(q).get(stride).op('i32.add').set(q);
            f.get(sr).i32(1).op('i32.sub').tee(sr).brIf(rowsLoop);
          });
          for (let h = 0; h < pairs; h++) {
            f.get(sumD[h]);
            half(accD[h >> 1], (h & 1) === 1);
            f.simd('f64x2.add').set(sumD[h]);
          }
          f.get(r).brIf(subBlocks);
        });
        // Per column, in float64: mean = s + Σd/n, M2 = max(0, Σd² − Σd·(Σd/n)), and the largest
        // Σd·(Σd/n) − M2 of the strip (positive when some column's shift was off by more than σ).
        for (let h = 0; h < pairs; h++) {
          const k = h >> 1;
          const hi = (h & 1) === 1;
          f.get(sumD[h]);
          f.tee(sdv).get(nbv).simd('f64x2.div').set(dv);
          half(shift[k], hi);
          f.get(dv).simd('f64x2.add').set(mb[h]);
          half(accQ[k], hi);
          f.get(sdv).get(dv).simd('f64x2.mul').tee(dv).simd('f64x2.sub');
          f.f64x2(0, 0).simd('f64x2.max').set(m2b[h]);
          f.get(dv).get(m2b[h]).simd('f64x2.sub');
          if (h > 0) f.get(worst).simd('f64x2.max');
          f.set(worst);
        }
        for (let k = 0; k < vectors; k++) {
          f.get(mb[2 * k]).simd('f32x4.demote_f64x2_zero').get(mb[2 * k + 1]).simd('f32x4.demote_f64x2_zero').shuffle(LOW_HALVES).set(newShift[k]);
        }
        // A shift off by more than σ amplifies the f32 rounding of Σd² by more than 2: sum the block
        // again about its means (at most MAX_REFINES times). NaN never refines (the result falls back).
        f.f64(0).get(worst).lane('f64x2.extract_lane', 0).get(worst).lane('f64x2.extract_lane', 1).op('f64.max').op('f64.lt');
        f.get(tries).i32(MAX_REFINES).op('i32.lt_u').op('i32.and');
        f.if(() => {
          for (let k = 0; k < vectors; k++) f.get(newShift[k]).set(shift[k]);
          addConst(f, tries, 1);
          f.br(refine);
        });
      });
      // Chan, Golub & LeVeque: merge the block (nb, mb, m2b) into the running (nf, mean, M2).
      f.get(done).op('i32.eqz').if(() => {
        for (let h = 0; h < pairs; h++) {
          f.get(pm).get(mb[h]).vmem('v128.store', 16 * h);
          f.get(pq).get(m2b[h]).vmem('v128.store', 16 * h);
        }
      }, () => {
        f.get(nf).get(nbf).op('f64.add').set(nNew);
        f.get(nbf).get(nNew).op('f64.div').simd('f64x2.splat').set(wv);
        f.get(nf).get(nbf).op('f64.mul').get(nNew).op('f64.div').simd('f64x2.splat').set(cv);
        for (let h = 0; h < pairs; h++) {
          f.get(pm).vmem('v128.load', 16 * h).tee(mv);
          f.get(mb[h]).get(mv).simd('f64x2.sub').tee(dv).get(wv).simd('f64x2.mul').simd('f64x2.add').set(t);
          f.get(pm).get(t).vmem('v128.store', 16 * h);
          f.get(pq).get(pq).vmem('v128.load', 16 * h).get(m2b[h]).simd('f64x2.add');
          f.get(dv).get(dv).simd('f64x2.mul').get(cv).simd('f64x2.mul').simd('f64x2.add').vmem('v128.store', 16 * h);
        }
      });
      f.get(nf).get(nbf).op('f64.add').set(nf);
      // The next block starts from this block's means (stationary data: off by about σ/√n).
      for (let k = 0; k < vectors; k++) f.get(newShift[k]).set(shift[k]);
      f.get(xp).get(nb).get(stride).op('i32.mul').op('i32.add').set(xp);
      f.get(done).get(nb).op('i32.add').tee(done).get(rows).op('i32.lt_u').brIf(blocks);
    });
  };

  f.get(L).i32(4).op('i32.mul').set(stride);
  f.get(start).set(u);
  f.block((exit) => {
    f.loop((again) => {
      f.get(u).get(end).op('i32.ge_u').brIf(exit);
      // u = g·nstrips + i.
      f.get(u).get(nstrips).op('i32.div_u').tee(g).get(rpg).op('i32.mul').set(rowStart);
      f.get(u).get(g).get(nstrips).op('i32.mul').op('i32.sub').set(i);
      minU(f, () => void f.get(rowStart).get(rpg).op('i32.add'), read(f, r0), s0, s1);
      f.get(rowStart).op('i32.sub').set(rows);
      f.get(i).get(nfull).op('i32.lt_u').if(() => {
        f.get(i).i32(STRIP).op('i32.mul').set(c0);
        strip(STRIP);
      }, () => {
        f.get(i).get(nfull).get(nquad).op('i32.add').op('i32.lt_u').if(() => {
          f.get(nfull).i32(STRIP).op('i32.mul').get(i).get(nfull).op('i32.sub').i32(4).op('i32.mul').op('i32.add').set(c0);
          strip(4);
        }, () => {
          f.get(L).get(tail).op('i32.sub').set(c0);
          f.get(tail).i32(3).op('i32.eq').if(() => strip(3), () => {
            f.get(tail).i32(2).op('i32.eq').if(() => strip(2), () => strip(1));
          });
        });
      });
      addConst(f, u, 1);
      f.br(again);
    });
  });
  return f;
}

/** Rows whose deviations are summed in f32 before float64 takes Σd over (Σd² takes VERTICAL_ROWS). */
const D_ROWS = 4;
/** Rows a tile adds per load and store of its f32 sums. */
const ROW_STEP = 8;
/** Bytes of a tile column group's work slots: the f32x4s of the shift s and Σd² of 4 columns, then Σd as two f64x2. */
const SLOT = 64;

/**
 * vt(start, end, tid, params): unit u = (row group g, tile i) of columns [i·tile, min((i + 1)·tile,
 * l4)); per column, the (mean, M2) of the group's rows at meanP/m2P[g·lp + column] as in vs, but the
 * rows are read along their length (contiguous, so prefetched; a wide row's columns are a page apart)
 * and the f32 lanes live in L1 work slots (s, Σd, Σd² per 4 columns) instead of registers. params: x, L, r0, rpg, ntiles, tile, l4, meanP, m2P, lp, work (the work slots of thread
 * tid at work + tid·tile·12).
 */
function verticalTileStats(): FunctionBuilder {
  const f = new FunctionBuilder(['i32', 'i32', 'i32', 'i32']);
  const [start, end, tid, params] = [0, 1, 2, 3].map((i) => f.param(i));
  const { x, L, r0, rpg, ntiles, tile, l4, meanP, m2P, lp, work } = loadNamedParams(f, params, ['x', 'L', 'r0', 'rpg', 'ntiles', 'tile', 'l4', 'meanP', 'm2P', 'lp', 'work']);
  const [u, g, c0, cols, rowStart, rows, done, nb, xp, rp, q, a, n, pm, pq, stride, tries, s0, s1, first] = Array.from({ length: 20 }, () => f.local('i32'));
  const rowAt = Array.from({ length: 16 }, () => f.local('i32'));
  const qs = Array.from({ length: ROW_STEP }, () => f.local('i32'));
  const ts = Array.from({ length: ROW_STEP }, () => f.local('v128'));
  const [sv, tl] = [f.local('v128'), f.local('v128')];
  /** Push the f32x4 sum of term(0..k−1), pairwise: ((t0 + t1) + (t2 + t3)) for k = 4. */
  const pairwise = (k: number, term: (j: number) => void): void => {
    if (k === 1) return term(0);
    pairwise(k / 2, term);
    pairwise(k / 2, (j) => term(j + k / 2));
    f.simd('f32x4.add');
  };
  const [t, nbv, sdv, worst, wv, cv, dv, mv, est] = Array.from({ length: 9 }, () => f.local('v128'));
  const [mb, m2b] = [[f.local('v128'), f.local('v128')], [f.local('v128'), f.local('v128')]];
  const [nbf, nf, nNew] = [0, 1, 2].map(() => f.local('f64'));
  const half = (load: () => void, hi: boolean): void => {
    load();
    if (hi) {
      f.tee(t).get(t).shuffle(HIGH_HALF);
    }
    f.simd('f64x2.promote_low_f32x4');
  };
  /** Over the tile's groups of 4 columns: a at their work slots, q at their values in the row at rp. */
  const eachGroup = (body: () => void): void => {
    f.get(work).set(a);
    f.get(rp).set(q);
    f.get(cols).set(n);
    f.loop((next) => {
      body();
      addConst(f, a, SLOT);
      addConst(f, q, 16);
      f.get(n).i32(4).op('i32.sub').tee(n).brIf(next);
    });
  };
  /** mb[h], m2b[h] of the 4 columns at a (f64x2 pairs), and their Σd·(Σd/n) − M2 folded into worst. */
  const pairStats = (foldWorst: boolean): void => {
    for (let h = 0; h < 2; h++) {
      f.get(a).vmem('v128.load', 32 + 16 * h);
      f.tee(sdv).get(nbv).simd('f64x2.div').set(dv);
      half(() => void f.get(a).vmem('v128.load'), h === 1);
      f.get(dv).simd('f64x2.add').set(mb[h]);
      half(() => void f.get(a).vmem('v128.load', 16), h === 1);
      f.get(sdv).get(dv).simd('f64x2.mul').tee(dv).simd('f64x2.sub');
      f.f64x2(0, 0).simd('f64x2.max').set(m2b[h]);
      if (foldWorst) f.get(dv).get(m2b[h]).simd('f64x2.sub').get(worst).simd('f64x2.max').set(worst);
    }
  };
  /** The work slot's shift := the f32 of mb (the 4 columns' block means). */
  const storeShift = (): void => {
    f.get(a).get(mb[0]).simd('f32x4.demote_f64x2_zero').get(mb[1]).simd('f32x4.demote_f64x2_zero').shuffle(LOW_HALVES).vmem('v128.store');
  };

  f.get(L).i32(4).op('i32.mul').set(stride);
  f.get(start).set(u);
  f.block((exit) => {
    f.loop((again) => {
      f.get(u).get(end).op('i32.ge_u').brIf(exit);
      f.get(u).get(ntiles).op('i32.div_u').tee(g).get(rpg).op('i32.mul').set(rowStart);
      f.get(u).get(g).get(ntiles).op('i32.mul').op('i32.sub').get(tile).op('i32.mul').set(c0);
      minU(f, () => void f.get(c0).get(tile).op('i32.add'), read(f, l4), s0, s1);
      f.get(c0).op('i32.sub').set(cols);
      minU(f, () => void f.get(rowStart).get(rpg).op('i32.add'), read(f, r0), s0, s1);
      f.get(rowStart).op('i32.sub').set(rows);
      f.get(params).mem('i32.load', 40).get(tid).get(tile).op('i32.mul').i32(SLOT / 4).op('i32.mul').op('i32.add').set(work);
      f.get(x).get(rowStart).get(L).op('i32.mul').get(c0).op('i32.add').i32(4).op('i32.mul').op('i32.add').set(xp);
      f.get(g).get(lp).op('i32.mul').get(c0).op('i32.add').i32(8).op('i32.mul').tee(pm).get(m2P).op('i32.add').set(pq);
      f.get(pm).get(meanP).op('i32.add').set(pm);
      f.i32(0).set(done);
      f.f64(0).set(nf);
      f.loop((blocks) => {
        minU(f, () => void f.i32(VERTICAL_ROWS), () => void f.get(rows).get(done).op('i32.sub'), s0, s1);
        f.set(nb);
        emitSmallIntToF64(f, nb);
        f.tee(nbf).simd('f64x2.splat').set(nbv);
        f.get(done).op('i32.eqz').set(first);
        // The first block's shift: the mean of 16 of its rows, s0 + Σ(x − s0)/16.
        f.get(first).if(() => {
          for (let j = 0; j < 16; j++) f.get(xp).get(nb).i32(j).op('i32.mul').i32(4).op('i32.shr_u').get(stride).op('i32.mul').op('i32.add').set(rowAt[j]);
          f.get(xp).set(rp);
          eachGroup(() => {
            f.f32x4(0, 0, 0, 0).set(t);
            for (let j = 1; j < 16; j++) {
              f.get(q).get(rowAt[j]).op('i32.add').get(xp).op('i32.sub').vmem('v128.load').get(q).vmem('v128.load').simd('f32x4.sub').get(t).simd('f32x4.add').set(t);
            }
            f.get(a).get(t).f32x4(1 / 16, 1 / 16, 1 / 16, 1 / 16).simd('f32x4.mul').get(q).vmem('v128.load').simd('f32x4.add').vmem('v128.store');
          });
        });
        f.i32(0).set(tries);
        f.loop((refine) => {
          f.get(xp).set(rp);
          eachGroup(() => {
            for (const at of [16, 32, 48]) f.get(a).f32x4(0, 0, 0, 0).vmem('v128.store', at);
          });
          // Σd² of each column in f32 lanes and Σd in float64, along the rows' length, ROW_STEP rows at a
          // time: their d and d² are summed pairwise in f32, then added to the sums (one load and store
          // of the sums per ROW_STEP rows; a lane's rounding of Σd, the mean's error, stays that of
          // ROW_STEP terms).
          f.get(nb).set(s0);
          const rowsOf = (k: number): void => {
            const step = (at: number): void => {
              f.get(a).vmem('v128.load', SLOT * at).set(sv);
              for (let j = 0; j < k; j++) f.get(qs[j]).vmem('v128.load', 16 * at).get(sv).simd('f32x4.sub').set(ts[j]);
              pairwise(k, (j) => void f.get(ts[j]));
              f.set(tl);
              f.get(a).get(a).vmem('v128.load', SLOT * at + 32).get(tl).simd('f64x2.promote_low_f32x4').simd('f64x2.add').vmem('v128.store', SLOT * at + 32);
              f.get(a).get(a).vmem('v128.load', SLOT * at + 48).get(tl).get(tl).shuffle(HIGH_HALF).simd('f64x2.promote_low_f32x4').simd('f64x2.add').vmem('v128.store', SLOT * at + 48);
              f.get(a).get(a).vmem('v128.load', SLOT * at + 16);
              pairwise(k, (j) => void f.get(ts[j]).get(ts[j]).simd('f32x4.mul'));
              f.simd('f32x4.add').vmem('v128.store', SLOT * at + 16);
            };
            whileAtLeast(f, s0, k, () => {
              for (let j = 0; j < k; j++) f.get(rp).get(stride).i32(j).op('i32.mul').op('i32.add').set(qs[j]);
              f.get(work).set(a);
              f.get(cols).set(n);
              whileAtLeast(f, n, 8, () => {
                step(0);
                step(1);
                addConst(f, a, 2 * SLOT);
                for (let j = 0; j < k; j++) addConst(f, qs[j], 32);
              });
              f.get(n).if(() => step(0));
              f.get(rp).get(stride).i32(k).op('i32.mul').op('i32.add').set(rp);
            });
          };
          rowsOf(ROW_STEP);
          rowsOf(1);
          // The tile's largest Σd·(Σd/n) − M2: positive when some column's shift was off by more than σ.
          f.f64x2(-Infinity, -Infinity).set(worst);
          f.get(xp).set(rp);
          eachGroup(() => pairStats(true));
          f.f64(0).get(worst).lane('f64x2.extract_lane', 0).get(worst).lane('f64x2.extract_lane', 1).op('f64.max').op('f64.lt');
          f.get(tries).i32(MAX_REFINES).op('i32.lt_u').op('i32.and');
          f.if(() => {
            eachGroup(() => {
              pairStats(false);
              storeShift();
            });
            addConst(f, tries, 1);
            f.br(refine);
          });
        });
        // Chan, Golub & LeVeque: merge each column's block into its running (nf, mean, M2); the next
        // block's shift is this block's mean.
        f.get(nf).get(nbf).op('f64.add').set(nNew);
        f.get(nbf).get(nNew).op('f64.div').simd('f64x2.splat').set(wv);
        f.get(nf).get(nbf).op('f64.mul').get(nNew).op('f64.div').simd('f64x2.splat').set(cv);
        f.get(pm).set(s0);
        f.get(pq).set(s1);
        f.get(xp).set(rp);
        eachGroup(() => {
          pairStats(false);
          storeShift();
          for (let h = 0; h < 2; h++) {
            f.get(first).if(() => {
              f.get(s0).get(mb[h]).vmem('v128.store', 16 * h);
              f.get(s1).get(m2b[h]).vmem('v128.store', 16 * h);
            }, () => {
              f.get(s0).vmem('v128.load', 16 * h).tee(mv);
              f.get(mb[h]).get(mv).simd('f64x2.sub').tee(dv).get(wv).simd('f64x2.mul').simd('f64x2.add').set(est);
              f.get(s0).get(est).vmem('v128.store', 16 * h);
              f.get(s1).get(s1).vmem('v128.load', 16 * h).get(m2b[h]).simd('f64x2.add');
              f.get(dv).get(dv).simd('f64x2.mul').get(cv).simd('f64x2.mul').simd('f64x2.add').vmem('v128.store', 16 * h);
            });
          }
          addConst(f, s0, 32);
          addConst(f, s1, 32);
        });
        f.get(nNew).set(nf);
        f.get(xp).get(nb).get(stride).op('i32.mul').op('i32.add').set(xp);
        f.get(done).get(nb).op('i32.add').tee(done).get(rows).op('i32.lt_u').brIf(blocks);
      });
      addConst(f, u, 1);
      f.br(again);
    });
  });
  return f;
}

export const MOMENTS_EXPORTS = ['hstat', 'hsum', 'hsq', 'vsum', 'vsq', 'vstat', 'vtile'] as const;
const [HSTAT, HSUM, HSQ, VSUM, VSQ, VSTAT, VTILE] = [0, 1, 2, 3, 4, 5, 6];

export function buildMomentsModule(): Uint8Array {
  const m = new ModuleBuilder().importMemory(MEMORY_IMPORT);
  m.addFunction(blockStats(), 'hstat');
  m.addFunction(horizontal(false), 'hsum');
  m.addFunction(horizontal(true), 'hsq');
  m.addFunction(vertical(false), 'vsum');
  m.addFunction(vertical(true), 'vsq');
  m.addFunction(verticalBlockStats(), 'vstat');
  m.addFunction(verticalTileStats(), 'vtile');
  return m.encode();
}

/** Per kept position: the mean and M2 = Σ(x − mean)² (the variance is M2 / count). */
interface Moments {
  readonly mean: Float64Array;
  readonly m2: Float64Array;
}

interface MomentsRun {
  readonly ctx: WasmRoutineContext;
  readonly mod: PoolModule;
  readonly x: WasmBuffer;
  readonly layout: MomentsLayout;
  readonly parallel: boolean;
}

/** Horizontal units (one per run segment) for the float64 path: segments per run and the fixed chunk. */
function horizontalUnits({ r0, k, r1 }: MomentsLayout): { nseg: number; units: number; chunk: number } {
  const nseg = Math.ceil(r1 / SEGMENT);
  return { nseg, units: r0 * k * nseg, chunk: Math.max(1, Math.floor((4 * SEGMENT) / Math.min(r1, SEGMENT))) };
}

/**
 * Block statistics per unit (f32 lanes within a block, float64 across), merged by Chan's update. A
 * unit is segment s of a group of ga runs of one channel (about SEGMENT values), so short runs do not
 * make many tiny units; units depend on the shape only.
 */
function horizontalBlocks({ ctx, mod, x, layout, parallel }: MomentsRun): Moments {
  const { r0, k, r1 } = layout;
  const nseg = Math.ceil(r1 / SEGMENT);
  const segMax = Math.min(r1, SEGMENT);
  const ga = Math.max(1, Math.floor(SEGMENT / segMax));
  const ngroups = Math.ceil(r0 / ga);
  const rpb = Math.max(1, Math.floor(BLOCK / r1));
  const units = k * ngroups * nseg;
  const chunk = Math.max(1, Math.floor((2 * SEGMENT) / (ga * segMax)));
  const heap = ctx.heap;
  const partial = heap.alloc(units * 16);
  try {
    ctx.pool.run(mod, HSTAT, units, chunk, ctx.params([x.offset, r1, k, r0, nseg, ngroups, ga, rpb, partial]), parallel);
    const p = heap.f64(partial, 2 * units);
    const mean = new Float64Array(k);
    const m2 = new Float64Array(k);
    // Chan, Golub & LeVeque: each channel's units in index order (g, then s), whatever the thread count.
    for (let c = 0, u = 0; c < k; c++) {
      let n = 0;
      let mc = 0;
      let m2c = 0;
      for (let g = 0; g < ngroups; g++) {
        const runs = Math.min(ga, r0 - g * ga);
        for (let s = 0; s < nseg; s++, u++) {
          const nb = runs * Math.min(SEGMENT, r1 - s * SEGMENT);
          const nn = n + nb;
          const delta = p[2 * u] - mc;
          mc += (delta * nb) / nn;
          m2c += p[2 * u + 1] + delta * delta * ((n * nb) / nn);
          n = nn;
        }
      }
      mean[c] = mc;
      m2[c] = m2c;
    }
    return { mean, m2 };
  } finally {
    heap.release(partial);
  }
}

/** Two passes over the input with float64 accumulators; partial sums added in a fixed order. */
function horizontalF64({ ctx, mod, x, layout, parallel }: MomentsRun): Moments {
  const { r0, k, r1 } = layout;
  const { nseg, units, chunk } = horizontalUnits(layout);
  const heap = ctx.heap;
  const partial = heap.alloc(units * 8);
  const meanAt = heap.alloc(k * 8);
  const mean = new Float64Array(k);
  const m2 = new Float64Array(k);
  try {
    const combine = (into: Float64Array): void => {
      const p = heap.f64(partial, units);
      into.fill(0);
      for (let a = 0; a < r0; a++) {
        for (let c = 0; c < k; c++) {
          const at = (a * k + c) * nseg;
          for (let s = 0; s < nseg; s++) into[c] += p[at + s];
        }
      }
    };
    ctx.pool.run(mod, HSUM, units, chunk, ctx.params([x.offset, r1, nseg, k, partial, 0]), parallel);
    combine(mean);
    for (let c = 0; c < k; c++) mean[c] /= r0 * r1;
    heap.f64(meanAt, k).set(mean);
    ctx.pool.run(mod, HSQ, units, chunk, ctx.params([x.offset, r1, nseg, k, partial, meanAt]), parallel);
    combine(m2);
    return { mean, m2 };
  } finally {
    heap.release(partial);
    heap.release(meanAt);
  }
}

/** Channels-last: two passes accumulating rows of K·R1 values into float64 columns per block. */
function verticalF64({ ctx, mod, x, layout, parallel }: MomentsRun): Moments {
  const { r0, k, r1 } = layout;
  const heap = ctx.heap;
  const L = k * r1;
  const rpb = L >= VERTICAL_BLOCK ? r0 : Math.ceil(VERTICAL_BLOCK / L);
  const nrb = Math.ceil(r0 / rpb);
  const ncb = Math.ceil(L / COLUMN_BLOCK);
  const units = nrb * ncb;
  const partial = heap.alloc(nrb * L * 8);
  const meanExp = heap.alloc(L * 8);
  const mean = new Float64Array(k);
  const m2 = new Float64Array(k);
  try {
    const combine = (into: Float64Array): void => {
      const p = heap.f64(partial, nrb * L);
      into.fill(0);
      const col = new Float64Array(L);
      for (let b = 0; b < nrb; b++) for (let j = 0; j < L; j++) col[j] += p[b * L + j];
      for (let c = 0; c < k; c++) for (let t = 0; t < r1; t++) into[c] += col[c * r1 + t];
    };
    const params = ctx.params([x.offset, L, rpb, r0, ncb, partial, meanExp]);
    ctx.pool.run(mod, VSUM, units, 1, params, parallel);
    combine(mean);
    for (let c = 0; c < k; c++) mean[c] /= r0 * r1;
    const me = heap.f64(meanExp, L);
    for (let j = 0; j < L; j++) me[j] = mean[Math.floor(j / r1)];
    ctx.pool.run(mod, VSQ, units, 1, ctx.params([x.offset, L, rpb, r0, ncb, partial, meanExp]), parallel);
    combine(m2);
    return { mean, m2 };
  } finally {
    heap.release(partial);
    heap.release(meanExp);
  }
}

/**
 * Channels-last in float32 blocks: strips of columns (one f32 lane each) over blocks of VERTICAL_ROWS
 * rows, merged by Chan's update per row group in wasm, then here across row groups and across the R1
 * columns of each channel, in index order. Units (row group, strip) depend on the shape only.
 */
function verticalBlocks({ ctx, mod, x, layout, parallel }: MomentsRun): Moments {
  const { r0, k, r1 } = layout;
  const L = k * r1;
  const lp = Math.ceil(L / 4) * 4;
  const rpg = VERTICAL_ROWS * Math.max(1, Math.ceil(VERTICAL_GROUP / L / VERTICAL_ROWS));
  const nrg = Math.ceil(r0 / rpg);
  const tail = L % 4;
  const l4 = L - tail;
  const tiled = l4 >= MIN_TILE;
  const nfull = tiled ? 0 : Math.floor(L / STRIP);
  const nquad = tiled ? 0 : Math.floor((L % STRIP) / 4);
  const nstrips = nfull + nquad + (tail > 0 ? 1 : 0);
  const ntiles = Math.ceil(l4 / MAX_TILE);
  const tile = 4 * Math.ceil(l4 / 4 / ntiles);
  const heap = ctx.heap;
  const meanP = heap.alloc(nrg * lp * 8);
  const m2P = heap.alloc(nrg * lp * 8);
  const work = tiled ? heap.alloc(ctx.pool.threads * tile * (SLOT / 4)) : 0;
  try {
    if (tiled) ctx.pool.run(mod, VTILE, nrg * ntiles, 1, ctx.params([x.offset, L, r0, rpg, ntiles, tile, l4, meanP, m2P, lp, work]), parallel);
    if (nstrips > 0) ctx.pool.run(mod, VSTAT, nrg * nstrips, 1, ctx.params([x.offset, L, r0, rpg, nstrips, nfull, nquad, tail, meanP, m2P, lp]), parallel);
    const pm = heap.f64(meanP, nrg * lp);
    const pq = heap.f64(m2P, nrg * lp);
    if (nrg === 1 && r1 === 1) return { mean: pm.slice(0, k), m2: pq.slice(0, k) };
    const mean = new Float64Array(k);
    const m2 = new Float64Array(k);
    // Chan, Golub & LeVeque: a column's row groups in order, then a channel's R1 columns in order.
    for (let c = 0; c < k; c++) {
      let n = 0;
      let mc = 0;
      let m2c = 0;
      for (let j = c * r1; j < (c + 1) * r1; j++) {
        let nj = Math.min(rpg, r0);
        let mj = pm[j];
        let m2j = pq[j];
        for (let g = 1; g < nrg; g++) {
          const nb = Math.min(rpg, r0 - g * rpg);
          const nn = nj + nb;
          const delta = pm[g * lp + j] - mj;
          mj += (delta * nb) / nn;
          m2j += pq[g * lp + j] + delta * delta * ((nj * nb) / nn);
          nj = nn;
        }
        if (n === 0) {
          mc = mj;
          m2c = m2j;
        } else {
          const nn = n + nj;
          const delta = mj - mc;
          mc += (delta * nj) / nn;
          m2c += m2j + delta * delta * ((n * nj) / nn);
        }
        n += nj;
      }
      mean[c] = mc;
      m2[c] = m2c;
    }
    return { mean, m2 };
  } finally {
    heap.release(meanP);
    heap.release(m2P);
    if (tiled) heap.release(work);
  }
}

/**
 * Below this (nonzero) variance, squares of deviations may fall into the f32 subnormals and lose
 * precision (f32's least normal is 1.2e-38; 1e-30 leaves their absolute error ≤ 1e-15 relative).
 */
const MIN_BLOCK_VARIANCE = 1e-30;

/**
 * Whether f32 block statistics can be trusted: any f32 overflow (|x − m| ≳ 1.8e19, data near f32's
 * range) leaves an infinity or NaN, and a tiny nonzero variance may have lost its squares to underflow.
 */
function blockStatsSafe({ mean, m2 }: Moments, count: number): boolean {
  for (let c = 0; c < mean.length; c++) {
    const v = m2[c] / count;
    if (!Number.isFinite(mean[c]) || !Number.isFinite(v) || (v > 0 && v < MIN_BLOCK_VARIANCE)) return false;
  }
  return true;
}

/** Run moments in wasm; false when the call needs the CPU routine. */
export function wasmMoments(ctx: WasmRoutineContext, call: MomentsCall, inputs: readonly WasmBuffer[], outputs: readonly WasmBuffer[]): boolean {
  const x = inputs[0];
  if (call.weighted || x.dtype !== 'float32') return false;
  if (outputs.some((o) => o.dtype !== 'float32' && o.dtype !== 'float64')) return false;
  const layout = momentsLayout(call.inDims, call.axes);
  if (layout === undefined) return false;
  const n = sizeOf(call.inDims);
  if (n === 0) return false;
  const { r0, k, r1 } = layout;
  const count = r0 * r1;
  const run: MomentsRun = { ctx, mod: ctx.module('moments', buildMomentsModule, MOMENTS_EXPORTS), x, layout, parallel: n >= PARALLEL_MIN_WORK };
  let stats: Moments;
  if (r1 >= MIN_HORIZONTAL_RUN && ctx.precision === 'float32') {
    stats = horizontalBlocks(run);
    if (!blockStatsSafe(stats, count)) stats = horizontalF64(run);
  } else if (r1 >= MIN_HORIZONTAL_RUN) {
    stats = horizontalF64(run);
  } else if (ctx.precision === 'float32') {
    stats = verticalBlocks(run);
    if (!blockStatsSafe(stats, count)) stats = verticalF64(run);
  } else {
    stats = verticalF64(run);
  }
  const [outMean, outVar] = outputs;
  const mv = ctx.heap.view(outMean.dtype, outMean.offset, k);
  const vv = ctx.heap.view(outVar.dtype, outVar.offset, k);
  if (!(mv instanceof Float32Array || mv instanceof Float64Array) || !(vv instanceof Float32Array || vv instanceof Float64Array)) return false;
  for (let c = 0; c < k; c++) {
    mv[c] = stats.mean[c];
    vv[c] = stats.m2[c] / count;
  }
  return true;
}
