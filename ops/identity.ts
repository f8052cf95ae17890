// ONNX Identity (opset 13; later versions add sequence/optional inputs and types kiln does not model):
// Y = X for tensors of any type. Lowers to a view of the input buffer, so no kernel runs.

import { DTYPES } from '../core/dtype.js';
import { defineUnary } from './elementwise.js';
import type { OpDef } from './op-def.js';

const base = defineUnary({
  type: 'Identity',
  version: 13,
  dtypes: DTYPES,
  expr: (x) => x,
  reference: (x) => x,
});

export const Identity: OpDef<'Identity'> = {
  ...base,
  lower(ctx) {
    const x = ctx.inputs[0]!;
    return [ctx.view(x, x.dims)];
  },
};
