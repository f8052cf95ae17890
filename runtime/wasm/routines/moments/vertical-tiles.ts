// Float32 block statistics of short runs, wide rows: tiles of columns read along the rows, their f32
// sums in L1 work slots.

import { addConst, loadNamedParams, minU, read, whileAtLeast } from '../../codegen-util.js';
import { FunctionBuilder } from '../../encoder/index.js';
import { emitMaxF64x2, emitVerticalBlocks, HIGH_HALF, LOW_HALVES } from './emit.js';
import { MAX_REFINES, TILE_BLOCK_ROWS } from './layout.js';

/** Rows whose deviations are summed in f32 before float64 takes Σd over (Σd² takes TILE_BLOCK_ROWS). */
export const D_ROWS = 4;

/** Rows a tile adds per load and store of its f32 sums. */
const ROW_STEP = 8;

/**
 * Bytes of a tile column group's work slots: the f32x4s of the shift s and Σd² of 4 columns, then Σd as
 * two f64x2; once a block is summed, its M2 and mean as two f64x2 each (pairStats).
 */
export const SLOT = 64;

/**
 * vt(start, end, tid, params): unit u = (row group g, tile i) of columns [i·tile, min((i + 1)·tile,
 * l4)); per column, the (mean, M2) of the group's rows at meanP/m2P[g·lp + column] as in vs, but the
 * rows are read along their length (contiguous, so prefetched; a wide row's columns are a page apart)
 * and the f32 lanes live in L1 work slots (s, Σd, Σd² per 4 columns) instead of registers. params: x, L, r0, rpg, ntiles, tile, l4, meanP, m2P, lp, work (the work slots of thread
 * tid at work + tid·tile·12).
 */
export function verticalTileStats(): FunctionBuilder {
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
  // Σd/n as Σd·(1/n) where n is a power of two (every whole block of TILE_BLOCK_ROWS rows): a scaling by
  // 2^−k, so the same correctly rounded value, for a multiply instead of a division (the divisions of
  // the per-block passes cost about 2 µs of [256, 1024]'s 36 µs statistics). pow2 and rv (1/n) per block.
  const pow2 = f.local('i32');
  const rv = f.local('v128');
  /** A per-block pass, emitted for both: with the reciprocal where the block's n is a power of two, else dividing. */
  const byBlockSize = (pass: (reciprocal: boolean) => void): void => void f.get(pow2).if(() => pass(true), () => pass(false));
  /**
   * mb[h], m2b[h] of the 4 columns at a (f64x2 pairs), their Σd·(Σd/n) − M2 folded into worst, and both
   * stored over the slot's sums (no longer needed): mb at 32 and 48, m2b at 0 and 16 (where the shift
   * and Σd² were), for the refine and merge passes to load (loadStats) rather than compute again.
   */
  const pairStats = (reciprocal: boolean): void => {
    for (let h = 0; h < 2; h++) {
      f.get(a).vmem('v128.load', 32 + 16 * h);
      f.tee(sdv).get(reciprocal ? rv : nbv).simd(reciprocal ? 'f64x2.mul' : 'f64x2.div').set(dv);
      half(() => void f.get(a).vmem('v128.load'), h === 1);
      f.get(dv).simd('f64x2.add').set(mb[h]);
      half(() => void f.get(a).vmem('v128.load', 16), h === 1);
      f.get(sdv).get(dv).simd('f64x2.mul').tee(dv).simd('f64x2.sub');
      f.f64x2(0, 0);
      emitMaxF64x2(f);
      f.set(m2b[h]);
      f.get(dv).get(m2b[h]).simd('f64x2.sub').get(worst);
      emitMaxF64x2(f);
      f.set(worst);
    }
    for (let h = 0; h < 2; h++) {
      f.get(a).get(mb[h]).vmem('v128.store', 32 + 16 * h);
      f.get(a).get(m2b[h]).vmem('v128.store', 16 * h);
    }
  };
  /** mb and m2b of the 4 columns at a, as pairStats stored them. */
  const loadStats = (): void => {
    for (let h = 0; h < 2; h++) {
      f.get(a).vmem('v128.load', 32 + 16 * h).set(mb[h]);
      f.get(a).vmem('v128.load', 16 * h).set(m2b[h]);
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
      emitVerticalBlocks(f, { x, L, rowStart, c0, g, lp, m2P, meanP, rows, xp, pq, pm, done, nb, s0, s1, nf, nbf, nbv }, TILE_BLOCK_ROWS, (blocks) => {
        f.get(done).op('i32.eqz').set(first);
        f.get(nb).get(nb).i32(1).op('i32.sub').op('i32.and').op('i32.eqz').set(pow2);
        f.f64x2(1, 1).get(nbv).simd('f64x2.div').set(rv);
        // The first block's shift: the mean of 16 of its rows, s0 + Σ(x − s0)/16.
        f.get(first).if(() => {
          // rowAt[j]: the byte offset of sampled row ⌊j·nb/16⌋ from the block's first row.
          for (let j = 1; j < 16; j++) f.get(nb).i32(j).op('i32.mul').i32(4).op('i32.shr_u').get(stride).op('i32.mul').set(rowAt[j]);
          f.get(xp).set(rp);
          eachGroup(() => {
            f.f32x4(0, 0, 0, 0).set(t);
            f.get(q).vmem('v128.load').set(sv);
            for (let j = 1; j < 16; j++) {
              f.get(q).get(rowAt[j]).op('i32.add').vmem('v128.load').get(sv).simd('f32x4.sub').get(t).simd('f32x4.add').set(t);
            }
            f.get(a).get(t).f32x4(1 / 16, 1 / 16, 1 / 16, 1 / 16).simd('f32x4.mul').get(sv).simd('f32x4.add').vmem('v128.store');
          });
        });
        f.i32(0).set(tries);
        f.loop((refine) => {
          f.get(xp).set(rp);
          // Σd² of each column in f32 lanes and Σd in float64, along the rows' length, ROW_STEP rows at a
          // time: their d and d² are summed pairwise in f32, then added to the sums (one load and store
          // of the sums per ROW_STEP rows; a lane's rounding of Σd, the mean's error, stays that of
          // ROW_STEP terms). The block's first ROW_STEP rows add theirs to a zero constant instead of
          // the loaded sums (the same 0 + Σ, so −0 still becomes +0), which spares a pass zeroing the
          // sums (about 2 µs of [256, 1024]'s statistics); a block of fewer rows zeroes them first.
          f.get(nb).set(s0);
          f.get(s0).i32(ROW_STEP).op('i32.lt_u').if(() => {
            eachGroup(() => {
              for (const at of [16, 32, 48]) f.get(a).f32x4(0, 0, 0, 0).vmem('v128.store', at);
            });
          });
          /** `k` rows at a time while s0 has them, or with `first` once (the sums start at zero). */
          const rowsOf = (k: number, first: boolean): void => {
            const sums = (at: number): void => {
              if (first) f.f32x4(0, 0, 0, 0);
              else f.get(a).vmem('v128.load', at);
            };
            const step = (at: number): void => {
              f.get(a).vmem('v128.load', SLOT * at).set(sv);
              for (let j = 0; j < k; j++) f.get(qs[j]).vmem('v128.load', 16 * at).get(sv).simd('f32x4.sub').set(ts[j]);
              pairwise(k, (j) => void f.get(ts[j]));
              f.set(tl);
              f.get(a);
              sums(SLOT * at + 32);
              f.get(tl).simd('f64x2.promote_low_f32x4').simd('f64x2.add').vmem('v128.store', SLOT * at + 32);
              f.get(a);
              sums(SLOT * at + 48);
              f.get(tl).get(tl).shuffle(HIGH_HALF).simd('f64x2.promote_low_f32x4').simd('f64x2.add').vmem('v128.store', SLOT * at + 48);
              f.get(a);
              sums(SLOT * at + 16);
              pairwise(k, (j) => void f.get(ts[j]).get(ts[j]).simd('f32x4.mul'));
              f.simd('f32x4.add').vmem('v128.store', SLOT * at + 16);
            };
            const rows = (): void => {
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
            };
            if (!first) return whileAtLeast(f, s0, k, rows);
            f.get(s0).i32(k).op('i32.ge_u').if(() => {
              rows();
              f.get(s0).i32(k).op('i32.sub').set(s0);
            });
          };
          rowsOf(ROW_STEP, true);
          rowsOf(ROW_STEP, false);
          rowsOf(1, false);
          // The tile's largest Σd·(Σd/n) − M2: positive when some column's shift was off by more than σ.
          f.f64x2(-Infinity, -Infinity).set(worst);
          f.get(xp).set(rp);
          byBlockSize((r) => eachGroup(() => pairStats(r)));
          f.f64(0).get(worst).lane('f64x2.extract_lane', 0).get(worst).lane('f64x2.extract_lane', 1).op('f64.max').op('f64.lt');
          f.get(tries).i32(MAX_REFINES).op('i32.lt_u').op('i32.and');
          f.if(() => {
            eachGroup(() => {
              loadStats();
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
          loadStats();
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
