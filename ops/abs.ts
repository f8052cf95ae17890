// ONNX Abs (opset 13): Y = |X|, every numeric type.

import { NUMERIC_TYPES } from './check.js';
import { defineUnary } from './elementwise.js';
import { E } from './kernel-ir.js';

export const Abs = defineUnary({
  type: 'Abs',
  version: 13,
  dtypes: NUMERIC_TYPES,
  expr: (x) => E.unary('abs', x),
  reference: (x) => Math.abs(x),
});
