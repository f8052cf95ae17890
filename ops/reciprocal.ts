// ONNX Reciprocal (opset 13): Y = 1 / X, float types; 1/0 = inf as in IEEE.

import { FLOAT_TYPES } from './check.js';
import { defineUnary } from './elementwise.js';
import { E } from './kernel-ir.js';

export const Reciprocal = defineUnary({
  type: 'Reciprocal',
  version: 13,
  dtypes: FLOAT_TYPES,
  expr: (x) => E.unary('recip', x),
  reference: (x) => 1 / x,
});
