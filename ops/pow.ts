// ONNX Pow (opset 15): Z = X ^ Y with numpy broadcasting.
// Deviation: ONNX lets the exponent Y have its own type (T1 vs T2, integer or float); kiln keeps it
// simple and requires X and Y to share one float dtype. An importer casts a differently typed Y first.

import { FLOAT_TYPES } from './check.js';
import { defineBinary } from './elementwise.js';
import { E } from './kernel-ir.js';

export const Pow = defineBinary({
  type: 'Pow',
  version: 15,
  dtypes: FLOAT_TYPES,
  expr: (a, b) => E.binary('pow', a, b),
  // Math.pow follows C pow for the cases ONNX inherits from numpy (0^0 = 1, negative base with a
  // non-integer exponent = NaN).
  reference: (a, b) => Math.pow(a, b),
});
