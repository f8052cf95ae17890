// ONNX ReduceSumSquare (opset 18): the sum of squares over axes. With noop_with_empty_axes=1 and no
// axes it returns X² (each element reduced alone), as the ONNX reference implementation does.
// Axes are an attribute in kiln's IR (see ops/reduce-common.ts).

import { defineReduce } from './reduce-common.js';

export const ReduceSumSquare = defineReduce('ReduceSumSquare', 'sumSquare', 18);
