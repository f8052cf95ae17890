// Mean and population variance (the BN training statistics) in wasm: two passes with float64x2
// accumulators, in fixed chunks whose partial sums are combined in a fixed order, so the result is
// deterministic and bit-identical for any thread count (DESIGN.md §6). The axes are merged into
// [R0, K, R1] (reduced, kept, reduced): with long runs (R1 ≥ 16, e.g. NCHW per-channel statistics)
// each run segment is summed horizontally; otherwise (channels-last [M, C], R1 small) rows of K·R1
// values are accumulated vertically per column block. Weighted moments, non-float32 inputs and axis
// patterns that do not merge into [R0, K, R1] return false (the backend runs the CPU routine).

import { sizeOf } from '../../../core/shape.js';
import type { RoutineCall } from '../../../ops/kernel-ir.js';
import { FunctionBuilder, Local, ModuleBuilder } from '../encoder/index.js';
import { MEMORY_IMPORT } from '../elementwise.js';
import { addConst, loadParam, minU, read } from '../codegen-util.js';
import { PARALLEL_MIN_WORK, WasmBuffer, WasmRoutineContext } from './context.js';

type MomentsCall = Extract<RoutineCall, { routine: 'moments' }>;

/** Elements per horizontal segment: a run longer than this is split (fixed, shape-independent). */
export const SEGMENT = 16384;
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

/** Horizontal run sums: 8 values per step into four f64x2 accumulators, then a scalar tail. */
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
  const high = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];
  f.block((done) => {
    f.loop((again) => {
      f.get(len).i32(8).op('i32.lt_u').brIf(done);
      accumulate(acc[0], () => void f.get(p).vmem('v128.load').simd('f64x2.promote_low_f32x4'));
      accumulate(acc[1], () => void f.get(p).vmem('v128.load').get(p).vmem('v128.load').shuffle(high).simd('f64x2.promote_low_f32x4'));
      accumulate(acc[2], () => void f.get(p).vmem('v128.load', 16).simd('f64x2.promote_low_f32x4'));
      accumulate(acc[3], () => void f.get(p).vmem('v128.load', 16).get(p).vmem('v128.load', 16).shuffle(high).simd('f64x2.promote_low_f32x4'));
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

export const MOMENTS_EXPORTS = ['hsum', 'hsq', 'vsum', 'vsq'] as const;

export function buildMomentsModule(): Uint8Array {
  const m = new ModuleBuilder().importMemory(MEMORY_IMPORT);
  m.addFunction(horizontal(false), 'hsum');
  m.addFunction(horizontal(true), 'hsq');
  m.addFunction(vertical(false), 'vsum');
  m.addFunction(vertical(true), 'vsq');
  return m.encode();
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
  const mod = ctx.module('moments', buildMomentsModule, MOMENTS_EXPORTS);
  const parallel = n >= PARALLEL_MIN_WORK;
  const heap = ctx.heap;
  const sums = new Float64Array(k);
  const sq = new Float64Array(k);
  const mean = new Float64Array(k);
  if (r1 >= MIN_HORIZONTAL_RUN) {
    const nseg = Math.ceil(r1 / SEGMENT);
    const units = r0 * k * nseg;
    const chunk = Math.max(1, Math.floor((4 * SEGMENT) / Math.min(r1, SEGMENT)));
    const partial = heap.alloc(units * 8);
    const meanAt = heap.alloc(k * 8);
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
      ctx.pool.run(mod, 0, units, chunk, ctx.params([x.offset, r1, nseg, k, partial, 0]), parallel);
      combine(sums);
      for (let c = 0; c < k; c++) mean[c] = sums[c] / count;
      heap.f64(meanAt, k).set(mean);
      ctx.pool.run(mod, 1, units, chunk, ctx.params([x.offset, r1, nseg, k, partial, meanAt]), parallel);
      combine(sq);
    } finally {
      heap.release(partial);
      heap.release(meanAt);
    }
  } else {
    const L = k * r1;
    const rpb = L >= VERTICAL_BLOCK ? r0 : Math.ceil(VERTICAL_BLOCK / L);
    const nrb = Math.ceil(r0 / rpb);
    const ncb = Math.ceil(L / COLUMN_BLOCK);
    const units = nrb * ncb;
    const partial = heap.alloc(nrb * L * 8);
    const meanExp = heap.alloc(L * 8);
    try {
      const combine = (into: Float64Array): void => {
        const p = heap.f64(partial, nrb * L);
        into.fill(0);
        const col = new Float64Array(L);
        for (let b = 0; b < nrb; b++) for (let j = 0; j < L; j++) col[j] += p[b * L + j];
        for (let c = 0; c < k; c++) for (let t = 0; t < r1; t++) into[c] += col[c * r1 + t];
      };
      ctx.pool.run(mod, 2, units, 1, ctx.params([x.offset, L, rpb, r0, ncb, partial, meanExp]), parallel);
      combine(sums);
      for (let c = 0; c < k; c++) mean[c] = sums[c] / count;
      const me = heap.f64(meanExp, L);
      for (let j = 0; j < L; j++) me[j] = mean[Math.floor(j / r1)];
      ctx.pool.run(mod, 3, units, 1, ctx.params([x.offset, L, rpb, r0, ncb, partial, meanExp]), parallel);
      combine(sq);
    } finally {
      heap.release(partial);
      heap.release(meanExp);
    }
  }
  const [outMean, outVar] = outputs;
  const mv = heap.view(outMean.dtype, outMean.offset, k);
  const vv = heap.view(outVar.dtype, outVar.offset, k);
  if (!(mv instanceof Float32Array || mv instanceof Float64Array) || !(vv instanceof Float32Array || vv instanceof Float64Array)) return false;
  for (let c = 0; c < k; c++) {
    mv[c] = mean[c];
    vv[c] = sq[c] / count;
  }
  return true;
}
