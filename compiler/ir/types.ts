// The IR: an immutable, SSA-like graph of values and nodes (DESIGN.md §3). A value is produced by at
// most one node; use lists are derived (see uses.ts), never stored.

import type { DType } from '../../core/dtype.js';
import type { Shape } from '../../core/shape.js';
import type { HostTensor } from '../../core/tensor.js';
import type { OpAttrs, OpName } from '../../ops/op-attrs.js';

export interface TensorType {
  readonly dtype: DType;
  readonly shape: Shape;
}

export interface Value {
  readonly id: number;
  readonly name: string;
  readonly type: TensorType;
}

export interface Node<K extends OpName = OpName> {
  readonly id: number;
  readonly name: string;
  readonly op: K;
  readonly attrs: OpAttrs[K];
  /** undefined marks an omitted optional input (ONNX's empty name). */
  readonly inputs: readonly (Value | undefined)[];
  readonly outputs: readonly Value[];
}

/** A node whose `op` discriminates its `attrs`. */
export type AnyNode = { [K in OpName]: Node<K> }[OpName];

export interface Graph {
  readonly name: string;
  /** Runtime inputs, in order. */
  readonly inputs: readonly Value[];
  /** Values with fixed data (weights, constants), keyed by value id. */
  readonly initializers: ReadonlyMap<number, HostTensor>;
  /** Nodes in topological order. */
  readonly nodes: readonly AnyNode[];
  readonly outputs: readonly Value[];
  /** Free-form string metadata (ONNX metadata_props). */
  readonly metadata: ReadonlyMap<string, string>;
}
