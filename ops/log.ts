// ONNX Log (opset 13): Y = ln(X), float types; ln(0) = −inf and ln(x<0) = NaN as in IEEE.

import { FLOAT_TYPES } from './check.js';
import { defineUnary } from './elementwise.js';
import { E } from './kernel-ir.js';

export const Log = defineUnary({
  type: 'Log',
  version: 13,
  dtypes: FLOAT_TYPES,
  expr: (x) => E.unary('log', x),
  reference: (x) => Math.log(x),
});
