// The backend interface (DESIGN.md §5): allocate (and view part of an allocation), write, read,
// compile an elementwise kernel, dispatch it, and run a routine. Backends see kernels and routines
// only, never ONNX op names.

import type { DType, Storage } from '../core/dtype.js';
import type { ElementwiseKernel, RoutineCall } from '../ops/kernel-ir.js';

export interface Backend<Buf = unknown, Compiled = unknown> {
  readonly name: string;
  allocate(dtype: DType, size: number): Buf;
  /**
   * `size` elements of `buf` from element `offset` on, sharing its storage: the memory plan backs
   * the plan's buffers with one arena per dtype, each buffer at its planned offset.
   */
  view(buf: Buf, offset: number, size: number): Buf;
  write(buf: Buf, data: Storage): void;
  /**
   * A buffer holding a plan constant. Plans never write constants, so a backend whose memory is the
   * host's may share `data` instead of copying it (the cpu backend does: weights are not held twice).
   * Graphs are immutable, so their initializer arrays must not be changed after a session runs them.
   */
  constant(dtype: DType, data: Storage): Buf;
  /** A copy of the buffer's contents. */
  read(buf: Buf): Storage;
  /**
   * The buffer's own storage as a typed array (no copy): what is written through it is what the next
   * kernel reads, and it shows what the last kernel wrote (IoBinding's resident inputs and outputs).
   */
  storage(buf: Buf): Storage;
  compile(kernel: ElementwiseKernel): Compiled;
  dispatch(kernel: Compiled, operands: readonly Buf[], output: Buf): void;
  runRoutine(call: RoutineCall, operands: readonly Buf[], outputs: readonly Buf[]): void;
  /**
   * Once per plan step, when a session binds it to buffers (constants written), before any run: work
   * that depends only on the call and its constants (a routine's transformed weights) done ahead, as
   * onnxruntime prepacks weights while creating a session. Optional; results never depend on it.
   */
  prepare?(call: RoutineCall, operands: readonly Buf[], outputs: readonly Buf[]): void;
}
