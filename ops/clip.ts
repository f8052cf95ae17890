// ONNX Clip (opset 13 semantics, min/max as attributes): Y = min(max, max(X, min)) elementwise.
// Opsets 11+ take min/max as optional scalar inputs; kiln's canonical IR keeps them as attributes and
// the ONNX importer folds those constant inputs in (opset 6 had them as attributes already).

import { ArgumentError } from '../core/errors.js';
import { expectDType, NUMERIC_TYPES, requireInput } from './check.js';
import { mapBroadcast } from './f64.js';
import { E } from './kernel-ir.js';
import type { OpDef } from './op-def.js';

export interface ClipAttrs {
  /** Lower bound; ONNX defaults to numeric_limits::lowest(), i.e. no bound. */
  readonly min: number;
  /** Upper bound; ONNX defaults to numeric_limits::max(), i.e. no bound. */
  readonly max: number;
}

/**
 * The spec's formula, Min(max, Max(input, min)): when min > max every element becomes `max` (the ONNX
 * Clip text says so explicitly). Math.max/min return NaN for a NaN argument, so NaN inputs propagate.
 */
export function clipValue(x: number, min: number, max: number): number {
  return Math.min(max, Math.max(x, min));
}

export const Clip: OpDef<'Clip'> = {
  type: 'Clip',
  domain: '',
  version: 13,
  inputs: [{ name: 'input' }],
  outputs: [{ name: 'output' }],
  attrs: {
    min: { kind: 'float', default: -Infinity },
    max: { kind: 'float', default: Infinity },
  },

  inferShape(ctx) {
    const x = requireInput(ctx, 0, 'input');
    expectDType(ctx.site, 'input', x, NUMERIC_TYPES);
    for (const name of ['min', 'max'] as const) {
      const v = ctx.attrs[name];
      if (typeof v !== 'number' || Number.isNaN(v)) throw new ArgumentError(ctx.site, name, 'a number (±Infinity for no bound)', String(v));
    }
    return [{ dtype: x.dtype, shape: x.shape }];
  },

  reference({ inputs, outputTypes, attrs }) {
    return [mapBroadcast(outputTypes[0].dims, [inputs[0]!], (x) => clipValue(x, attrs.min, attrs.max))];
  },

  lower(ctx) {
    const x = ctx.inputs[0]!;
    const { min, max } = ctx.attrs;
    // Unbounded sides are left out of the kernel (max(x, -inf) = x, NaN included).
    let expr = E.operand(0);
    if (min !== -Infinity) expr = E.binary('max', expr, E.const(min));
    if (max !== Infinity) expr = E.binary('min', E.const(max), expr);
    return [ctx.elementwise([x], expr, x.dims, x.dtype)];
  },
};
