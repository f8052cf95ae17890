// The op table: every OpName maps to its one definition. The mapped type makes a missing entry a
// compile error (DESIGN.md §2).

import type { OpDef } from './op-def.js';
import type { OpName } from './op-attrs.js';
import { BatchNormalization } from './batch-normalization.js';
import { Moments } from './moments.js';
import { Add } from './add.js';
import { Sub } from './sub.js';
import { Mul } from './mul.js';
import { Div } from './div.js';
import { Pow } from './pow.js';
import { Max } from './max.js';
import { Min } from './min.js';
import { Relu } from './relu.js';
import { Sigmoid } from './sigmoid.js';
import { Tanh } from './tanh.js';
import { Exp } from './exp.js';
import { Log } from './log.js';
import { Sqrt } from './sqrt.js';
import { Reciprocal } from './reciprocal.js';
import { Neg } from './neg.js';
import { Abs } from './abs.js';
import { Identity } from './identity.js';
import { Cast } from './cast.js';
import { ReduceMean } from './reduce-mean.js';
import { ReduceSum } from './reduce-sum.js';
import { ReduceSumSquare } from './reduce-sum-square.js';
import { ReduceMax } from './reduce-max.js';
import { Reshape } from './reshape.js';
import { Transpose } from './transpose.js';
import { Flatten } from './flatten.js';
import { MatMul } from './mat-mul.js';
import { Gemm } from './gemm.js';
import { Conv } from './conv.js';
import { MaxPool } from './max-pool.js';
import { AveragePool } from './average-pool.js';
import { GlobalAveragePool } from './global-average-pool.js';
import { Softmax } from './softmax.js';
import { ConvTranspose } from './conv-transpose.js';
import { LRN } from './lrn.js';
import { Pad } from './pad.js';
import { Concat } from './concat.js';
import { Slice } from './slice.js';
import { Gather } from './gather.js';
import { Squeeze } from './squeeze.js';
import { Unsqueeze } from './unsqueeze.js';
import { Shape } from './shape.js';
import { Constant } from './constant.js';
import { ConstantOfShape } from './constant-of-shape.js';
import { Clip } from './clip.js';
import { LeakyRelu } from './leaky-relu.js';
import { HardSigmoid } from './hard-sigmoid.js';
import { HardSwish } from './hard-swish.js';
import { Sum } from './sum.js';
import { Dropout } from './dropout.js';

export type OpTable = { readonly [K in OpName]: OpDef<K> };

export const OPS: OpTable = {
  BatchNormalization,
  Moments,
  Add,
  Sub,
  Mul,
  Div,
  Pow,
  Max,
  Min,
  Relu,
  Sigmoid,
  Tanh,
  Exp,
  Log,
  Sqrt,
  Reciprocal,
  Neg,
  Abs,
  Identity,
  Cast,
  ReduceMean,
  ReduceSum,
  ReduceSumSquare,
  ReduceMax,
  Reshape,
  Transpose,
  Flatten,
  MatMul,
  Gemm,
  Conv,
  MaxPool,
  AveragePool,
  GlobalAveragePool,
  Softmax,
  ConvTranspose,
  LRN,
  Pad,
  Concat,
  Slice,
  Gather,
  Squeeze,
  Unsqueeze,
  Shape,
  Constant,
  ConstantOfShape,
  Clip,
  LeakyRelu,
  HardSigmoid,
  HardSwish,
  Sum,
  Dropout,
};

export function opDef<K extends OpName>(op: K): OpDef<K> {
  return OPS[op];
}

export function isOpName(s: string): s is OpName {
  return Object.prototype.hasOwnProperty.call(OPS, s);
}
