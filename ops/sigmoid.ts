// ONNX Sigmoid (opset 13): Y = 1 / (1 + exp(−X)), float types.

import { FLOAT_TYPES } from './check.js';
import { defineUnary } from './elementwise.js';
import { E } from './kernel-ir.js';

export const Sigmoid = defineUnary({
  type: 'Sigmoid',
  version: 13,
  dtypes: FLOAT_TYPES,
  expr: (x) => E.unary('sigmoid', x),
  reference: (x) => 1 / (1 + Math.exp(-x)),
});
