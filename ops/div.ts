// ONNX Div (opset 14): C = A / B with numpy broadcasting. Integer division truncates toward zero
// (as onnxruntime's C++ integer division does); integer division by zero is undefined in ONNX.

import { isFloatDType } from '../core/dtype.js';
import { NUMERIC_TYPES } from './check.js';
import { defineBinary } from './elementwise.js';
import { E } from './kernel-ir.js';
import type { OpDef } from './op-def.js';

const base = defineBinary({
  type: 'Div',
  version: 14,
  dtypes: NUMERIC_TYPES,
  // The kernel computes in float64; storing into an integer buffer truncates toward zero, which is
  // exactly integer Div. (A fusion pass that chains past an integer Div must keep that store.)
  expr: E.div,
  reference: (a, b) => a / b,
});

export const Div: OpDef<'Div'> = {
  ...base,
  reference(ctx) {
    const [c] = base.reference(ctx);
    if (isFloatDType(ctx.outputTypes[0].dtype)) return [c];
    return [{ dims: c.dims, data: c.data.map(Math.trunc) }];
  },
};
