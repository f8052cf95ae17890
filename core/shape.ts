// Shapes: dimensions may be symbolic (strings, as in ONNX dim_param) until a session binds them.

import { describeShape, ErrorSite, ShapeError } from './errors.js';

export type Dim = number | string;
export type Shape = readonly Dim[];

export function isConcrete(shape: Shape): shape is readonly number[] {
  return shape.every((d) => typeof d === 'number');
}

export function sizeOf(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** Row-major strides. */
export function stridesOf(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= dims[i];
  }
  return s;
}

/** Map a possibly negative axis into [0, rank); undefined when out of range. */
export function normalizeAxis(axis: number, rank: number): number | undefined {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) return undefined;
  return axis < 0 ? axis + rank : axis;
}

/**
 * Numpy-style multidirectional broadcasting (ONNX Broadcasting.md). Symbolic dims broadcast with 1
 * and with themselves; two different symbols are assumed equal (checked again when bound).
 */
export function broadcastShapes(site: ErrorSite, names: readonly string[], shapes: readonly Shape[]): Dim[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let dim: Dim = 1;
    for (let k = 0; k < shapes.length; k++) {
      const s = shapes[k];
      const j = i - (rank - s.length);
      if (j < 0) continue;
      const d = s[j];
      if (d === 1) continue;
      if (dim === 1) dim = d;
      else if (typeof dim === 'number' && typeof d === 'number' && dim !== d) {
        throw new ShapeError(site, names[k], `broadcastable with ${describeShape(shapes[0])}`, describeShape(s));
      } else if (typeof dim === 'string' && typeof d === 'number') dim = d;
    }
    out.push(dim);
  }
  return out;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
