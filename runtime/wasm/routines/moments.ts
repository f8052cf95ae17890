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
// Short runs (channels-last [M, C]) accumulate rows of K·R1 values vertically in float64 per column
// block. Weighted moments, non-float32 inputs and axis patterns that do not merge into [R0, K, R1]
// return false (the backend runs the CPU routine).

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

export const MOMENTS_EXPORTS = ['hstat', 'hsum', 'hsq', 'vsum', 'vsq'] as const;
const [HSTAT, HSUM, HSQ, VSUM, VSQ] = [0, 1, 2, 3, 4];

export function buildMomentsModule(): Uint8Array {
  const m = new ModuleBuilder().importMemory(MEMORY_IMPORT);
  m.addFunction(blockStats(), 'hstat');
  m.addFunction(horizontal(false), 'hsum');
  m.addFunction(horizontal(true), 'hsq');
  m.addFunction(vertical(false), 'vsum');
  m.addFunction(vertical(true), 'vsq');
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
