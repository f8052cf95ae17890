// The WebAssembly SIMD backend (GraphSession option backend: 'wasm'). Buffers live in one shared
// WebAssembly.Memory; elementwise kernels compile to wasm SIMD functions (runtime/wasm/elementwise.ts);
// moments, matmul, conv2d and pool2d run as wasm routines; everything else — other dtypes, transcendental
// functions, the remaining routines — runs the CPU backend's JavaScript on typed-array views of the
// same memory, so no data is copied between the two. Large kernels are split into fixed chunks and
// run on a worker pool that shares the memory (runtime/wasm/pool.ts); `threads: 1` runs inline.

import { availableParallelism } from 'node:os';
import { ELEMENT_BYTES, type DType, type Storage } from '../../core/dtype.js';
import { BackendUnavailableError } from '../../core/errors.js';
import { sizeOf } from '../../core/shape.js';
import type { ElementwiseKernel, RoutineCall } from '../../ops/kernel-ir.js';
import type { Backend } from '../backend.js';
import { CpuBackend, CpuBuffer } from '../cpu/cpu-backend.js';
import { compileElementwise, ElementwiseFn } from '../cpu/elementwise-codegen.js';
import { wasmSupport } from './availability.js';
import { buildElementwiseModule, ELEMENTWISE_EXPORT, Precision } from './elementwise.js';
import { unsupportedReason } from './row-layout.js';
import { HeapOptions, WasmHeap } from './heap.js';
import { PoolModule, WorkerPool } from './pool.js';
import { buildConvertModule, CONVERT_EXPORTS, foldExport, splitExport, type TermKind } from './convert-module.js';
import { type FoldTerm, foldSplitShift, type ShiftFold } from './fold-shift.js';
import { SplitOperand, splitFloat64Operands } from './split-operands.js';
import type { WasmBuffer, WasmRoutineContext } from './routines/context.js';
import { PARALLEL_MIN_WORK } from './routines/context.js';
import { prepareWasmConv2d, wasmConv2d } from './routines/conv2d.js';
import { wasmMatmul } from './routines/matmul.js';
import { wasmMoments } from './routines/moments.js';
import { wasmPool2d } from './routines/pool2d.js';
import { webAssembly, WasmModule } from './wasm-api.js';

export type { WasmBuffer } from './routines/context.js';
export type { Precision } from './elementwise.js';

export interface WasmBackendOptions {
  /** Threads running kernels, the calling thread included (default os.availableParallelism()). */
  readonly threads?: number;
  /** Elementwise arithmetic: 'float64' (default, bit-identical to the CPU backend) or 'float32'. */
  readonly precision?: Precision;
  readonly heap?: HeapOptions;
  /**
   * Keep operands that routines derive from constant weights, made once (while a session binds its
   * plan: Backend.prepare, else on the first call), instead of deriving them on every call (default
   * true): the Winograd convolutions' transformed filters, 16/9 (F(2×2)) or 4 (F(4×4)) times their
   * weights' bytes (ResNet-18: 84 MiB beside 45 MiB of weights) for 5% of its batch-1 time. false keeps
   * only the weights (derivedBytes stays 0).
   */
  readonly cacheTransformedWeights?: boolean;
}

/** Float64 operands converted once per dispatch into these float32 buffers (split-operands.ts). */
interface ConvertedOperands {
  readonly splits: readonly SplitOperand[];
  readonly hi: readonly WasmBuffer[];
  readonly lo: readonly (WasmBuffer | undefined)[];
}

/** A float64 mean folded into the shift (fold-shift.ts): hi and C written once per dispatch. */
interface FoldedShift {
  readonly fold: ShiftFold;
  readonly hi: WasmBuffer;
  readonly c: WasmBuffer;
  /** The convert module's fold for the factor's and addend's kinds (convert-module.ts). */
  readonly fn: number;
  /** The constant factor and addend, as float64 at offsets 0 and 8, where they are constants. */
  readonly scalars: WasmBuffer;
}

/** A compiled elementwise kernel: a wasm function, or the CPU backend's JavaScript (with the reason). */

export type WasmKernel =
  | {
      readonly kind: 'wasm';
      readonly kernel: ElementwiseKernel;
      /** The kernel the module computes (a mean folded, float64 operands split for float32 lanes) and its lanes. */
      readonly built: ElementwiseKernel;
      readonly precision: Precision;
      readonly key: string;
      readonly module: PoolModule;
      readonly folded?: FoldedShift;
      readonly converted?: ConvertedOperands;
    }
  | { readonly kind: 'js'; readonly kernel: ElementwiseKernel; readonly fn: ElementwiseFn; readonly reason: string };

/** How work ran (for tests and inspection). */
export interface WasmBackendStats {
  wasmKernels: number;
  jsKernels: number;
  wasmRoutines: number;
  cpuRoutines: number;
}

/** Elements per elementwise chunk (a multiple of every vector width). */
export const ELEMENTWISE_CHUNK = 32768;
const PARAMS_BYTES = 4096;

/** Compiled modules are independent of any memory: shared by every backend in the process. */
const compiledModules = new Map<string, WasmModule>();

function compileModule(key: string, build: () => Uint8Array): WasmModule {
  let m = compiledModules.get(key);
  if (m === undefined) {
    const api = webAssembly();
    if (api === undefined) throw new BackendUnavailableError("backend 'wasm' is not available: this runtime has no WebAssembly");
    m = new api.Module(build());
    compiledModules.set(key, m);
  }
  return m;
}

function kernelKey(k: ElementwiseKernel, precision: Precision): string {
  return JSON.stringify([precision, k.operands, k.outDims, k.outDtype, k.expr]);
}

/** A backend that becomes unreachable without dispose() still stops its workers. */
const unreleased = new FinalizationRegistry<WorkerPool>((pool) => pool.dispose());

/** One allocation; buffers (and views of them) reference it, and its memory is released when none does. */
class Region {
  constructor(readonly offset: number) {}
}

export class WasmBackend implements Backend<WasmBuffer, WasmKernel> {
  readonly name = 'wasm';
  readonly heap: WasmHeap;
  readonly pool: WorkerPool;
  readonly precision: Precision;
  readonly stats: WasmBackendStats = { wasmKernels: 0, jsKernels: 0, wasmRoutines: 0, cpuRoutines: 0 };
  private readonly cpu = new CpuBackend();
  private readonly instances = new Map<WasmModule, PoolModule>();
  private readonly compiled = new WeakMap<ElementwiseKernel, WasmKernel>();
  private readonly paramsAt: number;
  /**
   * Buffers derived from constants (derivedConstant), per allocation of the constant and key: an entry
   * goes when the constant's allocation becomes unreachable, and its buffer's memory with it.
   */
  private readonly derived = new WeakMap<object, Map<string, WasmBuffer>>();
  private readonly cacheDerived: boolean;
  private readonly derivedRegions: FinalizationRegistry<number>;
  private derivedHeld = 0;
  /** The constant buffers each conversion target was last written from (convertedAlready). */
  private readonly convertedFrom = new WeakMap<WasmBuffer, readonly WeakRef<WasmBuffer>[]>();
  /**
   * The params area's words, one view for the backend's life (a shared memory's buffers are never
   * detached, so it stays valid as the memory grows): a new view per call cost about 0.3 µs.
   */
  private readonly paramWords: Int32Array;
  private readonly regions: FinalizationRegistry<number>;
  /** Typed-array views handed out by `storage`, each holding its allocation's region. */
  private readonly viewRegions = new WeakMap<object, object>();
  private readonly ctx: WasmRoutineContext;
  private disposed = false;

  constructor(options: WasmBackendOptions = {}) {
    const support = wasmSupport();
    if (!support.ok) throw new BackendUnavailableError(`backend 'wasm' is not available: ${support.reason}`);
    const threads = options.threads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`backend 'wasm': threads must be a positive integer, got ${threads}`);
    this.precision = options.precision ?? 'float64';
    if (this.precision !== 'float64' && this.precision !== 'float32') {
      throw new RangeError(`backend 'wasm': precision must be 'float64' or 'float32', got '${String(this.precision)}'`);
    }
    this.heap = new WasmHeap(options.heap);
    this.pool = new WorkerPool(this.heap.memory, threads);
    unreleased.register(this, this.pool, this);
    this.paramsAt = this.heap.alloc(PARAMS_BYTES);
    this.paramWords = this.heap.i32(this.paramsAt, PARAMS_BYTES / 4);
    const heap = this.heap;
    this.regions = new FinalizationRegistry<number>((offset) => heap.release(offset));
    this.cacheDerived = options.cacheTransformedWeights ?? true;
    this.derivedRegions = new FinalizationRegistry<number>((bytes) => void (this.derivedHeld -= bytes));
    this.ctx = {
      heap: this.heap,
      pool: this.pool,
      precision: this.precision,
      module: (key, build, exports) => this.instance(compileModule(key, build), exports),
      params: (values) => this.params(values),
      elementwise: (kernel, operands, out) => this.dispatch(this.compile(kernel), operands, out),
      embeddedKernel: (kernel, operands) => {
        const c = this.compile(kernel);
        if (c.kind === 'js') return undefined;
        return { key: c.key, kernel: c.built, precision: c.precision, operands: this.builtOperands(c, operands) };
      },
      derivedConstant: (source, key, bytes, fill) => this.derivedConstant(source, key, bytes, fill),
      scratchBuffer: (dtype, size) => ({ dtype, size, offset: this.heap.alloc(size * ELEMENT_BYTES[dtype]), region: this }),
      releaseScratch: (b) => this.heap.release(b.offset),
    };
  }

  get threads(): number {
    return this.pool.threads;
  }

  allocate(dtype: DType, size: number): WasmBuffer {
    const offset = this.heap.alloc(size * ELEMENT_BYTES[dtype]);
    const region = new Region(offset);
    this.regions.register(region, offset);
    return { dtype, size, offset, region };
  }

  /** A view keeps the allocation's region referenced, so the allocation lives while any view of it does. */
  view(buf: WasmBuffer, offset: number, size: number): WasmBuffer {
    if (offset < 0 || offset + size > buf.size) throw new RangeError(`view of elements [${offset}, ${offset + size}) of a ${buf.size}-element buffer`);
    if (offset === 0 && size === buf.size) return buf;
    return { dtype: buf.dtype, size, offset: buf.offset + offset * ELEMENT_BYTES[buf.dtype], region: buf.region };
  }

  write(buf: WasmBuffer, data: Storage): void {
    if (data.length !== buf.size) throw new RangeError(`write of ${data.length} elements into a ${buf.size}-element buffer`);
    this.cpu.write(this.cpuView(buf), data);
  }

  read(buf: WasmBuffer): Storage {
    return this.cpu.read(this.cpuView(buf));
  }

  /**
   * Bytes of the operands kept from constants (derivedConstant) that are still held: weights in another
   * form, like the constants themselves outside the memory plan's activations.
   */
  get derivedBytes(): number {
    return this.derivedHeld;
  }

  /** WasmRoutineContext.derivedConstant: made once per constant (its allocation, offset and size) and key. */
  private derivedConstant(source: WasmBuffer, key: string, bytes: number, fill: (offset: number) => void): number | undefined {
    if (source.constant !== true || !this.cacheDerived) return undefined;
    let byKey = this.derived.get(source.region);
    if (byKey === undefined) this.derived.set(source.region, (byKey = new Map()));
    const full = `${source.offset}:${source.size}:${bytes}:${key}`;
    let buf = byKey.get(full);
    if (buf === undefined) {
      buf = this.allocate('float32', Math.ceil(bytes / 4));
      fill(buf.offset);
      byKey.set(full, buf);
      this.derivedHeld += bytes;
      this.derivedRegions.register(buf.region, bytes);
    }
    return buf.offset;
  }

  /** Constants are copied into the shared memory, where the kernels and the workers can read them. */
  constant(dtype: DType, data: Storage): WasmBuffer {
    const buf = this.allocate(dtype, data.length);
    this.write(buf, data);
    return { ...buf, constant: true };
  }

  /**
   * A view of the shared memory: it stays valid when the memory grows (a shared memory never
   * detaches), and it keeps its allocation alive (the region is released only when no buffer and no
   * view handed out here references it).
   */
  storage(buf: WasmBuffer): Storage {
    const view = this.heap.view(buf.dtype, buf.offset, buf.size);
    this.viewRegions.set(view, buf.region);
    return view;
  }

  compile(kernel: ElementwiseKernel): WasmKernel {
    let c = this.compiled.get(kernel);
    if (c !== undefined) return c;
    const reason = unsupportedReason(kernel);
    if (reason !== undefined) {
      c = { kind: 'js', kernel, fn: compileElementwise(kernel), reason };
    } else {
      // float32 lanes are for float32 results: a float64 result (a per-channel coefficient, a float64
      // model) is always computed in float64 lanes.
      const precision = kernel.outDtype === 'float64' ? 'float64' : this.precision;
      const fold = precision === 'float32' ? foldSplitShift(kernel) : undefined;
      const folded = fold && this.foldBuffers(kernel, fold);
      const split = precision === 'float32' ? splitFloat64Operands(fold?.kernel ?? kernel) : undefined;
      const built = split?.kernel ?? fold?.kernel ?? kernel;
      const key = kernelKey(built, precision);
      const module = this.instance(compileModule(key, () => buildElementwiseModule(built, precision)), [ELEMENTWISE_EXPORT]);
      const converted = split && {
        splits: split.splits,
        hi: split.splits.map((s) => this.allocate('float32', s.size)),
        lo: split.splits.map((s) => (s.lo === undefined ? undefined : this.allocate('float32', s.size))),
      };
      c = { kind: 'wasm', kernel, built, precision, key, module, folded, converted };
    }
    this.compiled.set(kernel, c);
    return c;
  }

  dispatch(kernel: WasmKernel, operands: readonly WasmBuffer[], output: WasmBuffer): void {
    this.live();
    if (kernel.kind === 'js') {
      this.stats.jsKernels++;
      kernel.fn(operands.map((o) => this.heap.view(o.dtype, o.offset, o.size)), this.heap.view(output.dtype, output.offset, output.size));
      return;
    }
    this.stats.wasmKernels++;
    const n = sizeOf(kernel.kernel.outDims);
    const inputs = this.builtOperands(kernel, operands);
    const params = this.params([...inputs.map((o) => o.offset), output.offset]);
    this.pool.run(kernel.module, 0, n, ELEMENTWISE_CHUNK, params, n >= PARALLEL_MIN_WORK);
  }

  runRoutine(call: RoutineCall, operands: readonly WasmBuffer[], outputs: readonly WasmBuffer[]): void {
    this.live();
    if (this.runWasmRoutine(call, operands, outputs)) {
      this.stats.wasmRoutines++;
      return;
    }
    this.stats.cpuRoutines++;
    this.cpu.runRoutine(call, operands.map((o) => this.cpuView(o)), outputs.map((o) => this.cpuView(o)));
  }

  /** Backend.prepare: a Winograd conv2d keeps its constant filters transformed (conv2d.ts). */
  prepare(call: RoutineCall, operands: readonly WasmBuffer[], outputs: readonly WasmBuffer[]): void {
    this.live();
    if (call.routine === 'conv2d') prepareWasmConv2d(this.ctx, call, operands, outputs);
  }

  /** Terminate the worker pool; the backend cannot run kernels afterwards. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    unreleased.unregister(this);
    this.pool.dispose();
  }

  private runWasmRoutine(call: RoutineCall, operands: readonly WasmBuffer[], outputs: readonly WasmBuffer[]): boolean {
    switch (call.routine) {
      case 'moments': return wasmMoments(this.ctx, call, operands, outputs);
      case 'matmul': return wasmMatmul(this.ctx, call, operands, outputs);
      case 'conv2d': return wasmConv2d(this.ctx, call, operands, outputs);
      case 'pool2d': return wasmPool2d(this.ctx, call, operands, outputs);
      default: return false;
    }
  }

  /**
   * The operands of the kernel the module computes (`built`), from the original kernel's: a folded
   * mean's hi and C written, then float64 vectors converted. Dispatches and routines' embedded
   * epilogues alike.
   */
  private builtOperands(kernel: Extract<WasmKernel, { kind: 'wasm' }>, operands: readonly WasmBuffer[]): readonly WasmBuffer[] {
    const withShift = kernel.folded === undefined ? operands : this.foldShift(kernel.folded, operands);
    return kernel.converted === undefined ? withShift : this.convert(kernel.converted, withShift);
  }

  /** hi and C of a folded mean, the constants among its factor and addend, and the fold that writes them. */
  private foldBuffers(kernel: ElementwiseKernel, fold: ShiftFold): FoldedShift {
    const kind = (t: FoldTerm): TermKind => ('value' in t ? 'scalar' : kernel.operands[t.operand].dtype === 'float64' ? 'float64' : 'float32');
    const scalars = this.allocate('float64', 2);
    this.heap.f64(scalars.offset, 2).set(['value' in fold.factor ? fold.factor.value : 0, 'value' in fold.addend ? fold.addend.value : 0]);
    return { fold, hi: this.allocate('float32', fold.size), c: this.allocate('float32', fold.size), fn: foldExport(kind(fold.factor), kind(fold.addend)), scalars };
  }

  /**
   * Whether `target` already holds the conversion of `sources`: they are constants (never written:
   * Backend.constant) and the very buffers it was last converted from. BN in inference form folds
   * constant means and factors, so its conversion (about 2 µs on 1024 channels, 7 % of the kernel)
   * runs once instead of every run. Otherwise remembers them (weakly) when they are constants.
   */
  private convertedAlready(target: WasmBuffer, sources: readonly WasmBuffer[]): boolean {
    const last = this.convertedFrom.get(target);
    if (last !== undefined && last.length === sources.length && last.every((r, i) => r.deref() === sources[i])) return true;
    if (sources.every((b) => b.constant === true)) this.convertedFrom.set(target, sources.map((b) => new WeakRef(b)));
    else this.convertedFrom.delete(target);
    return false;
  }

  /** Writes hi and C of a folded mean and returns the operand list the folded kernel reads. */
  private foldShift({ fold, hi, c, fn, scalars }: FoldedShift, operands: readonly WasmBuffer[]): WasmBuffer[] {
    const term = (t: FoldTerm, slot: number): number => ('value' in t ? scalars.offset + 8 * slot : operands[t.operand].offset);
    const sources = [fold.mean, ...[fold.factor, fold.addend].flatMap((t) => ('operand' in t ? [t.operand] : []))].map((j) => operands[j]);
    if (!this.convertedAlready(hi, sources)) {
      this.pool.run(this.convertModule(), fn, fold.size, fold.size, this.params([operands[fold.mean].offset, term(fold.factor, 0), term(fold.addend, 1), hi.offset, c.offset]), false);
    }
    const out = [...operands, c];
    out[fold.mean] = hi;
    return out;
  }

  /** Writes the converted float32 operands and returns the operand list the rewritten kernel reads. */
  private convert(c: ConvertedOperands, operands: readonly WasmBuffer[]): WasmBuffer[] {
    const out = [...operands];
    const los: WasmBuffer[] = [];
    c.splits.forEach((s, i) => {
      const src = operands[s.operand];
      const lo = c.lo[i];
      if (!this.convertedAlready(c.hi[i], [src])) {
        this.pool.run(this.convertModule(), splitExport(lo !== undefined), s.size, s.size, this.params([src.offset, c.hi[i].offset, lo?.offset ?? 0]), false);
      }
      out[s.operand] = c.hi[i];
      if (lo !== undefined) los.push(lo);
    });
    return [...out, ...los];
  }

  private convertModule(): PoolModule {
    return this.instance(compileModule('convert', buildConvertModule), CONVERT_EXPORTS);
  }

  private cpuView(b: WasmBuffer): CpuBuffer {
    return { dtype: b.dtype, data: this.heap.view(b.dtype, b.offset, b.size) };
  }

  private instance(module: WasmModule, exports: readonly string[]): PoolModule {
    let p = this.instances.get(module);
    if (p === undefined) {
      p = this.pool.register(module, exports);
      this.instances.set(module, p);
    }
    return p;
  }

  private params(values: readonly number[]): number {
    if (values.length * 4 > PARAMS_BYTES) throw new RangeError(`wasm backend: ${values.length} kernel parameters (at most ${PARAMS_BYTES / 4})`);
    this.paramWords.set(values);
    return this.paramsAt;
  }

  private live(): void {
    if (this.disposed) throw new BackendUnavailableError("backend 'wasm' has been disposed (its session was released)");
  }
}
