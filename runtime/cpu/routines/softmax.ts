// Softmax over one axis (ONNX opset 13): exp(x − max) / Σ exp(x − max), float64 accumulation.

import { sizeOf } from '../../../core/shape.js';
import type { RoutineImpl } from './types.js';

export const softmax: RoutineImpl<'softmax'> = (call, inputs, outputs) => {
  const x = inputs[0];
  const out = outputs[0];
  const { inDims, axis } = call;
  const len = inDims[axis];
  const inner = sizeOf(inDims.slice(axis + 1));
  const outer = sizeOf(inDims.slice(0, axis));
  const e = new Float64Array(len);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const base = o * len * inner + j;
      let max = -Infinity;
      for (let k = 0; k < len; k++) max = Math.max(max, x[base + k * inner]);
      let sum = 0;
      for (let k = 0; k < len; k++) {
        e[k] = Math.exp(x[base + k * inner] - max);
        sum += e[k];
      }
      for (let k = 0; k < len; k++) out[base + k * inner] = e[k] / sum;
    }
  }
};
