// ONNX HardSigmoid (opset 6; 22 only adds types): Y = max(0, min(1, alpha·X + beta)).

import { checkFinite, FLOAT_TYPES, expectDType, requireInput } from './check.js';
import { mapBroadcast } from './f64.js';
import { E, ScalarExpr } from './kernel-ir.js';
import type { OpDef } from './op-def.js';

export interface HardSigmoidAttrs {
  /** Slope (ONNX default 0.2). */
  readonly alpha: number;
  /** Offset (ONNX default 0.5). */
  readonly beta: number;
}

/** max(0, min(1, t)) with NaN propagating (Math.max/min and the kernel's max/min both do). */
export function hardClamp01(t: ScalarExpr): ScalarExpr {
  return E.binary('max', E.const(0), E.binary('min', E.const(1), t));
}

export const HardSigmoid: OpDef<'HardSigmoid'> = {
  type: 'HardSigmoid',
  domain: '',
  version: 6,
  inputs: [{ name: 'X' }],
  outputs: [{ name: 'Y' }],
  attrs: {
    alpha: { kind: 'float', default: 0.2 },
    beta: { kind: 'float', default: 0.5 },
  },

  inferShape(ctx) {
    const x = requireInput(ctx, 0, 'X');
    expectDType(ctx.site, 'X', x, FLOAT_TYPES);
    checkFinite(ctx.site, 'alpha', ctx.attrs.alpha);
    checkFinite(ctx.site, 'beta', ctx.attrs.beta);
    return [{ dtype: x.dtype, shape: x.shape }];
  },

  reference({ inputs, outputTypes, attrs }) {
    return [mapBroadcast(outputTypes[0].dims, [inputs[0]!], (x) => Math.max(0, Math.min(1, attrs.alpha * x + attrs.beta)))];
  },

  lower(ctx) {
    const x = ctx.inputs[0]!;
    const t = E.add(E.mul(E.const(ctx.attrs.alpha), E.operand(0)), E.const(ctx.attrs.beta));
    return [ctx.elementwise([x], hardClamp01(t), x.dims, x.dtype)];
  },
};
