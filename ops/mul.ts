// ONNX Mul (opset 14): C = A · B with numpy broadcasting.

import { NUMERIC_TYPES } from './check.js';
import { defineBinary } from './elementwise.js';
import { E } from './kernel-ir.js';

export const Mul = defineBinary({
  type: 'Mul',
  version: 14,
  dtypes: NUMERIC_TYPES,
  expr: E.mul,
  reference: (a, b) => a * b,
});
