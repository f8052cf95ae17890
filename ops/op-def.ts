// The shape of one op definition (DESIGN.md §2): attribute specs with ONNX names and defaults, shape
// inference (the only validation site), a float64 reference, and a lowering to the kernel IR.

import type { DType } from '../core/dtype.js';
import type { ErrorSite } from '../core/errors.js';
import type { F64Tensor, HostTensor } from '../core/tensor.js';
import type { TensorType } from '../compiler/ir/types.js';
import type { ElementwiseKernel, RoutineCall, ScalarExpr } from './kernel-ir.js';
import type { OpAttrs, OpName } from './op-attrs.js';

export type AttrKind = 'int' | 'float' | 'ints' | 'floats' | 'string' | 'tensor';

type KindOf<T> = [T] extends [number]
  ? 'int' | 'float'
  : [T] extends [readonly number[]]
    ? 'ints' | 'floats'
    : [T] extends [string]
      ? 'string'
      : [T] extends [HostTensor]
        ? 'tensor'
        : never;

export interface AttrSpec<T> {
  readonly kind: KindOf<NonNullable<T>>;
  /** ONNX default; absent means the attribute is optional with no default (type includes undefined) or required. */
  readonly default?: NonNullable<T>;
  readonly required?: boolean;
}

/** One spec per attribute, so a forgotten attribute is a compile error. */
export type AttrSpecs<A> = { readonly [P in keyof A]-?: AttrSpec<A[P]> };

export interface PortSpec {
  readonly name: string;
  readonly optional?: boolean;
  /** Variadic ports absorb all remaining inputs (at least one). */
  readonly variadic?: boolean;
}

export interface InferContext<A> {
  readonly site: ErrorSite;
  readonly attrs: A;
  /** Input types; undefined where an optional input is omitted. */
  readonly inputs: readonly (TensorType | undefined)[];
  /** How many outputs the node declares. */
  readonly outputCount: number;
  /** The value of input i when it is known at compile time (initializer, Constant), else undefined. */
  constant(i: number): HostTensor | undefined;
}

export interface ReferenceContext<A> {
  readonly site: ErrorSite;
  readonly attrs: A;
  readonly inputs: readonly (F64Tensor | undefined)[];
  readonly inputTypes: readonly (TensorType | undefined)[];
  /** Concrete output types, already inferred. */
  readonly outputTypes: readonly ConcreteType[];
}

export interface ConcreteType {
  readonly dtype: DType;
  readonly dims: readonly number[];
}

/** A value during lowering: a buffer handle with concrete dims. */
export interface LValue extends ConcreteType {
  readonly ref: number;
}

export interface LowerContext<A> {
  readonly site: ErrorSite;
  readonly attrs: A;
  readonly inputs: readonly (LValue | undefined)[];
  readonly outputTypes: readonly ConcreteType[];
  constant(i: number): HostTensor | undefined;
  /** Emit an elementwise kernel; operands broadcast against `dims` (numpy rules). */
  elementwise(operands: readonly LValue[], expr: ScalarExpr, dims: readonly number[], dtype: DType): LValue;
  /** Emit a routine call; returns its outputs (see RoutineCall for each routine's outputs). */
  routine(call: RoutineCall, operands: readonly LValue[], outputs: readonly ConcreteType[]): LValue[];
  /** Same data, new dims (same element count): a free reshape. */
  view(v: LValue, dims: readonly number[]): LValue;
  /** A constant buffer. */
  literal(t: HostTensor): LValue;
}

export interface OpDef<K extends OpName> {
  readonly type: K;
  /** '' is ai.onnx; 'ai.kiln' holds kiln's own ops. */
  readonly domain: '' | 'ai.kiln';
  /** The ONNX op version whose semantics this definition implements. */
  readonly version: number;
  readonly inputs: readonly PortSpec[];
  readonly outputs: readonly PortSpec[];
  readonly attrs: AttrSpecs<OpAttrs[K]>;
  inferShape(ctx: InferContext<OpAttrs[K]>): TensorType[];
  reference(ctx: ReferenceContext<OpAttrs[K]>): F64Tensor[];
  lower(ctx: LowerContext<OpAttrs[K]>): LValue[];
}

export type { ElementwiseKernel };
