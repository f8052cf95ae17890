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

export interface KernelPlan {
  readonly buffers: readonly BufferSpec[];
  /** Buffers whose contents are fixed before the first step (initializers, literals, folded values). */
  readonly constants: ReadonlyMap<number, HostTensor>;
  readonly inputs: readonly PlanBinding[];
  readonly steps: readonly PlanStep[];
  readonly outputs: readonly PlanBinding[];
}
