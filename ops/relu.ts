// ONNX Relu (opset 14): Y = max(0, X); NaN propagates.

import { FLOAT_TYPES } from './check.js';
import { defineUnary } from './elementwise.js';
import { E } from './kernel-ir.js';

export const Relu = defineUnary({
  type: 'Relu',
  version: 14,
  dtypes: [...FLOAT_TYPES, 'int32', 'int8', 'int64'],
  expr: (x) => E.unary('relu', x),
  reference: (x) => (Number.isNaN(x) ? x : Math.max(0, x)),
});
