// ONNX Sqrt (opset 13): Y = √X, float types; negative X gives NaN.

import { FLOAT_TYPES } from './check.js';
import { defineUnary } from './elementwise.js';
import { E } from './kernel-ir.js';

export const Sqrt = defineUnary({
  type: 'Sqrt',
  version: 13,
  dtypes: FLOAT_TYPES,
  expr: (x) => E.unary('sqrt', x),
  reference: (x) => Math.sqrt(x),
});
