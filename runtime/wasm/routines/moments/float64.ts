// The float64 moments path (the default precision, and the fallback of the float32 blocks): two
// passes over the input, every value promoted to float64, partial sums added in a fixed order.

import { addConst, loadNamedParams, minU, read } from '../../codegen-util.js';
import { FunctionBuilder, type Local } from '../../encoder/index.js';
import { HIGH_HALF } from './emit.js';
import type { ReductionLayout } from '../../../cpu/routines/reduction-layout.js';
import { COLUMN_BLOCK, HSQ, HSUM, type Moments, type MomentsRun, SEGMENT, VERTICAL_BLOCK, VSQ, VSUM } from './layout.js';

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
export function horizontal(squares: boolean): FunctionBuilder {
  const f = new FunctionBuilder(['i32', 'i32', 'i32', 'i32']);
  const [start, end, , params] = [0, 1, 2, 3].map((i) => f.param(i));
  const { x, r1, nseg, kk, partial, meanAt } = loadNamedParams(f, params, ['x', 'r1', 'nseg', 'kk', 'partial', 'meanAt']);
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
export function vertical(squares: boolean): FunctionBuilder {
  const f = new FunctionBuilder(['i32', 'i32', 'i32', 'i32']);
  const [start, end, , params] = [0, 1, 2, 3].map((i) => f.param(i));
  const { x, L, rpb, R0, ncb, partial, meanExp } = loadNamedParams(f, params, ['x', 'L', 'rpb', 'R0', 'ncb', 'partial', 'meanExp']);
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

/** Horizontal units (one per run segment) for the float64 path: segments per run and the fixed chunk. */
function horizontalUnits({ r0, k, r1 }: ReductionLayout): { nseg: number; units: number; chunk: number } {
  const nseg = Math.ceil(r1 / SEGMENT);
  return { nseg, units: r0 * k * nseg, chunk: Math.max(1, Math.floor((4 * SEGMENT) / Math.min(r1, SEGMENT))) };
}

/** Two passes over the input with float64 accumulators; partial sums added in a fixed order. */
export function horizontalF64({ ctx, mod, x, layout, parallel }: MomentsRun): Moments {
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
export function verticalF64({ ctx, mod, x, layout, parallel }: MomentsRun): Moments {
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
