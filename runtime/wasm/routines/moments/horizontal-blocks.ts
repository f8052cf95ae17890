// Float32 block statistics of long runs (NCHW per-channel moments): the kernel that sums each block
// in f32 lanes, and the driver that merges the units by Chan's update.

import { addConst, forUp, loadNamedParams, minU, read } from '../../codegen-util.js';
import { FunctionBuilder, type Local } from '../../encoder/index.js';
import { emitLaneSum, emitPieceLoop, emitSmallIntToF64 } from './emit.js';
import { BLOCK, ChanMerge, HSTAT, MAX_REFINES, type MomentsRun, SEGMENT } from './layout.js';

/**
 * s(start, end, tid, params): partial[u] = (mean, M2) of unit u = (channel c, run group g, segment s):
 * segment s of runs [g·ga, (g+1)·ga) of channel c. params: x, r1, k, r0, nseg, ngroups, ga, rpb,
 * partial. Per unit: estimate its mean m̂ from 16 values spread over it, then in blocks of at most
 * BLOCK values (a piece of one run, or up to rpb whole runs when runs are short) sum d = x − f32(m̂)
 * and d² in f32 lanes, each block's lane totals going to float64; take mean = m̂ + Σd/n and
 * M2 = Σd² − (Σd)²/n, and repeat about the new mean (at most MAX_REFINES times) while (Σd)² > n·M2.
 */
export function blockStats(): FunctionBuilder {
  const f = new FunctionBuilder(['i32', 'i32', 'i32', 'i32']);
  const [start, end, , params] = [0, 1, 2, 3].map((i) => f.param(i));
  const { x, r1, k, r0, nseg, ngroups, ga, rpb, partial } = loadNamedParams(f, params, ['x', 'r1', 'k', 'r0', 'nseg', 'ngroups', 'ga', 'rpb', 'partial']);
  const [u, t0, ch, off, segLen, a0, a, a1, pos, p, q, c, pieceLen, pieces, i, stride, tries, s0, s1, nUnit, j, sample] = Array.from({ length: 22 }, () => f.local('i32'));
  const accD = [0, 1, 2, 3].map(() => f.local('v128'));
  const accQ = [0, 1, 2, 3].map(() => f.local('v128'));
  const [mv, t] = [0, 1].map(() => f.local('v128'));
  const mf = f.local('f32');
  const [n, est, mfd, sd, sq, td, sumD, sumQ, m2] = Array.from({ length: 9 }, () => f.local('f64'));
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
  /** p = the address of run a's segment. */
  const runStart = (): void => {
    f.get(x).get(a).get(k).op('i32.mul').get(ch).op('i32.add').get(r1).op('i32.mul').get(off).op('i32.add').i32(4).op('i32.mul').op('i32.add').set(p);
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
      f.get(t0).get(ch).get(ngroups).op('i32.mul').op('i32.sub').get(ga).op('i32.mul').set(a0);
      minU(f, () => void f.get(a0).get(ga).op('i32.add'), read(f, r0), s0, s1);
      f.set(a1);
      minU(f, () => void f.i32(SEGMENT), () => void f.get(r1).get(off).op('i32.sub'), s0, s1);
      f.set(segLen);
      f.get(a1).get(a0).op('i32.sub').get(segLen).op('i32.mul').set(nUnit);
      emitSmallIntToF64(f, nUnit);
      f.set(n);
      // The estimate: the mean of 16 values spread over the unit (value ⌊j·n/16⌋ for j = 0..15), in float64.
      f.f64(0).set(est);
      forUp(f, j, () => void f.i32(0), () => void f.i32(16), 1, () => {
        f.get(j).get(nUnit).op('i32.mul').i32(4).op('i32.shr_u').tee(sample).get(segLen).op('i32.div_u').tee(pos).get(a0).op('i32.add').set(a);
        runStart();
        f.get(est).get(p).get(sample).get(pos).get(segLen).op('i32.mul').op('i32.sub').i32(4).op('i32.mul').op('i32.add');
        f.mem('f32.load').op('f64.promote_f32').op('f64.add').set(est);
      });
      f.get(est).f64(1 / 16).op('f64.mul').set(est);
      f.i32(0).set(tries);
      f.loop((refine) => {
        // Σd and Σd² with d = x − f32(estimate) (exact for x near it: Sterbenz): f32 lanes per block, float64 across.
        f.get(est).op('f32.demote_f64').tee(mf).simd('f32x4.splat').set(mv);
        f.get(mf).op('f64.promote_f32').set(mfd);
        f.f64(0).set(sumD);
        f.f64(0).set(sumQ);
        f.get(a0).set(a);
        f.block((runsDone) => {
          f.loop((runs) => {
            f.get(a).get(a1).op('i32.ge_u').brIf(runsDone);
            runStart();
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
              zero(accD);
              zero(accQ);
              f.f64(0).set(sd);
              f.f64(0).set(sq);
              pieceLoop(() => emitPieceLoop(f, q, c, (jj, at) => {
                f.get(q).vmem('v128.load', at).get(mv).simd('f32x4.sub').tee(t);
                f.get(accD[jj]).simd('f32x4.add').set(accD[jj]);
                f.get(t).get(t).simd('f32x4.mul').get(accQ[jj]).simd('f32x4.add').set(accQ[jj]);
              }, () => {
                f.get(q).mem('f32.load').op('f64.promote_f32').get(mfd).op('f64.sub').tee(td);
                f.get(sd).op('f64.add').set(sd);
                f.get(td).get(td).op('f64.mul').get(sq).op('f64.add').set(sq);
              }));
              f.get(sumD);
              emitLaneSum(f, accD, t);
              f.get(sd).op('f64.add').op('f64.add').set(sumD);
              f.get(sumQ);
              emitLaneSum(f, accQ, t);
              f.get(sq).op('f64.add').op('f64.add').set(sumQ);
              f.get(p).get(pieceLen).i32(4).op('i32.mul').op('i32.add').set(p);
              f.get(pos).get(pieceLen).op('i32.add').tee(pos).get(segLen).op('i32.lt_u').brIf(blocks);
            });
            f.get(a).get(pieces).op('i32.add').set(a);
            f.br(runs);
          });
        });
        f.get(mfd).get(sumD).get(n).op('f64.div').op('f64.add').set(est);
        f.get(sumQ).get(sumD).get(sumD).op('f64.mul').get(n).op('f64.div').op('f64.sub');
        f.f64(0).op('f64.max').set(m2);
        // (Σd)² > n·M2 means |mean − f32(estimate)| > σ, where the rounding of Σd² in f32 would be
        // amplified by more than 2: run again about the refined mean (at most MAX_REFINES times).
        f.get(n).get(m2).op('f64.mul').get(sumD).get(sumD).op('f64.mul').op('f64.lt');
        f.get(tries).i32(MAX_REFINES).op('i32.lt_u').op('i32.and');
        f.if(() => {
          addConst(f, tries, 1);
          f.br(refine);
        });
      });
      f.get(partial).get(u).i32(16).op('i32.mul').op('i32.add').tee(q).get(est).mem('f64.store');
      f.get(q).get(m2).mem('f64.store', 8);
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
export function horizontalBlocks({ ctx, mod, x, layout, parallel, out }: MomentsRun): void {
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
  } finally {
    heap.release(partial);
  }
}
