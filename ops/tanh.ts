// ONNX Tanh (opset 13): Y = tanh(X), float types.

import { FLOAT_TYPES } from './check.js';
import { defineUnary } from './elementwise.js';
import { E } from './kernel-ir.js';

export const Tanh = defineUnary({
  type: 'Tanh',
  version: 13,
  dtypes: FLOAT_TYPES,
  expr: (x) => E.unary('tanh', x),
  reference: (x) => Math.tanh(x),
});
