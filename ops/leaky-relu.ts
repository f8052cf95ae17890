// ONNX LeakyRelu (opset 16; 16 only adds bfloat16 to opset 6): Y = X where X >= 0, alpha·X elsewhere.

import { checkFinite, FLOAT_TYPES, expectDType, requireInput } from './check.js';
import { mapBroadcast } from './f64.js';
import { E } from './kernel-ir.js';
import type { OpDef } from './op-def.js';

export interface LeakyReluAttrs {
  /** Slope for negative inputs (ONNX default 0.01). */
  readonly alpha: number;
}

export const LeakyRelu: OpDef<'LeakyRelu'> = {
  type: 'LeakyRelu',
  domain: '',
  version: 16,
  inputs: [{ name: 'X' }],
  outputs: [{ name: 'Y' }],
  attrs: {
    alpha: { kind: 'float', default: 0.01 },
  },

  inferShape(ctx) {
    const x = requireInput(ctx, 0, 'X');
    expectDType(ctx.site, 'X', x, FLOAT_TYPES);
    checkFinite(ctx.site, 'alpha', ctx.attrs.alpha);
    return [{ dtype: x.dtype, shape: x.shape }];
  },

  reference({ inputs, outputTypes, attrs }) {
    // NaN fails `x >= 0` and becomes alpha·NaN = NaN: it propagates, as in onnxruntime.
    return [mapBroadcast(outputTypes[0].dims, [inputs[0]!], (x) => (x >= 0 ? x : attrs.alpha * x))];
  },

  lower(ctx) {
    const x = ctx.inputs[0]!;
    // max(x, 0) + alpha·min(x, 0): exactly one term is non-zero, so each element is x or alpha·x
    // rounded once; NaN propagates through max/min.
    const v = E.operand(0);
    const expr = E.add(E.binary('max', v, E.const(0)), E.mul(E.const(ctx.attrs.alpha), E.binary('min', v, E.const(0))));
    return [ctx.elementwise([x], expr, x.dims, x.dtype)];
  },
};
