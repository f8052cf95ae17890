// Float32 block statistics of short runs (channels-last [M, C]), narrow rows: column strips held in
// registers over blocks of rows.

import { addConst, loadNamedParams, minU, read } from '../../codegen-util.js';
import { FunctionBuilder, type Local } from '../../encoder/index.js';
import { emitMaxF64x2, emitVerticalBlocks, HIGH_HALF, LOW_HALVES } from './emit.js';
import { MAX_REFINES, VERTICAL_ROWS } from './layout.js';
import { D_ROWS } from './vertical-tiles.js';

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
export function verticalBlockStats(): FunctionBuilder {
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
    emitVerticalBlocks(f, { x, L, rowStart, c0, g, lp, m2P, meanP, rows, xp, pq, pm, done, nb, s0, s1, nf, nbf, nbv }, VERTICAL_ROWS, (blocks) => {
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
          f.f64x2(0, 0);
          emitMaxF64x2(f);
          f.set(m2b[h]);
          f.get(dv).get(m2b[h]).simd('f64x2.sub');
          if (h > 0) {
            f.get(worst);
            emitMaxF64x2(f);
          }
          f.set(worst);
        }
        for (let k = 0; k < vectors; k++) {
          f.get(mb[2 * k]).simd('f32x4.demote_f64x2_zero').get(mb[2 * k + 1]).simd('f32x4.demote_f64x2_zero').shuffle(LOW_HALVES).set(newShift[k]);
        }
        // A shift off by more than σ amplifies the f32 rounding of Σd² by more than 2: sum the block
        // again about its means (at most MAX_REFINES times). A NaN may be dropped from the test (emit.ts,
        // emitMaxF64x2) and the block refined: its statistics stay non-finite and fall back to float64.
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
