// ONNX Exp (opset 13): Y = e^X, float types.

import { FLOAT_TYPES } from './check.js';
import { defineUnary } from './elementwise.js';
import { E } from './kernel-ir.js';

export const Exp = defineUnary({
  type: 'Exp',
  version: 13,
  dtypes: FLOAT_TYPES,
  expr: (x) => E.unary('exp', x),
  reference: (x) => Math.exp(x),
});
