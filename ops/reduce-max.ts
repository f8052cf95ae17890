// ONNX ReduceMax (opset 18): the maximum over axes; NaN propagates.
// Axes are an attribute in kiln's IR (see ops/reduce-common.ts).

import { defineReduce } from './reduce-common.js';

export const ReduceMax = defineReduce('ReduceMax', 'max', 18);
