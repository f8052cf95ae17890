// ONNX Neg (opset 13): Y = −X, float and signed integer types.

import { FLOAT_TYPES } from './check.js';
import { defineUnary } from './elementwise.js';
import { E } from './kernel-ir.js';

export const Neg = defineUnary({
  type: 'Neg',
  version: 13,
  dtypes: [...FLOAT_TYPES, 'int32', 'int64', 'int8'],
  expr: (x) => E.unary('neg', x),
  reference: (x) => -x,
});
