// ONNX Add (opset 14): C = A + B with numpy broadcasting.

import { NUMERIC_TYPES } from './check.js';
import { defineBinary } from './elementwise.js';
import { E } from './kernel-ir.js';

export const Add = defineBinary({
  type: 'Add',
  version: 14,
  dtypes: NUMERIC_TYPES,
  expr: E.add,
  reference: (a, b) => a + b,
});
