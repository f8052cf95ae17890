// ONNX Sub (opset 14): C = A − B with numpy broadcasting.

import { NUMERIC_TYPES } from './check.js';
import { defineBinary } from './elementwise.js';
import { E } from './kernel-ir.js';

export const Sub = defineBinary({
  type: 'Sub',
  version: 14,
  dtypes: NUMERIC_TYPES,
  expr: E.sub,
  reference: (a, b) => a - b,
});
