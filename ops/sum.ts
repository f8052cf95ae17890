// ONNX Sum (opset 13): elementwise sum of 1..N inputs with numpy broadcasting; float types only
// (type constraint T: float16, float, double, bfloat16).

import { broadcastShapes } from '../core/shape.js';
import { expectDType, expectSameDType, FLOAT_TYPES, requireInput } from './check.js';
import { mapBroadcast } from './f64.js';
import { E, ScalarExpr } from './kernel-ir.js';
import type { OpDef } from './op-def.js';

export const Sum: OpDef<'Sum'> = {
  type: 'Sum',
  domain: '',
  version: 13,
  // ONNX names the variadic input after its first element; errors name input i `data_<i>`.
  inputs: [{ name: 'data_0', variadic: true }],
  outputs: [{ name: 'sum' }],
  attrs: {},

  inferShape(ctx) {
    const first = requireInput(ctx, 0, 'data_0');
    expectDType(ctx.site, 'data_0', first, FLOAT_TYPES);
    const names = ctx.inputs.map((_, i) => `data_${i}`);
    const types = names.map((name, i) => requireInput(ctx, i, name));
    types.forEach((t, i) => expectSameDType(ctx.site, names[i], t, first, 'data_0'));
    return [{ dtype: first.dtype, shape: broadcastShapes(ctx.site, names, types.map((t) => t.shape)) }];
  },

  reference({ inputs, outputTypes }) {
    // Left to right, the order the kernel adds in.
    return [mapBroadcast(outputTypes[0].dims, inputs.map((t) => t!), (...xs) => xs.reduce((a, b) => a + b))];
  },

  lower(ctx) {
    const operands = ctx.inputs.map((v) => v!);
    let expr: ScalarExpr = E.operand(0);
    for (let i = 1; i < operands.length; i++) expr = E.add(expr, E.operand(i));
    const out = ctx.outputTypes[0];
    return [ctx.elementwise(operands, expr, out.dims, out.dtype)];
  },
};
