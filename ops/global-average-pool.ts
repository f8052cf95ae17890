// ONNX GlobalAveragePool (opset 1; https://onnx.ai/onnx/operators/onnx__GlobalAveragePool.html): the mean
// over all spatial axes of an N-C-spatial tensor (any rank >= 3), keeping them as size 1.

import { expectDType, expectRank, FLOAT_TYPES, requireInput } from './check.js';
import { f64 } from './f64.js';
import type { OpDef } from './op-def.js';

/** Axes 2 … rank−1. */
function spatialAxes(rank: number): number[] {
  return Array.from({ length: rank - 2 }, (_, i) => i + 2);
}

export const GlobalAveragePool: OpDef<'GlobalAveragePool'> = {
  type: 'GlobalAveragePool',
  domain: '',
  version: 1,
  inputs: [{ name: 'X' }],
  outputs: [{ name: 'Y' }],
  attrs: {},

  inferShape(ctx) {
    const x = requireInput(ctx, 0, 'X');
    expectDType(ctx.site, 'X', x, FLOAT_TYPES);
    expectRank(ctx.site, 'X', x, 3);
    return [{ dtype: x.dtype, shape: x.shape.map((d, i) => (i < 2 ? d : 1)) }];
  },

  reference({ inputs, outputTypes }) {
    const x = inputs[0]!;
    const y = f64(outputTypes[0].dims);
    const planes = x.dims[0] * x.dims[1];
    const plane = planes === 0 ? 0 : x.data.length / planes;
    for (let p = 0; p < planes; p++) {
      let s = 0;
      for (let i = 0; i < plane; i++) s += x.data[p * plane + i];
      y.data[p] = s / plane;
    }
    return [y];
  },

  lower(ctx) {
    const x = ctx.inputs[0]!;
    const out = ctx.outputTypes[0];
    // The reduce routine keeps reduced axes as size 1, which is exactly Y's shape.
    return ctx.routine({ routine: 'reduce', fn: 'mean', inDims: x.dims, axes: spatialAxes(x.dims.length) }, [x], [{ dtype: out.dtype, dims: out.dims }]);
  },
};
