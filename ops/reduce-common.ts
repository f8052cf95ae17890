// Shared definition of the ONNX Reduce* ops (ReduceSum opset 13, ReduceMean/SumSquare/Max opset 18):
// reduce over `axes` (negative allowed), keep reduced axes as 1 when keepdims=1, reduce every axis when
// axes is empty unless noop_with_empty_axes=1. Lowers to the 'reduce' routine.

import { isFloatDType } from '../core/dtype.js';
import { ArgumentError, ErrorSite } from '../core/errors.js';
import { sizeOf } from '../core/shape.js';
import { checkAxes, expectDType, NUMERIC_TYPES, requireInput } from './check.js';
import { f64, forEachReduced } from './f64.js';
import type { ReduceFn } from './kernel-ir.js';
import type { OpAttrs, OpName } from './op-attrs.js';
import type { OpDef } from './op-def.js';

export interface ReduceAttrs {
  /**
   * Axes to reduce; undefined or [] means "all axes" (or none, with noop_with_empty_axes=1).
   * The attribute is kiln's canonical IR form: opset 13 (ReduceSum) and 18 (the others) moved axes
   * to an optional input, and the ONNX importer folds that constant input into this attribute.
   */
  readonly axes: readonly number[] | undefined;
  /** 1 keeps reduced axes as size 1. */
  readonly keepdims: number;
  /** 1 turns empty axes into "reduce nothing" (each element is its own group) instead of "reduce all". */
  readonly noop_with_empty_axes: number;
}

/** Ops whose attributes are exactly ReduceAttrs. */
type ReduceOp = { [K in OpName]: [OpAttrs[K]] extends [ReduceAttrs] ? ([ReduceAttrs] extends [OpAttrs[K]] ? K : never) : never }[OpName];

/** The float64 meaning of each reduction, written out independently of the CPU routine. */
const REFERENCE: { readonly [F in ReduceFn]: { init: number; step(acc: number, x: number): number; finish(acc: number, count: number): number } } = {
  sum: { init: 0, step: (a, x) => a + x, finish: (a) => a },
  mean: { init: 0, step: (a, x) => a + x, finish: (a, n) => a / n },
  sumSquare: { init: 0, step: (a, x) => a + x * x, finish: (a) => a },
  // Math.max/min return NaN when either argument is NaN: NaN propagates (numpy semantics).
  max: { init: -Infinity, step: (a, x) => Math.max(a, x), finish: (a) => a },
  min: { init: Infinity, step: (a, x) => Math.min(a, x), finish: (a) => a },
};

/** Reducing a single element returns it unchanged for these, so an empty axis set is a free view. */
const IDENTITY_ON_ONE: { readonly [F in ReduceFn]: boolean } = { sum: true, mean: true, max: true, min: true, sumSquare: false };

function checkFlag(site: ErrorSite, name: string, v: number): void {
  if (v !== 0 && v !== 1) throw new ArgumentError(site, name, '0 or 1', String(v));
}

/** Sorted non-negative axes the node reduces; [] means none (noop_with_empty_axes=1, or a scalar). */
export function reducedAxes(site: ErrorSite, attrs: ReduceAttrs, rank: number): number[] {
  const axes = attrs.axes ?? [];
  if (axes.length === 0) return attrs.noop_with_empty_axes === 1 ? [] : [...Array(rank).keys()];
  return checkAxes(site, 'axes', axes, rank);
}

export function defineReduce<K extends ReduceOp>(type: K, fn: ReduceFn, version: number): OpDef<K> {
  const ref = REFERENCE[fn];
  const def: OpDef<ReduceOp> = {
    type,
    domain: '',
    version,
    inputs: [{ name: 'data' }],
    outputs: [{ name: 'reduced' }],
    attrs: {
      axes: { kind: 'ints' },
      keepdims: { kind: 'int', default: 1 },
      noop_with_empty_axes: { kind: 'int', default: 0 },
    },

    inferShape(ctx) {
      const { site, attrs } = ctx;
      const x = requireInput(ctx, 0, 'data');
      expectDType(site, 'data', x, NUMERIC_TYPES);
      checkFlag(site, 'keepdims', attrs.keepdims);
      checkFlag(site, 'noop_with_empty_axes', attrs.noop_with_empty_axes);
      const axes = reducedAxes(site, attrs, x.shape.length);
      const shape = attrs.keepdims === 1 ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
      return [{ dtype: x.dtype, shape }];
    },

    reference({ site, attrs, inputs, outputTypes }) {
      const x = inputs[0]!;
      const axes = reducedAxes(site, attrs, x.dims.length);
      const out = outputTypes[0];
      const keptSize = sizeOf(out.dims);
      const acc = new Float64Array(keptSize).fill(ref.init);
      forEachReduced(x.dims, axes, (o, i) => (acc[o] = ref.step(acc[o], x.data[i])));
      const count = sizeOf(axes.map((a) => x.dims[a]));
      // Integer outputs (an integer ReduceMean) truncate toward zero, as integer division does.
      const integer = !isFloatDType(out.dtype);
      return [f64(out.dims, acc.map((a) => (integer ? Math.trunc(ref.finish(a, count)) : ref.finish(a, count))))];
    },

    lower(ctx) {
      const x = ctx.inputs[0]!;
      const out = ctx.outputTypes[0];
      const axes = reducedAxes(ctx.site, ctx.attrs, x.dims.length);
      if (axes.length === 0 && IDENTITY_ON_ONE[fn]) return [ctx.view(x, out.dims)];
      // The routine keeps reduced axes as 1; keepdims=0 is then a free view.
      const keptDims = x.dims.map((d, i) => (axes.includes(i) ? 1 : d));
      const [r] = ctx.routine({ routine: 'reduce', fn, inDims: x.dims, axes }, [x], [{ dtype: out.dtype, dims: keptDims }]);
      return [ctx.view(r, out.dims)];
    },
  };
  return def as OpDef<K>;
}
