// What a wasm routine needs from the backend: the heap, the worker pool, cached module registration,
// the parameter block, scratch memory, and elementwise dispatch (for fused epilogues).

import type { DType } from '../../../core/dtype.js';
import type { ElementwiseKernel } from '../../../ops/kernel-ir.js';
import type { Precision } from '../elementwise.js';
import type { WasmHeap } from '../heap.js';
import type { PoolModule, WorkerPool } from '../pool.js';

/** A backend buffer: `size` elements of `dtype` at byte `offset` of the shared memory. */
export interface WasmBuffer {
  readonly dtype: DType;
  readonly size: number;
  readonly offset: number;
  /** The allocation it belongs to (views share it; it is released when no buffer references it). */
  readonly region: object;
  /** Made by the backend's `constant`: a plan never writes it (Backend.constant). */
  readonly constant?: true;
}

export interface WasmRoutineContext {
  readonly heap: WasmHeap;
  readonly pool: WorkerPool;
  /** The backend's precision: 'float32' lets routines trade float64 exactness for float32 speed. */
  readonly precision: Precision;
  /** Compile (once per process) and instantiate (once per backend) a module built by `build`. */
  module(key: string, build: () => Uint8Array, exports: readonly string[]): PoolModule;
  /** Write i32 parameters into the backend's parameter block and return its address. */
  params(values: readonly number[]): number;
  /** Run an elementwise kernel (wasm or its JavaScript fallback) from operand buffers into `out`. */
  elementwise(kernel: ElementwiseKernel, operands: readonly WasmBuffer[], out: WasmBuffer): void;
  /**
   * An elementwise kernel prepared for a routine to run inside its own module (epilogue-stage.ts),
   * with operand buffers converted as `elementwise` would convert them; undefined when the kernel has
   * no wasm form (it runs as JavaScript).
   */
  embeddedKernel(kernel: ElementwiseKernel, operands: readonly WasmBuffer[]): EmbeddedKernel | undefined;
  /**
   * The byte offset of `bytes` derived from the constant `source` (Backend.constant: never written), made
   * by `fill(offset)` on the first request for this source and key and kept while the source lives;
   * undefined when `source` is not a constant (its contents may change between calls). Routines use it
   * for operands they would otherwise transform on every call (winograd.ts: transformed filters).
   */
  derivedConstant(source: WasmBuffer, key: string, bytes: number, fill: (offset: number) => void): number | undefined;
  /** A buffer over scratch memory (released with `releaseScratch`). */
  scratchBuffer(dtype: DType, size: number): WasmBuffer;
  releaseScratch(b: WasmBuffer): void;
}

/** An elementwise kernel as a routine embeds it: what its function computes, and the buffers it reads. */
export interface EmbeddedKernel {
  /** Identifies the generated function (kernel and precision), for module caching. */
  readonly key: string;
  /** The kernel the function computes (float64 operands split into float32 hi + lo for float32 lanes). */
  readonly kernel: ElementwiseKernel;
  readonly precision: Precision;
  /** Operand buffers of `kernel`, in order (converted split operands included). */
  readonly operands: readonly WasmBuffer[];
}

/** Work below this many elements (or multiply-adds) runs on the main thread: waking workers costs more. */
export const PARALLEL_MIN_WORK = 1 << 16;
