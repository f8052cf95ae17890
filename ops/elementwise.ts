// Builders for elementwise op definitions: a unary or binary op is its scalar formula (kernel IR), its
// float64 formula (reference) and the dtypes it accepts. Binary ops broadcast numpy-style (ONNX
// Broadcasting.md); both inputs must share one dtype (ONNX type constraint T).

import { broadcastShapes } from '../core/shape.js';
import type { DType } from '../core/dtype.js';
import { expectDType, expectSameDType, requireInput } from './check.js';
import { mapBroadcast } from './f64.js';
import { E, ScalarExpr } from './kernel-ir.js';
import type { NoAttrs, OpAttrs, OpName } from './op-attrs.js';
import type { OpDef } from './op-def.js';

/** Ops whose attribute type is NoAttrs. */
type NoAttrOp = { [K in OpName]: [NoAttrs] extends [OpAttrs[K]] ? K : never }[OpName];

export interface BinarySpec<K extends NoAttrOp> {
  readonly type: K;
  readonly version: number;
  readonly dtypes: readonly DType[];
  readonly expr: (a: ScalarExpr, b: ScalarExpr) => ScalarExpr;
  readonly reference: (a: number, b: number) => number;
}

export function defineBinary<K extends NoAttrOp>(spec: BinarySpec<K>): OpDef<K> {
  const def: OpDef<NoAttrOp> = {
    type: spec.type,
    domain: '',
    version: spec.version,
    inputs: [{ name: 'A' }, { name: 'B' }],
    outputs: [{ name: 'C' }],
    attrs: {},
    inferShape(ctx) {
      const a = requireInput(ctx, 0, 'A');
      const b = requireInput(ctx, 1, 'B');
      expectDType(ctx.site, 'A', a, spec.dtypes);
      expectSameDType(ctx.site, 'B', b, a, 'A');
      return [{ dtype: a.dtype, shape: broadcastShapes(ctx.site, ['A', 'B'], [a.shape, b.shape]) }];
    },
    reference({ inputs, outputTypes }) {
      return [mapBroadcast(outputTypes[0].dims, [inputs[0]!, inputs[1]!], spec.reference)];
    },
    lower(ctx) {
      const [a, b] = ctx.inputs as NonNullable<(typeof ctx.inputs)[number]>[];
      const out = ctx.outputTypes[0];
      return [ctx.elementwise([a, b], spec.expr(E.operand(0), E.operand(1)), out.dims, out.dtype)];
    },
  };
  return def as OpDef<K>;
}

export interface UnarySpec<K extends NoAttrOp> {
  readonly type: K;
  readonly version: number;
  readonly dtypes: readonly DType[];
  readonly expr: (x: ScalarExpr) => ScalarExpr;
  readonly reference: (x: number) => number;
}

export function defineUnary<K extends NoAttrOp>(spec: UnarySpec<K>): OpDef<K> {
  const def: OpDef<NoAttrOp> = {
    type: spec.type,
    domain: '',
    version: spec.version,
    inputs: [{ name: 'X' }],
    outputs: [{ name: 'Y' }],
    attrs: {},
    inferShape(ctx) {
      const x = requireInput(ctx, 0, 'X');
      expectDType(ctx.site, 'X', x, spec.dtypes);
      return [{ dtype: x.dtype, shape: x.shape }];
    },
    reference({ inputs, outputTypes }) {
      return [mapBroadcast(outputTypes[0].dims, [inputs[0]!], spec.reference)];
    },
    lower(ctx) {
      const x = ctx.inputs[0]!;
      return [ctx.elementwise([x], spec.expr(E.operand(0)), x.dims, x.dtype)];
    },
  };
  return def as OpDef<K>;
}
