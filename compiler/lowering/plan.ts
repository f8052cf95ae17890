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

/**
 * One allocation of a memory plan (compiler/lowering/memory-plan.ts): an arena (one per dtype) backing
 * the plan's intermediate buffers at offsets, or the storage of its own of a plan input, output or
 * constant (those never alias anything).
 */
export interface MemoryAllocation {
  readonly dtype: DType;
  /** Elements. */
  readonly size: number;
  readonly role: 'arena' | 'input' | 'output' | 'constant';
}

export interface MemoryPlan {
  readonly allocations: readonly MemoryAllocation[];
  /**
   * The allocation backing each buffer (indexed by buffer id): the buffer is `size` elements from
   * element `offsetOf[id]` of it. −1 for a buffer that no step, input, output or constant binding
   * uses any more. Buffers whose lifetimes overlap never overlap in memory, except that an in-place
   * step's output takes exactly the storage of the operand it overwrites.
   */
  readonly allocationOf: readonly number[];
  /** Element offset of each buffer in its allocation (0 for pinned and unused buffers). */
  readonly offsetOf: readonly number[];
  /**
   * Indices of the steps that write their output over an operand that dies there: elementwise steps,
   * and routines whose fused epilogue reads that operand (never one of the routine's own operands).
   */
  readonly inPlaceSteps: readonly number[];
  /** Bytes of all allocations: what running the plan allocates. */
  readonly peakBytes: number;
  /** Of those, the arenas and the inputs' and outputs' storage (peakBytes − constantBytes). */
  readonly activationBytes: number;
  /** Of those, the constants' storage (weights, folded parameters: resident for the session's life). */
  readonly constantBytes: number;
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
