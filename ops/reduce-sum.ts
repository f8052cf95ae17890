// ONNX ReduceSum (opset 13): the sum over axes.
// Axes are an attribute in kiln's IR (see ops/reduce-common.ts).

import { defineReduce } from './reduce-common.js';

export const ReduceSum = defineReduce('ReduceSum', 'sum', 13);
