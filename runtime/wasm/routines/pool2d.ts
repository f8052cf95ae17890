// 2-D max and average pooling in wasm, the CPU routine's arithmetic in scalar form (runtime/cpu/
// routines/pool2d.ts): the per-position tap ranges inside X are the CPU routine's own tables
// (axisTaps), each output element is one loop over its window in row-major tap order, max keeps the
// first NaN it meets and ignores padding, avg sums in float64 and divides by the CPU routine's count
// (taps inside X, or inside the padded extent with countIncludePad) — so results are bit-identical to
// the CPU backend, for any thread count. One unit is one (n, c) plane; windows wholly inside X have
// their taps unrolled (max combined as a tree). Scalar code costs about 50 cycles per output, so max
// with column stride 1 or 2 takes the interior columns of interior rows four at a time in f32x4 lanes
// (stride 2 gathered by two loads and a shuffle), each lane folded by the same rule — by f32x4.pmax
// where no tap of the quad is NaN, which is that rule there. ResNet-18's 3×3/2 max pool on
// [1,64,112,112]: 0.53 ms (0.63 with the six-instruction rule in every quad), against 2.63 ms scalar and
// 4.2 ms for the JavaScript routine.

import type { RoutineCall } from '../../../ops/kernel-ir.js';
import { axisTaps } from '../../cpu/routines/pool2d.js';
import { addConst, forUp, loadNamedParams } from '../codegen-util.js';
import { FunctionBuilder, Local, ModuleBuilder } from '../encoder/index.js';
import { MEMORY_IMPORT } from '../elementwise.js';
import type { WasmBuffer, WasmRoutineContext } from './context.js';
import { lanes32 } from './gemm.js';

type Pool2dCall = Extract<RoutineCall, { routine: 'pool2d' }>;

const NAMES = ['x', 'out', 'H', 'W', 'OH', 'OW', 'sh', 'sw', 'dh', 'dw', 'pt', 'pl', 'rows', 'cols', 'xa', 'xb'] as const;
/** Work (taps) below which the main thread pools alone. */
const PARALLEL_MIN_TAPS = 1 << 17;

export const POOL_EXPORTS = ['max', 'avg'] as const;

/** Push the i32 at table + 4·(k·n + i): entry i of the table's k-th array of n. */
function tableEntry(f: FunctionBuilder, table: Local, k: number, n: Local, i: Local): void {
  f.get(table).get(n).i32(4 * k).op('i32.mul').op('i32.add').get(i).i32(4).op('i32.mul').op('i32.add').mem('i32.load');
}

/** Emit "b ∘ a" for maxTree: (b, a, take-b condition) then select, in scalar f32 or in f32x4 lanes. */
const FOLD = {
  scalar: (f: FunctionBuilder, a: Local, b: Local): void => {
    f.get(b).get(a);
    f.get(b).get(a).op('f32.gt').get(b).get(b).op('f32.ne').op('i32.or').get(a).get(a).op('f32.eq').op('i32.and');
    f.op('select');
  },
  lanes: (f: FunctionBuilder, a: Local, b: Local): void => {
    f.get(b).get(a);
    f.get(b).get(a).simd('f32x4.gt').get(b).get(b).simd('f32x4.ne').simd('v128.or').get(a).get(a).simd('f32x4.eq').simd('v128.and');
    f.simd('v128.bitselect');
  },
  /** The lanes form where no lane of a or b is NaN: pmax(a, b) = a < b ? b : a. */
  noNaN: (f: FunctionBuilder, a: Local, b: Local): void => {
    f.get(a).get(b).simd('f32x4.pmax');
  },
} as const;

/**
 * The CPU routine's max fold — acc ∘ v = v when (v > acc or v is NaN) and acc is not NaN, else acc —
 * is associative (the first NaN wins, ties keep the earlier value), though not commutative; so the
 * taps, kept in order, can be combined as a balanced tree, which shortens the dependency chain from
 * n − 1 steps to log2 n. In 'lanes' form four outputs fold at once, each lane by the same rule, so
 * every lane is bit-identical to the scalar fold. Returns the local holding the result (the taps'
 * locals are reused).
 */
function maxTree(f: FunctionBuilder, taps: readonly Local[], form: keyof typeof FOLD): Local {
  let level = [...taps];
  while (level.length > 1) {
    const next: Local[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) {
      const [a, b] = [level[i], level[i + 1]];
      FOLD[form](f, a, b);
      f.set(a);
      next.push(a);
    }
    if (level.length % 2 === 1) next.push(level[level.length - 1]);
    level = next;
  }
  return level[0];
}

/** Lanes 0 and 2 of a, then lanes 1 and 3 of b: with b loaded 3 floats after a, the values at stride 2. */
const STRIDE2_LANES = lanes32([0, 2, 5, 7]);

/** Column strides whose windows can be gathered into f32x4 lanes (one load, or two and a shuffle). */
export type LaneStride = 1 | 2;

/**
 * pool(start, end, tid, params): planes [start, end). `rows` holds three i32 arrays of OH entries (the
 * first tap inside X, one past the last, and the divisor's row factor), `cols` the same over OW;
 * [xa, xb) is the range of output columns whose windows lie wholly inside X. With `laneStride` (max
 * only, the column stride it was built for), interior rows take the columns of [xa, xb) four at a time
 * in f32x4 lanes.
 */
function poolFunction(isMax: boolean, window: readonly [number, number] | undefined, laneStride?: LaneStride): FunctionBuilder {
  const f = new FunctionBuilder(['i32', 'i32', 'i32', 'i32']);
  const [start, end, , params] = [0, 1, 2, 3].map((i) => f.param(i));
  const P = loadNamedParams(f, params, NAMES);
  const [plane, y, xo, ty, xBase, oBase, r0, r1, c0, c1, rowCount, rowAddr, p, pEnd, rowStep, colStep] = Array.from({ length: 16 }, () => f.local('i32'));
  const acc = f.local(isMax ? 'f32' : 'f64');
  const v = f.local('f32');
  const tapLocals = Array.from({ length: window === undefined ? 0 : window[0] * window[1] }, () => f.local('f32'));
  const lanes = isMax && window !== undefined ? laneStride : undefined;
  const laneLocals = Array.from({ length: lanes === undefined || window === undefined ? 0 : window[0] * window[1] }, () => f.local('v128'));
  const laneRow = f.local('i32');
  const quadMax = f.local('v128');
  f.get(P.dh).get(P.W).op('i32.mul').i32(4).op('i32.mul').set(rowStep);
  f.get(P.dw).i32(4).op('i32.mul').set(colStep);
  forUp(f, plane, () => void f.get(start), () => void f.get(end), 1, () => {
    f.get(P.x).get(plane).get(P.H).op('i32.mul').get(P.W).op('i32.mul').i32(4).op('i32.mul').op('i32.add').set(xBase);
    f.get(P.out).get(plane).get(P.OH).op('i32.mul').get(P.OW).op('i32.mul').i32(4).op('i32.mul').op('i32.add').set(oBase);
    forUp(f, y, () => void f.i32(0), () => void f.get(P.OH), 1, () => {
      tableEntry(f, P.rows, 0, P.OH, y);
      f.set(r0);
      tableEntry(f, P.rows, 1, P.OH, y);
      f.set(r1);
      tableEntry(f, P.rows, 2, P.OH, y);
      f.set(rowCount);
      if (lanes !== undefined && window !== undefined) {
        // Lanes in this row: the window's rows all inside X, and at least four interior columns.
        f.get(r0).i32(0).op('i32.eq').get(r1).i32(window[0]).op('i32.eq').op('i32.and');
        f.get(P.xb).get(P.xa).op('i32.sub').i32(4).op('i32.ge_s').op('i32.and').set(laneRow);
      }
      f.i32(0).set(xo);
      f.block((rowDone) => f.loop((nextColumn) => {
        f.get(xo).get(P.OW).op('i32.ge_u').brIf(rowDone);
        if (lanes !== undefined && window !== undefined) {
          f.get(laneRow).get(xo).get(P.xa).op('i32.eq').op('i32.and').if(() => {
            // xo = xa: columns [xa, xa + 4⌊(xb − xa)/4⌋) four at a time (xb − xa ≥ 4, so xo moves on).
            f.block((lanesDone) => f.loop((quad) => {
              f.get(xo).i32(4).op('i32.add').get(P.xb).op('i32.gt_s').brIf(lanesDone);
              f.get(y).get(P.sh).op('i32.mul').get(P.pt).op('i32.sub').get(P.W).op('i32.mul');
              f.get(xo).get(P.sw).op('i32.mul').op('i32.add').get(P.pl).op('i32.sub');
              f.i32(4).op('i32.mul').get(xBase).op('i32.add').set(rowAddr);
              emitLaneTaps(f, window, lanes, laneLocals, { rowAddr, p, rowStep, colStep });
              // Without NaNs the rule is f32x4.pmax(acc, v) = acc < v ? v : acc (ties, ±0 included, keep the
              // earlier value): one instruction where the rule takes six. A NaN in any tap makes the taps'
              // sum NaN (so does ∞ − ∞, which only sends a NaN-free quad the exact way too).
              f.get(laneLocals[0]);
              for (const t of laneLocals.slice(1)) f.get(t).simd('f32x4.add');
              f.tee(quadMax).get(quadMax).simd('f32x4.ne').simd('v128.any_true');
              f.if(() => void f.get(maxTree(f, laneLocals, 'lanes')).set(quadMax), () => void f.get(maxTree(f, laneLocals, 'noNaN')).set(quadMax));
              f.get(oBase).get(y).get(P.OW).op('i32.mul').get(xo).op('i32.add').i32(4).op('i32.mul').op('i32.add');
              f.get(quadMax).vmem('v128.store');
              addConst(f, xo, 4);
              f.br(quad);
            }));
            f.br(nextColumn);
          });
        }
        tableEntry(f, P.cols, 0, P.OW, xo);
        f.set(c0);
        tableEntry(f, P.cols, 1, P.OW, xo);
        f.set(c1);
        if (isMax) f.f32(-Infinity).set(acc);
        else f.f64(0).set(acc);
        // The window's first row inside X: element (y·sh − pt + r0·dh)·W + xo·sw − pl; rows step dh·W.
        f.get(y).get(P.sh).op('i32.mul').get(P.pt).op('i32.sub').get(r0).get(P.dh).op('i32.mul').op('i32.add');
        f.get(P.W).op('i32.mul').get(xo).get(P.sw).op('i32.mul').op('i32.add').get(P.pl).op('i32.sub');
        f.i32(4).op('i32.mul').get(xBase).op('i32.add').set(rowAddr);
        /** One tap: the value at p folded into acc, in the CPU routine's arithmetic. */
        const tap = (): void => {
          f.get(p).mem('f32.load').set(v);
          if (isMax) {
            // Take v when (v > acc or v is NaN) and acc is not NaN: the CPU routine's rule, branch-free.
            f.get(v).get(acc);
            f.get(v).get(acc).op('f32.gt').get(v).get(v).op('f32.ne').op('i32.or').get(acc).get(acc).op('f32.eq').op('i32.and');
            f.op('select').set(acc);
          } else {
            f.get(acc).get(v).op('f64.promote_f32').op('f64.add').set(acc);
          }
        };
        /** The window clipped to X: rows r0 ≤ ty < r1, taps c0 ≤ tx < c1 of each, in order. */
        const clipped = (): void => {
          forUp(f, ty, () => void f.get(r0), () => void f.get(r1), 1, () => {
            f.get(rowAddr).get(c0).get(colStep).op('i32.mul').op('i32.add').set(p);
            f.get(rowAddr).get(c1).get(colStep).op('i32.mul').op('i32.add').set(pEnd);
            f.block((done) => {
              f.loop((next) => {
                f.get(p).get(pEnd).op('i32.ge_s').brIf(done);
                tap();
                f.get(p).get(colStep).op('i32.add').set(p);
                f.br(next);
              });
            });
            f.get(rowAddr).get(rowStep).op('i32.add').set(rowAddr);
          });
        };
        if (window === undefined) clipped();
        else {
          // A window wholly inside X (most of them): its kh·kw taps unrolled, no loop branches.
          const [kh, kw] = window;
          f.get(r0).i32(0).op('i32.eq').get(r1).i32(kh).op('i32.eq').op('i32.and');
          f.get(c0).i32(0).op('i32.eq').op('i32.and').get(c1).i32(kw).op('i32.eq').op('i32.and');
          f.if(
            () => {
              const taps: Local[] = [];
              for (let ty = 0; ty < kh; ty++) {
                f.get(rowAddr).set(p);
                for (let tx = 0; tx < kw; tx++) {
                  if (isMax) {
                    const t = tapLocals[taps.length];
                    f.get(p).mem('f32.load').set(t);
                    taps.push(t);
                  } else {
                    tap();
                  }
                  if (tx < kw - 1) f.get(p).get(colStep).op('i32.add').set(p);
                }
                if (ty < kh - 1) f.get(rowAddr).get(rowStep).op('i32.add').set(rowAddr);
              }
              if (isMax) f.get(maxTree(f, taps, 'scalar')).set(acc);
            },
            clipped,
          );
        }
        f.get(oBase).get(y).get(P.OW).op('i32.mul').get(xo).op('i32.add').i32(4).op('i32.mul').op('i32.add');
        f.get(acc);
        if (!isMax) {
          f.get(rowCount);
          tableEntry(f, P.cols, 2, P.OW, xo);
          f.op('i32.mul').op('f64.convert_i32_s').op('f64.div').op('f32.demote_f64');
        }
        f.mem('f32.store');
        addConst(f, xo, 1);
        f.br(nextColumn);
      }));
    });
  });
  return f;
}

/**
 * Load the kh·kw taps of four adjacent interior windows (first row at rowAddr) into `taps`, in
 * row-major tap order: lane j of tap (ty, tx) is x at rowAddr + ty·rowStep + tx·colStep + j·stride.
 * Stride 2 reads the 7 floats from the first tap to the last and keeps lanes 0, 2 of the first load
 * and 1, 3 of the second, so nothing past the windows is read.
 */
function emitLaneTaps(f: FunctionBuilder, [kh, kw]: readonly [number, number], stride: LaneStride, taps: readonly Local[], at: { rowAddr: Local; p: Local; rowStep: Local; colStep: Local }): void {
  for (let ty = 0; ty < kh; ty++) {
    f.get(at.rowAddr).set(at.p);
    for (let tx = 0; tx < kw; tx++) {
      f.get(at.p).vmem('v128.load');
      if (stride === 2) f.get(at.p).vmem('v128.load', 12).shuffle(STRIDE2_LANES);
      f.set(taps[ty * kw + tx]);
      if (tx < kw - 1) f.get(at.p).get(at.colStep).op('i32.add').set(at.p);
    }
    if (ty < kh - 1) f.get(at.rowAddr).get(at.rowStep).op('i32.add').set(at.rowAddr);
  }
}

/** Windows up to this many taps get an unrolled interior path (a module per window size). */
const MAX_UNROLLED_TAPS = 25;

/**
 * The pooling module, with interior windows of `window` taps unrolled (undefined: loops only), and max
 * in f32x4 lanes for column stride `laneStride`.
 */
export function buildPoolModule(window?: readonly [number, number], laneStride?: LaneStride): Uint8Array {
  const m = new ModuleBuilder().importMemory(MEMORY_IMPORT);
  m.addFunction(poolFunction(true, window, laneStride), 'max');
  m.addFunction(poolFunction(false, window), 'avg');
  return m.encode();
}

/** Three i32 arrays per axis: first tap inside X, one past the last, and the divisor's factor. */
function axisTable(call: Pool2dCall, axis: 0 | 1): Int32Array {
  const [size, out] = axis === 0 ? [call.xDims[2], call.outDims[2]] : [call.xDims[3], call.outDims[3]];
  const taps = axisTaps(out, size, call.kernel[axis], call.strides[axis], call.pads[axis], call.pads[axis + 2], call.dilations[axis]);
  const count = call.countIncludePad ? taps.padded : taps.lo.map((lo, i) => Math.max(0, taps.hi[i] - lo));
  const table = new Int32Array(3 * out);
  table.set(taps.lo, 0);
  table.set(taps.hi, out);
  table.set(count, 2 * out);
  return table;
}

/**
 * [xa, xb): the output columns whose windows lie wholly inside X (first tap 0, one past the last kw).
 * Window starts grow with the column, so these are contiguous; [0, 0) when there are none.
 */
function interiorColumns(cols: Int32Array, OW: number, kw: number): [number, number] {
  const inside = (xo: number): boolean => cols[xo] === 0 && cols[OW + xo] === kw;
  let xa = 0;
  while (xa < OW && !inside(xa)) xa++;
  let xb = xa;
  while (xb < OW && inside(xb)) xb++;
  return [xa, xb];
}

/** Pool in wasm; false for non-float32 operands (the backend runs the CPU routine). */
export function wasmPool2d(ctx: WasmRoutineContext, call: Pool2dCall, inputs: readonly WasmBuffer[], outputs: readonly WasmBuffer[]): boolean {
  const x = inputs[0];
  const out = outputs[0];
  if (x.dtype !== 'float32' || out.dtype !== 'float32') return false;
  const [nb, c, H, W] = call.xDims;
  const [, , OH, OW] = call.outDims;
  const planes = nb * c;
  if (planes * OH * OW === 0) return true;
  const rows = axisTable(call, 0);
  const cols = axisTable(call, 1);
  const heap = ctx.heap;
  const tables = heap.alloc(4 * (rows.length + cols.length));
  try {
    heap.i32(tables, rows.length).set(rows);
    heap.i32(tables + 4 * rows.length, cols.length).set(cols);
    const [kh, kw] = call.kernel;
    const window = kh * kw <= MAX_UNROLLED_TAPS ? call.kernel : undefined;
    const sw = call.strides[1];
    const laneStride = window !== undefined && call.fn === 'max' && (sw === 1 || sw === 2) ? sw : undefined;
    const mod = ctx.module(`pool2d:${window?.join('x') ?? 'loops'}:${laneStride ?? 'scalar'}`, () => buildPoolModule(window, laneStride), POOL_EXPORTS);
    const [xa, xb] = interiorColumns(cols, OW, kw);
    const params = [x.offset, out.offset, H, W, OH, OW, ...call.strides, ...call.dilations, call.pads[0], call.pads[1], tables, tables + 4 * rows.length, xa, xb];
    const taps = planes * OH * OW * kh * kw;
    ctx.pool.run(mod, call.fn === 'max' ? 0 : 1, planes, 1, ctx.params(params), taps >= PARALLEL_MIN_TAPS);
  } finally {
    heap.release(tables);
  }
  return true;
}
