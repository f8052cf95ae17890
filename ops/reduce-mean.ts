// ONNX ReduceMean (opset 18): the arithmetic mean over axes (integer types truncate toward zero).
// Axes are an attribute in kiln's IR (see ops/reduce-common.ts).

import { defineReduce } from './reduce-common.js';

export const ReduceMean = defineReduce('ReduceMean', 'mean', 18);
