// The kernel plan: buffers, constant data and an ordered list of kernel steps. It is what a backend
// executes; it holds no ONNX op names (only the node names, for error messages and inspection).

import type { DType } from '../../core/dtype.js';
import type { HostTensor } from '../../core/tensor.js';
import type { ElementwiseKernel, RoutineCall } from '../../ops/kernel-ir.js';

export interface BufferSpec {
  readonly id: number;
  readonly dtype: DType;
  readonly size: number;
}

export type PlanStep =
  | { readonly kind: 'elementwise'; readonly node: string; readonly kernel: ElementwiseKernel; readonly operands: readonly number[]; readonly output: number }
  | { readonly kind: 'routine'; readonly node: string; readonly call: RoutineCall; readonly operands: readonly number[]; readonly outputs: readonly number[] };

export interface PlanBinding {
  readonly name: string;
  readonly buffer: number;
  readonly dtype: DType;
  readonly dims: readonly number[];
}

/** One allocation that backs plan buffers whose lifetimes never overlap (compiler/lowering/memory-plan.ts). */
export interface StorageSlot {
  readonly dtype: DType;
  /** Elements: the largest buffer it backs. */
  readonly size: number;
}

export interface MemoryPlan {
  readonly slots: readonly StorageSlot[];
  /**
   * The slot backing each buffer (indexed by buffer id); each buffer is the first `size` elements of
   * its slot. −1 for a buffer that no step, input, output or constant binding uses any more.
   */
  readonly slotOf: readonly number[];
  /** Indices of the elementwise steps that write their output over an operand that dies there. */
  readonly inPlaceSteps: readonly number[];
  /** Bytes of all slots: what running the plan allocates. */
  readonly peakBytes: number;
  /** Bytes of the same buffers with one allocation each. */
  readonly unsharedBytes: number;
}

export interface KernelPlan {
  readonly buffers: readonly BufferSpec[];
  /** Buffers whose contents are fixed before the first step (initializers, literals, folded values). */
  readonly constants: ReadonlyMap<number, HostTensor>;
  readonly inputs: readonly PlanBinding[];
  readonly steps: readonly PlanStep[];
  readonly outputs: readonly PlanBinding[];
  /** Storage sharing for these steps; absent means one allocation per buffer. */
  readonly memory?: MemoryPlan | undefined;
}
