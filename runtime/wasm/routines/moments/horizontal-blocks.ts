// Float32 block statistics of long runs (NCHW per-channel moments): the kernel that sums each block
// in f32 lanes while it sits in L1, and the driver that merges the units by Chan's update.

import { addConst, loadNamedParams, minU, read } from '../../codegen-util.js';
import { FunctionBuilder, type Local } from '../../encoder/index.js';
import { emitLaneSum, emitPieceLoop, emitSmallIntToF64 } from './emit.js';
import { BLOCK, ChanMerge, HSTAT, MAX_REFINES, type Moments, type MomentsRun, SEGMENT } from './layout.js';

/**
 * s(start, end, tid, params): partial[u] = (mean, M2) of unit u = (channel c, run group g, segment s):
 * segment s of runs [g·ga, (g+1)·ga) of channel c, in blocks of at most BLOCK values (a piece of one
 * run, or up to rpb whole runs when runs are short) merged in order by Chan's update. params: x, r1,
 * k, r0, nseg, ngroups, ga, rpb, partial. Per block: estimate its mean m̂ from 16 values, sum
 * d = x − f32(m̂) and d² in f32 lanes, take mean = m̂ + Σd/n and M2 = Σd² − (Σd)²/n, and repeat about
 * the new mean (at most MAX_REFINES times) while (Σd)² > n·M2.
 */
export function blockStats(): FunctionBuilder {
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
            // A whole block of one run (the common case): the 16 positions are constant offsets.
            f.get(pieces).i32(1).op('i32.eq').get(pieceLen).i32(BLOCK).op('i32.eq').op('i32.and');
            f.if(() => {
              for (let j = 0; j < 16; j++) f.get(est).get(p).mem('f32.load', 4 * ((BLOCK * j) >> 4)).op('f64.promote_f32').op('f64.add').set(est);
            }, () => {
              for (let j = 0; j < 16; j++) {
                f.get(est).get(p);
                f.get(pieces).i32(j).op('i32.mul').i32(4).op('i32.shr_u').get(stride).op('i32.mul').op('i32.add');
                f.get(pieceLen).i32(j).op('i32.mul').i32(4).op('i32.shr_u').i32(4).op('i32.mul').op('i32.add');
                f.mem('f32.load').op('f64.promote_f32').op('f64.add').set(est);
              }
            });
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

/**
 * Block statistics per unit (f32 lanes within a block, float64 across), merged by Chan's update. A
 * unit is segment s of a group of ga runs of one channel (about SEGMENT values), so short runs do not
 * make many tiny units; units depend on the shape only.
 */
export function horizontalBlocks({ ctx, mod, x, layout, parallel, out }: MomentsRun): Moments {
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
    const { mean, m2 } = out;
    // Chan, Golub & LeVeque: each channel's units in index order (g, then s), whatever the thread count.
    for (let c = 0, u = 0; c < k; c++) {
      const merged = new ChanMerge();
      for (let g = 0; g < ngroups; g++) {
        const runs = Math.min(ga, r0 - g * ga);
        for (let s = 0; s < nseg; s++, u++) merged.add(runs * Math.min(SEGMENT, r1 - s * SEGMENT), p[2 * u], p[2 * u + 1]);
      }
      mean[c] = merged.mean;
      m2[c] = merged.m2;
    }
    return out;
  } finally {
    heap.release(partial);
  }
}
