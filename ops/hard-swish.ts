// ONNX HardSwish (opset 14): Y = X · HardSigmoid(X) with alpha = 1/6, beta = 0.5, i.e.
// X · max(0, min(1, X/6 + 0.5)). The spec fixes alpha and beta: no attributes.

import { FLOAT_TYPES } from './check.js';
import { defineUnary } from './elementwise.js';
import { E } from './kernel-ir.js';
import { hardClamp01 } from './hard-sigmoid.js';

export const HardSwish = defineUnary({
  type: 'HardSwish',
  version: 14,
  dtypes: FLOAT_TYPES,
  expr: (x) => E.mul(x, hardClamp01(E.add(E.div(x, E.const(6)), E.const(0.5)))),
  reference: (x) => x * Math.max(0, Math.min(1, x / 6 + 0.5)),
});
