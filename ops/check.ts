// Validation helpers for shape inference: each throws a typed error naming the op, node, argument,
// the expectation and what came.

import { DType, isFloatDType } from '../core/dtype.js';
import { ArgumentError, describeShape, DTypeError, ErrorSite, ShapeError } from '../core/errors.js';
import { Dim, normalizeAxis } from '../core/shape.js';
import type { TensorType } from '../compiler/ir/types.js';
import type { InferContext } from './op-def.js';

export const FLOAT_TYPES: readonly DType[] = ['float32', 'float64', 'float16', 'bfloat16'];
export const NUMERIC_TYPES: readonly DType[] = ['float32', 'float64', 'float16', 'bfloat16', 'int32', 'int64', 'int8', 'uint8'];

export function requireInput<A>(ctx: InferContext<A>, index: number, name: string): TensorType {
  const t = ctx.inputs[index];
  if (t === undefined) throw new ArgumentError(ctx.site, name, `input ${index} to be present`, 'nothing');
  return t;
}

export function expectDType(site: ErrorSite, name: string, t: TensorType, allowed: readonly DType[]): void {
  if (!allowed.includes(t.dtype)) throw new DTypeError(site, name, `one of ${allowed.join('|')}`, t.dtype);
}

export function expectFloat(site: ErrorSite, name: string, t: TensorType): void {
  if (!isFloatDType(t.dtype)) throw new DTypeError(site, name, 'a floating-point type', t.dtype);
}

export function expectSameDType(site: ErrorSite, name: string, t: TensorType, like: TensorType, likeName: string): void {
  if (t.dtype !== like.dtype) throw new DTypeError(site, name, `${like.dtype} (same as '${likeName}')`, t.dtype);
}

export function expectRank(site: ErrorSite, name: string, t: TensorType, min: number, max = Infinity): void {
  const r = t.shape.length;
  if (r < min || r > max) {
    const want = max === Infinity ? `rank >= ${min}` : min === max ? `rank ${min}` : `rank ${min}..${max}`;
    throw new ShapeError(site, name, want, `${describeShape(t.shape)} (rank ${r})`);
  }
}

/** Two dims can be equal: equal numbers, or at least one symbolic. */
export function dimsCompatible(a: Dim, b: Dim): boolean {
  return typeof a === 'string' || typeof b === 'string' || a === b;
}

export function expectShape(site: ErrorSite, name: string, t: TensorType, shape: readonly Dim[]): void {
  if (t.shape.length !== shape.length || !t.shape.every((d, i) => dimsCompatible(d, shape[i]))) {
    throw new ShapeError(site, name, describeShape(shape), describeShape(t.shape));
  }
}

export function checkAxis(site: ErrorSite, name: string, axis: number, rank: number): number {
  const a = normalizeAxis(axis, rank);
  if (a === undefined) throw new ArgumentError(site, name, `an integer in [${-rank}, ${rank - 1}]`, String(axis));
  return a;
}

export function checkAxes(site: ErrorSite, name: string, axes: readonly number[], rank: number): number[] {
  const out = axes.map((a) => checkAxis(site, name, a, rank));
  if (new Set(out).size !== out.length) throw new ArgumentError(site, name, 'distinct axes', `[${axes.join(',')}]`);
  return out.sort((x, y) => x - y);
}

export function checkFinite(site: ErrorSite, name: string, v: number, min = -Infinity, max = Infinity): void {
  if (!Number.isFinite(v) || v < min || v > max) {
    throw new ArgumentError(site, name, `a finite number in [${min}, ${max}]`, String(v));
  }
}
