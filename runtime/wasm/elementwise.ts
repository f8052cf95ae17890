// Compiles an elementwise kernel (ops/kernel-ir.ts) to a WebAssembly SIMD function over the backend's
// shared memory. Layout: the CPU codegen's loop nest (merged axes, stride 0 on broadcast axes), seen
// as rows of the innermost merged axis. Along a row every operand is either contiguous (stride 1:
// vector loads) or constant (stride 0: loaded once per row and splatted), which covers all numpy
// broadcasting — per-channel [C,1,1] operands are splats per row, scalars splats everywhere. The
// outer axes advance by an odometer, so a chunk [start, end) may begin and end anywhere.
//
// Precision (the `precision` option):
//   'float64' (default): f64x2 lanes — every value is widened to float64, the expression computed in
//     float64 and rounded once on store, exactly as the CPU backend's JavaScript does. add, sub, mul,
//     div, sqrt, min, max, floor, ceil are IEEE correctly rounded in both, so results are bit-identical
//     to the CPU backend (NaN payloads aside). 2 lanes per instruction: in cache this is compute-bound,
//     about twice the time of float32 lanes (BN inference on [8,64,56,56]: 0.57 ms against 0.26 ms).
//   'float32': f32x4 lanes, 4 per instruction — every operation rounds to float32 (~1 ulp each), as in
//     onnxruntime and TensorFlow.js. A float64 operand that is added or subtracted (a training-mode BN
//     mean) is split into float32 hi + lo and applied as (x − hi) − lo, so x − mean on data offset by
//     1e4 keeps its precision instead of losing ulp(mean)/2 ≈ 5e-4 (DESIGN.md §6); other float64
//     operands (per-channel factors) round to float32, a relative error of 2^-24. In BN's
//     (x − mean)·a + B the backend folds lo into the shift before code generation (fold-shift.ts).
// Either way, a chunk's tail (fewer elements than a vector) runs the same arithmetic in scalar form,
// so results never depend on where chunks or rows begin.
//
// Unsupported kernels (other dtypes, exp/log/tanh/sigmoid/pow, half rounding) are reported by
// `unsupportedReason` (row-layout.ts), and the backend runs the CPU backend's JavaScript kernel on views instead.

import type { DType } from '../../core/dtype.js';
import type { ElementwiseKernel, ScalarExpr } from '../../ops/kernel-ir.js';
import { FunctionBuilder, type Label, Local, ModuleBuilder, PlainOp, SimdOp, ValType } from './encoder/index.js';
import { addConst, loadParam, minU, whileAtLeast } from './codegen-util.js';
import { operandLoads, rowLayout, type RowLayout, unsupportedReason } from './row-layout.js';
import { splitAddend, splitAddends } from './split-addend.js';

export type Precision = 'float64' | 'float32';

/** The exported entry: run(start, end, tid, params), params → [operand addresses…, output address]. */
export const ELEMENTWISE_EXPORT = 'run';

/** Vector steps per iteration of the body on long runs (fewer loop branches and address updates). */
const UNROLL = 4;

/**
 * Rows taken together when some contiguous operands are the same for every row (a channels-last
 * [N, C] tensor with per-channel [C] operands): each of their vectors is loaded once for ROW_BLOCK
 * rows. Every such operand costs about 0.15 ns per vector (x·a: 0.39 ns, x·a + b: 0.53, BN's
 * (x − mean)·a + b: 0.69, against 0.37 for the NCHW form with splats); blocks of 4 rows measured
 * 0.60 on [256, 1024] and 0.65 against 0.87 on [64, 1024]; 8 rows were slower (1.0: twice the
 * streams in flight).
 */
const ROW_BLOCK = 4;

export const MEMORY_IMPORT = { module: 'env', name: 'memory', minPages: 1, maxPages: 65536, shared: true } as const;

interface Lanes {
  /** Elements per vector step: 4 in both modes (float64 lanes evaluate the expression on two halves). */
  readonly width: number;
  readonly halves: 1 | 2;
  readonly scalar: 'f32' | 'f64';
  readonly vec: 'f32x4' | 'f64x2';
}

const F32: Lanes = { width: 4, halves: 1, scalar: 'f32', vec: 'f32x4' };
const F64: Lanes = { width: 4, halves: 2, scalar: 'f64', vec: 'f64x2' };

const bytesOf = (d: DType): number => (d === 'float64' ? 8 : 4);

/** i8x16.shuffle lanes: the high 8 bytes of a moved to the low half. */
const HIGH_HALF = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];
/** i8x16.shuffle lanes: the low 8 bytes of a, then the low 8 bytes of b. */
const JOIN_LOW = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];

/** Map key of a constant: −0 and +0 are different constants (Map keys would merge them). */
const constKey = (v: number): string => (Object.is(v, -0) ? '-0' : String(v));

/**
 * float32 lanes: the float64 operands added or subtracted directly (a training-mode BN mean). Each is
 * split into float32 hi + lo so that the sum keeps ~48 bits instead of rounding the operand to 24.
 */
function compensated(k: ElementwiseKernel, lanes: Lanes): ReadonlySet<number> {
  if (lanes.scalar !== 'f32') return new Set();
  return splitAddends(k.expr, (j) => k.operands[j].dtype === 'float64');
}

/**
 * The kernel's function run(start, end, tid, params) over output elements [start, end), params →
 * [operand addresses…, output address]: the body of its module, and what a routine embeds to apply
 * its fused epilogue as it stores (routines/epilogue-stage.ts).
 */
export function elementwiseFunction(k: ElementwiseKernel, precision: Precision): FunctionBuilder {
  const reason = unsupportedReason(k);
  if (reason !== undefined) throw new Error(`wasm elementwise: unsupported kernel (${reason})`);
  return new ElementwiseEmitter(k, precision === 'float64' ? F64 : F32).emit();
}

/** The module bytes of one elementwise kernel (exports `run`). */
export function buildElementwiseModule(k: ElementwiseKernel, precision: Precision = 'float64'): Uint8Array {
  const m = new ModuleBuilder().importMemory(MEMORY_IMPORT);
  m.addFunction(elementwiseFunction(k, precision), ELEMENTWISE_EXPORT);
  return m.encode();
}


type ArithName = 'add' | 'sub' | 'mul' | 'div' | 'min' | 'max' | 'neg' | 'abs' | 'sqrt' | 'floor' | 'ceil';

/** How one expression walk emits at a width: f32x4/f64x2 vectors, or scalars of the lane type. */
interface Width {
  operand(j: number): Local;
  /** The float32 remainder of a float64 operand split as hi + lo (see `compensated`), if it is split. */
  lo(j: number): Local | undefined;
  readonly consts: ReadonlyMap<string, Local>;
  apply(name: ArithName): void;
  readonly localType: ValType;
  /** Round to float32 when the lanes are wider (roundF32). */
  round(): void;
  /** Pop x, push max(x, 0): NaN stays NaN and −0 becomes +0, as the CPU kernel's relu. */
  relu(zero: Local): void;
}

/** The row loop's locals that the row-block path reads and advances. */
interface RowBlockLocals {
  readonly pos: Local;
  readonly col: Local;
  readonly po: Local;
  readonly end: Local;
  /** Free for the block: the output pointer at the row's end. */
  readonly rowEnd: Local;
  readonly coord: readonly Local[];
  readonly base: readonly Local[];
  readonly ptr: readonly Local[];
  readonly size: readonly number[];
  readonly outSize: number;
}

class ElementwiseEmitter {
  private readonly f = new FunctionBuilder(['i32', 'i32', 'i32', 'i32']);
  private readonly layout: RowLayout;
  /** Operands read per row as vectors, or as splats (an operand the expression never reads is never loaded). */
  private readonly streamed: boolean[];
  private readonly splatted: boolean[];
  private readonly vecConsts = new Map<string, Local>();
  private readonly scalarConsts = new Map<string, Local>();
  /** Per operand, the loaded vector of each half of the step (one half in float32 mode). */
  private vx: Local[][] = [];
  private half = 0;
  private sx: Local[] = [];
  private splatV: (Local | undefined)[] = [];
  private splatS: (Local | undefined)[] = [];
  /** Per operand split as hi + lo: the lo vector and scalar. */
  private loV: (Local | undefined)[] = [];
  private loS: (Local | undefined)[] = [];
  private t64: Local | undefined;
  private t32: Local | undefined;
  private tv: Local[] = [];

  constructor(private readonly k: ElementwiseKernel, private readonly lanes: Lanes) {
    this.layout = rowLayout(k);
    const loads = operandLoads(k, this.layout);
    this.streamed = loads.map((l) => l === 'vector');
    this.splatted = loads.map((l) => l === 'splat');
  }

  emit(): FunctionBuilder {
    const { f, k, lanes } = this;
    const { dims, strides } = this.layout;
    const n = k.operands.length;
    const q = dims.length;
    const run = dims[q - 1];
    const start = f.param(0);
    const end = f.param(1);
    const params = f.param(3);
    const addr = k.operands.map((_, j) => loadParam(f, params, j));
    const out = loadParam(f, params, n);
    const size = k.operands.map((o) => bytesOf(o.dtype));
    const outSize = bytesOf(k.outDtype);

    // Constants, hoisted out of the loops.
    this.collectConsts(k.expr);
    const pos = f.local('i32');
    const col = f.local('i32');
    const rem = f.local('i32');
    const runLen = f.local('i32');
    const cnt = f.local('i32');
    const po = f.local('i32');
    const t0 = f.local('i32');
    const t1 = f.local('i32');
    const coord = dims.slice(0, q - 1).map(() => f.local('i32'));
    const base = k.operands.map(() => f.local('i32'));
    const ptr = k.operands.map(() => f.local('i32'));
    this.vx = k.operands.map(() => Array.from({ length: lanes.halves }, () => f.local('v128')));
    this.sx = k.operands.map(() => f.local(lanes.scalar));
    this.splatV = k.operands.map((_, j) => (this.splatted[j] ? f.local('v128') : undefined));
    this.splatS = k.operands.map((_, j) => (this.splatted[j] ? f.local(lanes.scalar) : undefined));
    const split = compensated(k, lanes);
    this.loV = k.operands.map((_, j) => (split.has(j) ? f.local('v128') : undefined));
    this.loS = k.operands.map((_, j) => (split.has(j) ? f.local('f32') : undefined));
    this.t64 = f.local('f64');
    this.t32 = f.local('f32');
    this.tv = [0, 1, 2, 3].map(() => f.local('v128'));

    f.block((exit) => {
      f.get(start).get(end).op('i32.ge_u').brIf(exit);
      // row = start / run, col = start % run; coordinates of the row over the outer merged dims.
      f.get(start).i32(run).op('i32.div_u').set(rem);
      f.get(start).get(rem).i32(run).op('i32.mul').op('i32.sub').set(col);
      for (let d = q - 2; d >= 0; d--) {
        f.get(rem).i32(dims[d]).op('i32.rem_u').set(coord[d]);
        f.get(rem).i32(dims[d]).op('i32.div_u').set(rem);
      }
      for (let j = 0; j < n; j++) {
        f.get(addr[j]);
        for (let d = 0; d < q - 1; d++) {
          const s = strides[j][d] * size[j];
          if (s !== 0) f.get(coord[d]).i32(s).op('i32.mul').op('i32.add');
        }
        f.set(base[j]);
      }
      f.get(start).set(pos);
      f.get(out).get(start).i32(outSize).op('i32.mul').op('i32.add').set(po);

      f.loop((rows) => {
        // runLen = min(run − col, end − pos)
        minU(f, () => void f.i32(run).get(col).op('i32.sub'), () => void f.get(end).get(pos).op('i32.sub'), t0, t1);
        f.tee(runLen).set(cnt);
        for (let j = 0; j < n; j++) {
          if (this.streamed[j]) {
            f.get(base[j]).get(col).i32(size[j]).op('i32.mul').op('i32.add').set(ptr[j]);
          } else if (this.splatted[j]) {
            const s = this.splatS[j];
            const v = this.splatV[j];
            if (s === undefined || v === undefined) throw new Error('unreachable: splat locals');
            this.loadScalar(k.operands[j].dtype, base[j], 0, this.loS[j]);
            f.tee(s).simd(`${lanes.vec}.splat`).set(v);
            const lo = this.loS[j];
            if (lo !== undefined) f.get(lo).simd('f32x4.splat').set(this.lo(this.loV, j));
          }
        }
        if (this.rowBlocked()) this.emitRowBlock(rows, exit, { pos, col, po, end, rowEnd: t0, coord, base, ptr, size, outSize });
        // Vector body: UNROLL steps per iteration while the run has that many (addresses advance once
        // per iteration, steps address by memarg offset), then single steps.
        for (const steps of run >= UNROLL * lanes.width ? [UNROLL, 1] : [1]) {
          whileAtLeast(f, cnt, steps * lanes.width, () => {
            for (let u = 0; u < steps; u++) {
              for (let j = 0; j < n; j++) if (this.streamed[j]) this.loadVector(k.operands[j].dtype, ptr[j], this.vx[j], u * lanes.width * size[j], this.loV[j]);
              this.computeAndStore(po, k.outDtype, u * lanes.width * outSize);
            }
            for (let j = 0; j < n; j++) if (this.streamed[j]) addConst(f, ptr[j], steps * lanes.width * size[j]);
            addConst(f, po, steps * lanes.width * outSize);
          });
        }
        // Scalar tail of the run.
        f.block((tailDone) => {
          f.loop((again) => {
            f.get(cnt).op('i32.eqz').brIf(tailDone);
            for (let j = 0; j < n; j++) {
              if (!this.streamed[j]) continue;
              this.loadScalar(k.operands[j].dtype, ptr[j], 0, this.loS[j]);
              f.set(this.sx[j]);
            }
            f.get(po);
            this.scalar(k.expr);
            this.storeScalar(k.outDtype);
            for (let j = 0; j < n; j++) if (this.streamed[j]) addConst(f, ptr[j], size[j]);
            addConst(f, po, outSize);
            f.get(cnt).i32(1).op('i32.sub').set(cnt);
            f.br(again);
          });
        });
        f.get(pos).get(runLen).op('i32.add').tee(pos);
        f.get(end).op('i32.ge_u').brIf(exit);
        f.i32(0).set(col);
        // Odometer over the outer dims (the outermost never wraps inside [start, end)).
        this.advance(q - 2, coord, base, size);
        f.br(rows);
      });
    });
    return f;
  }

  /**
   * Whether ROW_BLOCK rows can run together: some contiguous operand is the same on every row (stride
   * 0 over the row axis), every splatted operand too (its splat then holds for all the rows), there
   * are at least ROW_BLOCK rows, and runs are whole vectors (no scalar tail inside the block).
   */
  private rowBlocked(): boolean {
    const { dims, strides } = this.layout;
    const q = dims.length;
    if (q < 2 || dims[q - 2] < ROW_BLOCK || dims[q - 1] === 0 || dims[q - 1] % this.lanes.width !== 0) return false;
    const invariant = (j: number): boolean => strides[j][q - 2] === 0;
    return this.k.operands.some((_, j) => this.streamed[j] && invariant(j)) && this.k.operands.every((_, j) => !this.splatted[j] || invariant(j));
  }

  /**
   * At the start of a row (col = 0) with ROW_BLOCK whole rows left in the chunk and in this outer
   * block: one vector column at a time (two per loop iteration), the row-invariant operands loaded
   * once and the ROW_BLOCK rows' elements addressed by constant offsets. Each element gets the same
   * vector arithmetic as in the row loop, so results do not change. Then on to the next row (or out,
   * at the chunk's end).
   */
  private emitRowBlock(rows: Label, exit: Label, at: RowBlockLocals): void {
    const { f, k, lanes } = this;
    const { dims, strides } = this.layout;
    const q = dims.length;
    const run = dims[q - 1];
    const n = k.operands.length;
    f.get(at.col).op('i32.eqz');
    f.get(at.end).get(at.pos).op('i32.sub').i32(ROW_BLOCK * run).op('i32.ge_u').op('i32.and');
    f.get(at.coord[q - 2]).i32(dims[q - 2] - ROW_BLOCK).op('i32.le_u').op('i32.and');
    f.if(() => {
      // Whole rows of whole vectors: a do-while up to the row's end, two columns per iteration where
      // the row has an even count, so the loop's pointer steps and exit test (and V8's stack check)
      // come once per 2·ROW_BLOCK vectors.
      const columns = run % (2 * lanes.width) === 0 ? 2 : 1;
      f.get(at.po).i32(run * at.outSize).op('i32.add').set(at.rowEnd);
      f.loop((again) => {
        for (let u = 0; u < columns; u++) {
          for (let j = 0; j < n; j++) {
            if (this.streamed[j] && strides[j][q - 2] === 0) this.loadVector(k.operands[j].dtype, at.ptr[j], this.vx[j], u * lanes.width * at.size[j], this.loV[j]);
          }
          for (let r = 0; r < ROW_BLOCK; r++) {
            for (let j = 0; j < n; j++) {
              const rowBytes = strides[j][q - 2] * at.size[j];
              if (this.streamed[j] && rowBytes !== 0) this.loadVector(k.operands[j].dtype, at.ptr[j], this.vx[j], r * rowBytes + u * lanes.width * at.size[j], this.loV[j]);
            }
            this.computeAndStore(at.po, k.outDtype, r * run * at.outSize + u * lanes.width * at.outSize);
          }
        }
        for (let j = 0; j < n; j++) if (this.streamed[j]) addConst(f, at.ptr[j], columns * lanes.width * at.size[j]);
        addConst(f, at.po, columns * lanes.width * at.outSize);
        f.get(at.po).get(at.rowEnd).op('i32.ne').brIf(again);
      });
      addConst(f, at.po, (ROW_BLOCK - 1) * run * at.outSize);
      f.get(at.pos).i32(ROW_BLOCK * run).op('i32.add').tee(at.pos);
      f.get(at.end).op('i32.ge_u').brIf(exit);
      for (let r = 0; r < ROW_BLOCK; r++) this.advance(q - 2, at.coord, at.base, at.size);
      f.br(rows);
    });
  }

  /** coord[d]++ with carry into outer dims, moving every operand's row base along. */
  private advance(d: number, coord: readonly Local[], base: readonly Local[], size: readonly number[]): void {
    if (d < 0) return;
    const { f } = this;
    const { dims, strides } = this.layout;
    addConst(f, coord[d], 1);
    base.forEach((b, j) => addConst(f, b, strides[j][d] * size[j]));
    if (d === 0) return;
    f.get(coord[d]).i32(dims[d]).op('i32.eq');
    f.if(() => {
      f.i32(0).set(coord[d]);
      base.forEach((b, j) => addConst(f, b, -strides[j][d] * size[j] * dims[d]));
      this.advance(d - 1, coord, base, size);
    });
  }

  private collectConsts(e: ScalarExpr): void {
    const { f, lanes } = this;
    switch (e.kind) {
      case 'operand': return;
      case 'const': {
        const key = constKey(e.value);
        if (this.vecConsts.has(key)) return;
        const v = f.local('v128');
        const s = f.local(lanes.scalar);
        if (lanes.scalar === 'f32') f.f32(e.value).tee(s).simd('f32x4.splat').set(v);
        else f.f64(e.value).tee(s).simd('f64x2.splat').set(v);
        this.vecConsts.set(key, v);
        this.scalarConsts.set(key, s);
        return;
      }
      case 'unary':
        if (e.fn === 'rsqrt' || e.fn === 'recip') this.collectConsts({ kind: 'const', value: 1 });
        if (e.fn === 'relu') this.collectConsts({ kind: 'const', value: 0 });
        this.collectConsts(e.arg);
        return;
      case 'binary':
        this.collectConsts(e.lhs);
        this.collectConsts(e.rhs);
    }
  }

  private constLocal(map: ReadonlyMap<string, Local>, value: number): Local {
    const l = map.get(constKey(value));
    if (l === undefined) throw new Error(`unreachable: constant ${value} not hoisted`);
    return l;
  }

  /**
   * Push the element at ptr + offset as the lane scalar type. With `lo`, a float64 element is split:
   * the pushed value is hi = f32(x) and `lo` receives f32(x − hi).
   */
  private loadScalar(dtype: DType, ptr: Local, offset: number, lo?: Local): void {
    const { f, lanes } = this;
    f.get(ptr);
    if (dtype === 'float32') {
      f.mem('f32.load', offset);
      if (lanes.scalar === 'f64') f.op('f64.promote_f32');
    } else {
      f.mem('f64.load', offset);
      if (lanes.scalar === 'f32') {
        if (lo === undefined) {
          f.op('f32.demote_f64');
          return;
        }
        const x = this.lo([this.t64], 0);
        const hi = this.lo([this.t32], 0);
        f.tee(x).op('f32.demote_f64').set(hi);
        f.get(x).get(hi).op('f64.promote_f32').op('f64.sub').op('f32.demote_f64').set(lo);
        f.get(hi);
      }
    }
  }

  private lo(locals: readonly (Local | undefined)[], j: number): Local {
    const l = locals[j];
    if (l === undefined) throw new Error('unreachable: missing local');
    return l;
  }

  /** Load one step (4 elements) of an operand into its half vectors. */
  private loadVector(dtype: DType, ptr: Local, into: readonly Local[], at: number, lo: Local | undefined): void {
    const { f, lanes } = this;
    if (lanes.vec === 'f64x2') {
      if (dtype === 'float32') {
        // One load of four float32, widened to two f64x2 halves.
        const t = into[1];
        f.get(ptr).vmem('v128.load', at).tee(t).simd('f64x2.promote_low_f32x4').set(into[0]);
        f.get(t).get(t).shuffle(HIGH_HALF).simd('f64x2.promote_low_f32x4').set(into[1]);
      } else {
        f.get(ptr).vmem('v128.load', at).set(into[0]);
        f.get(ptr).vmem('v128.load', at + 16).set(into[1]);
      }
      return;
    }
    if (dtype === 'float32') {
      f.get(ptr).vmem('v128.load', at);
    } else if (lo !== undefined) {
      // Four float64 values split as hi + lo: hi = f32(x) per pair, lo = f32(x − hi), halves joined.
      const [a, b, ha, hb] = this.tv;
      f.get(ptr).vmem('v128.load', at).tee(a).simd('f32x4.demote_f64x2_zero').set(ha);
      f.get(ptr).vmem('v128.load', at + 16).tee(b).simd('f32x4.demote_f64x2_zero').set(hb);
      f.get(a).get(ha).simd('f64x2.promote_low_f32x4').simd('f64x2.sub').simd('f32x4.demote_f64x2_zero');
      f.get(b).get(hb).simd('f64x2.promote_low_f32x4').simd('f64x2.sub').simd('f32x4.demote_f64x2_zero');
      f.shuffle(JOIN_LOW).set(lo);
      f.get(ha).get(hb).shuffle(JOIN_LOW);
    } else {
      // Four float64 values: demote each pair and join the low halves.
      f.get(ptr).vmem('v128.load', at).simd('f32x4.demote_f64x2_zero');
      f.get(ptr).vmem('v128.load', at + 16).simd('f32x4.demote_f64x2_zero');
      f.shuffle(JOIN_LOW);
    }
    f.set(into[0]);
  }

  /** Evaluate the expression over one step (each half) and store the 4 results at `po` + `at`. */
  private computeAndStore(po: Local, dtype: DType, at: number): void {
    const { f, lanes } = this;
    if (lanes.vec === 'f64x2') {
      const results = [0, 1].map((h) => {
        this.half = h;
        this.vector(this.k.expr);
        if (dtype === 'float32') f.simd('f32x4.demote_f64x2_zero');
        const r = f.local('v128');
        f.set(r);
        return r;
      });
      this.half = 0;
      if (dtype === 'float32') {
        f.get(po).get(results[0]).get(results[1]).shuffle(JOIN_LOW).vmem('v128.store', at);
      } else {
        f.get(po).get(results[0]).vmem('v128.store', at);
        f.get(po).get(results[1]).vmem('v128.store', at + 16);
      }
      return;
    }
    f.get(po);
    this.vector(this.k.expr);
    if (dtype === 'float32') {
      f.vmem('v128.store', at);
      return;
    }
    // Four float32 lanes to four float64 values.
    const v = f.local('v128');
    f.set(v).get(v).simd('f64x2.promote_low_f32x4').vmem('v128.store', at);
    f.get(po).get(v).get(v).shuffle(HIGH_HALF).simd('f64x2.promote_low_f32x4').vmem('v128.store', at + 16);
  }

  /** Stack: [address, scalar] → stores one element. */
  private storeScalar(dtype: DType): void {
    const { f, lanes } = this;
    if (dtype === 'float32') {
      if (lanes.scalar === 'f64') f.op('f32.demote_f64');
      f.mem('f32.store');
    } else {
      if (lanes.scalar === 'f32') f.op('f64.promote_f32');
      f.mem('f64.store');
    }
  }

  private operandVector(j: number): Local {
    return this.streamed[j] ? this.vx[j][this.half] : (this.splatV[j] ?? this.vx[j][0]);
  }

  private operandScalar(j: number): Local {
    return this.streamed[j] ? this.sx[j] : (this.splatS[j] ?? this.sx[j]);
  }

  /** Push the expression's value as a vector. */
  private vector(e: ScalarExpr): void {
    const { f, lanes } = this;
    this.walk(e, {
      operand: (j) => this.operandVector(j),
      lo: (j) => this.loV[j],
      consts: this.vecConsts,
      apply: (name) => void f.simd(`${lanes.vec}.${name}` as SimdOp),
      localType: 'v128',
      round: () => {
        if (lanes.vec === 'f64x2') f.simd('f32x4.demote_f64x2_zero').simd('f64x2.promote_low_f32x4');
      },
      // pmax(x, 0) = x < 0 ? 0 : x keeps a NaN and −0; adding +0 turns −0 into +0 and changes nothing
      // else (IEEE 754 §6.3). Two instructions on x64, where V8 lowers f32x4.max (NaN and signed-zero
      // rules) to eight: relu is the epilogue of most convolutions.
      relu: (zero) => void f.get(zero).simd(`${lanes.vec}.pmax`).get(zero).simd(`${lanes.vec}.add`),
    });
  }

  /** Push the expression's value as a scalar of the lane type (the same arithmetic as `vector`). */
  private scalar(e: ScalarExpr): void {
    const { f, lanes } = this;
    this.walk(e, {
      operand: (j) => this.operandScalar(j),
      lo: (j) => this.loS[j],
      consts: this.scalarConsts,
      apply: (name) => void f.op(`${lanes.scalar}.${name}` as PlainOp),
      localType: lanes.scalar,
      round: () => {
        if (lanes.scalar === 'f64') f.op('f32.demote_f64').op('f64.promote_f32');
      },
      relu: (zero) => void f.get(zero).op(`${lanes.scalar}.max`),
    });
  }

  /** One expression walk for both widths, so vector body and scalar tail compute the same thing. */
  private walk(e: ScalarExpr, w: Width): void {
    const { f } = this;
    switch (e.kind) {
      case 'operand':
        f.get(w.operand(e.index));
        return;
      case 'const':
        f.get(this.constLocal(w.consts, e.value));
        return;
      case 'binary': {
        if (e.fn === 'pow') throw new Error('unreachable: pow');
        // v ± (hi + lo) as (v ± hi) ± lo: v − hi is exact when v is near the operand (Sterbenz), so the
        // difference keeps the float64 operand's precision (the BN case x − mean on offset data).
        const split = splitAddend(e, (j) => w.lo(j) !== undefined);
        const lo = split === undefined ? undefined : w.lo(split.operand);
        if (split !== undefined && lo !== undefined) {
          this.walk(split.other, w);
          f.get(w.operand(split.operand));
          w.apply(e.fn);
          f.get(lo);
          w.apply(e.fn);
          return;
        }
        this.walk(e.lhs, w);
        this.walk(e.rhs, w);
        w.apply(e.fn);
        return;
      }
      case 'unary':
        switch (e.fn) {
          case 'rsqrt':
            f.get(this.constLocal(w.consts, 1));
            this.walk(e.arg, w);
            w.apply('sqrt');
            w.apply('div');
            return;
          case 'recip':
            f.get(this.constLocal(w.consts, 1));
            this.walk(e.arg, w);
            w.apply('div');
            return;
          case 'relu':
            this.walk(e.arg, w);
            w.relu(this.constLocal(w.consts, 0));
            return;
          case 'square': {
            const t = f.local(w.localType);
            this.walk(e.arg, w);
            f.tee(t).get(t);
            w.apply('mul');
            return;
          }
          case 'roundF32':
            this.walk(e.arg, w);
            w.round();
            return;
          case 'neg':
          case 'abs':
          case 'sqrt':
          case 'floor':
          case 'ceil':
            this.walk(e.arg, w);
            w.apply(e.fn);
            return;
          default:
            throw new Error(`unreachable: unary ${e.fn}`);
        }
    }
  }
}
