// ONNX Max (opset 13): elementwise maximum of 1..N inputs with numpy broadcasting; NaN propagates
// (numpy.maximum semantics). Also exports the variadic builder that ops/min.ts shares.

import { broadcastShapes } from '../core/shape.js';
import { expectDType, expectSameDType, NUMERIC_TYPES, requireInput } from './check.js';
import { mapBroadcast } from './f64.js';
import { E, ScalarExpr } from './kernel-ir.js';
import type { OpDef } from './op-def.js';

type ExtremumOp = 'Max' | 'Min';

/**
 * Max/Min take a variadic input `data_0` (ONNX names the whole list after its first element); errors
 * name input i as `data_<i>`. defineBinary has two fixed ports, so these are written out here.
 */
export function defineExtremum<K extends ExtremumOp>(type: K, fn: 'max' | 'min'): OpDef<K> {
  const pick = fn === 'max' ? Math.max : Math.min;
  const def: OpDef<ExtremumOp> = {
    type,
    domain: '',
    version: 13,
    inputs: [{ name: 'data_0', variadic: true }],
    outputs: [{ name: fn }],
    attrs: {},
    inferShape(ctx) {
      const first = requireInput(ctx, 0, 'data_0');
      expectDType(ctx.site, 'data_0', first, NUMERIC_TYPES);
      const names = ctx.inputs.map((_, i) => `data_${i}`);
      const types = names.map((name, i) => requireInput(ctx, i, name));
      types.forEach((t, i) => expectSameDType(ctx.site, names[i], t, first, 'data_0'));
      return [{ dtype: first.dtype, shape: broadcastShapes(ctx.site, names, types.map((t) => t.shape)) }];
    },
    reference({ inputs, outputTypes }) {
      // Math.max/min return NaN when any argument is NaN, which is the propagation we want.
      return [mapBroadcast(outputTypes[0].dims, inputs.map((t) => t!), (...xs) => pick(...xs))];
    },
    lower(ctx) {
      const operands = ctx.inputs.map((v) => v!);
      let expr: ScalarExpr = E.operand(0);
      for (let i = 1; i < operands.length; i++) expr = E.binary(fn, expr, E.operand(i));
      const out = ctx.outputTypes[0];
      return [ctx.elementwise(operands, expr, out.dims, out.dtype)];
    },
  };
  return def as OpDef<K>;
}

export const Max = defineExtremum('Max', 'max');
