// Small graph-building helpers shared by layer lowerings: casts, constants, per-axis reshapes.

import type { DType } from '../../core/dtype.js';
import { fromFloat64 } from '../../core/tensor.js';
import type { GraphBuilder } from '../../compiler/ir/builder.js';
import type { Value } from '../../compiler/ir/types.js';

export function castTo(b: GraphBuilder, v: Value, dtype: DType, name: string): Value {
  return v.type.dtype === dtype ? v : b.op('Cast', [v], { to: dtype }, name);
}

export function scalarConst(b: GraphBuilder, name: string, dtype: DType, value: number): Value {
  return b.initializer(name, fromFloat64(dtype, [], [value]));
}

export function vectorConst(b: GraphBuilder, name: string, dtype: DType, values: readonly number[]): Value {
  return b.initializer(name, fromFloat64(dtype, [values.length], values));
}

/** Reshape a [C] vector to [1, …, C, …, 1] with C at `axis` of a rank-`rank` tensor. */
export function alongAxis(b: GraphBuilder, v: Value, axis: number, rank: number, name: string): Value {
  if (rank === 1) return v;
  const shape = Array.from({ length: rank }, (_, i) => (i === axis ? -1 : 1));
  const target = vectorConst(b, `${name}_shape`, 'int64', shape);
  return b.op('Reshape', [v, target], {}, name);
}
