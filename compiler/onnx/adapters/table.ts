// The adapter table: one entry per IR op (an exhaustive mapped type, like ops/table.ts, so a new op
// without an adapter fails to compile). Ops whose ONNX form never changed use the default adapter.

import type { OpName } from '../../../ops/op-attrs.js';
import { axisAdapter } from './axis.js';
import { batchNormalizationAdapter } from './batch-normalization.js';
import { binaryAdapter } from './binary.js';
import { castAdapter } from './cast.js';
import { clipAdapter } from './clip.js';
import { constantAdapter, constantOfShapeAdapter } from './constant.js';
import { defaultAdapter } from './default.js';
import { dropoutAdapter } from './dropout.js';
import { hardSwishAdapter } from './hard-swish.js';
import { momentsAdapter } from './moments.js';
import { padAdapter } from './pad.js';
import { averagePoolAdapter, gemmAdapter, maxPoolAdapter } from './pool.js';
import { reduceAdapter } from './reduce.js';
import { reshapeAdapter } from './reshape.js';
import { sliceAdapter } from './slice.js';
import { softmaxAdapter } from './softmax.js';
import { squeezeAdapter, unsqueezeAdapter } from './squeeze.js';
import type { AdapterTable, OpAdapter } from './types.js';
import { variadicAdapter } from './variadic.js';

export const ADAPTERS: AdapterTable = {
  BatchNormalization: batchNormalizationAdapter,
  Moments: momentsAdapter,
  Add: binaryAdapter('Add'),
  Sub: binaryAdapter('Sub'),
  Mul: binaryAdapter('Mul'),
  Div: binaryAdapter('Div'),
  Pow: binaryAdapter('Pow'),
  Max: variadicAdapter('Max'),
  Min: variadicAdapter('Min'),
  Relu: defaultAdapter('Relu'),
  Sigmoid: defaultAdapter('Sigmoid'),
  Tanh: defaultAdapter('Tanh'),
  Exp: defaultAdapter('Exp'),
  Log: defaultAdapter('Log'),
  Sqrt: defaultAdapter('Sqrt'),
  Reciprocal: defaultAdapter('Reciprocal'),
  Neg: defaultAdapter('Neg'),
  Abs: defaultAdapter('Abs'),
  Identity: defaultAdapter('Identity'),
  Cast: castAdapter,
  ReduceMean: reduceAdapter('ReduceMean'),
  ReduceSum: reduceAdapter('ReduceSum'),
  ReduceSumSquare: reduceAdapter('ReduceSumSquare'),
  ReduceMax: reduceAdapter('ReduceMax'),
  Reshape: reshapeAdapter,
  Transpose: defaultAdapter('Transpose'),
  Flatten: axisAdapter('Flatten'),
  MatMul: defaultAdapter('MatMul'),
  Gemm: gemmAdapter,
  Conv: defaultAdapter('Conv'),
  MaxPool: maxPoolAdapter,
  AveragePool: averagePoolAdapter,
  GlobalAveragePool: defaultAdapter('GlobalAveragePool'),
  Softmax: softmaxAdapter,
  ConvTranspose: defaultAdapter('ConvTranspose'),
  LRN: defaultAdapter('LRN'),
  Pad: padAdapter,
  Concat: axisAdapter('Concat'),
  Slice: sliceAdapter,
  Gather: axisAdapter('Gather'),
  Squeeze: squeezeAdapter,
  Unsqueeze: unsqueezeAdapter,
  Shape: defaultAdapter('Shape', { attrSince: { start: 15, end: 15 } }),
  Constant: constantAdapter,
  ConstantOfShape: constantOfShapeAdapter,
  Clip: clipAdapter,
  LeakyRelu: defaultAdapter('LeakyRelu'),
  HardSigmoid: defaultAdapter('HardSigmoid'),
  HardSwish: hardSwishAdapter,
  Sum: variadicAdapter('Sum'),
  Dropout: dropoutAdapter,
};

export function adapterFor<K extends OpName>(op: K): OpAdapter<K> {
  return ADAPTERS[op] as OpAdapter<K>;
}
