// The attribute type of every op kiln defines. Its keys are the op names; ops/table.ts maps each to
// its definition with an exhaustive mapped type, so adding a key here without a definition fails to compile.
// Attributes are the canonical IR form: ONNX names, defaults filled in, inputs-as-attributes
// (ReduceSum axes, Reshape allowzero, ...) normalized by the ONNX importer's opset adapters.

import type { BatchNormalizationAttrs } from './batch-normalization.js';
import type { MomentsAttrs } from './moments.js';
import type { CastAttrs } from './cast.js';
import type { ReduceAttrs } from './reduce-common.js';
import type { ReshapeAttrs } from './reshape.js';
import type { TransposeAttrs } from './transpose.js';
import type { FlattenAttrs } from './flatten.js';
import type { SoftmaxAttrs } from './softmax.js';
import type { GemmAttrs } from './gemm.js';
import type { ConvAttrs } from './conv.js';
import type { MaxPoolAttrs } from './max-pool.js';
import type { AveragePoolAttrs } from './average-pool.js';
import type { ConvTransposeAttrs } from './conv-transpose.js';
import type { LRNAttrs } from './lrn.js';
import type { PadAttrs } from './pad.js';
import type { ConcatAttrs } from './concat.js';
import type { SliceAttrs } from './slice.js';
import type { GatherAttrs } from './gather.js';
import type { ClipAttrs } from './clip.js';
import type { LeakyReluAttrs } from './leaky-relu.js';
import type { HardSigmoidAttrs } from './hard-sigmoid.js';
import type { SqueezeAttrs } from './squeeze.js';
import type { UnsqueezeAttrs } from './unsqueeze.js';
import type { ShapeAttrs } from './shape.js';
import type { ConstantAttrs } from './constant.js';
import type { ConstantOfShapeAttrs } from './constant-of-shape.js';
import type { DropoutAttrs } from './dropout.js';

/** Ops without attributes. */
export type NoAttrs = Record<never, never>;

export interface OpAttrs {
  BatchNormalization: BatchNormalizationAttrs;
  Moments: MomentsAttrs;
  // elementwise binary (numpy broadcasting)
  Add: NoAttrs;
  Sub: NoAttrs;
  Mul: NoAttrs;
  Div: NoAttrs;
  Pow: NoAttrs;
  Max: NoAttrs;
  Min: NoAttrs;
  // elementwise unary
  Relu: NoAttrs;
  Sigmoid: NoAttrs;
  Tanh: NoAttrs;
  Exp: NoAttrs;
  Log: NoAttrs;
  Sqrt: NoAttrs;
  Reciprocal: NoAttrs;
  Neg: NoAttrs;
  Abs: NoAttrs;
  Identity: NoAttrs;
  Cast: CastAttrs;
  // reductions (axes as attribute; see ops/reduce-common.ts)
  ReduceMean: ReduceAttrs;
  ReduceSum: ReduceAttrs;
  ReduceSumSquare: ReduceAttrs;
  ReduceMax: ReduceAttrs;
  // layout
  Reshape: ReshapeAttrs;
  Transpose: TransposeAttrs;
  Flatten: FlattenAttrs;
  // heavy ops
  MatMul: NoAttrs;
  Gemm: GemmAttrs;
  Conv: ConvAttrs;
  MaxPool: MaxPoolAttrs;
  AveragePool: AveragePoolAttrs;
  GlobalAveragePool: NoAttrs;
  Softmax: SoftmaxAttrs;
  ConvTranspose: ConvTransposeAttrs;
  LRN: LRNAttrs;
  // data movement (canonical attribute forms; see each file for the ONNX input forms)
  Pad: PadAttrs;
  Concat: ConcatAttrs;
  Slice: SliceAttrs;
  Gather: GatherAttrs;
  Squeeze: SqueezeAttrs;
  Unsqueeze: UnsqueezeAttrs;
  Shape: ShapeAttrs;
  Constant: ConstantAttrs;
  ConstantOfShape: ConstantOfShapeAttrs;
  // activations and friends
  Clip: ClipAttrs;
  LeakyRelu: LeakyReluAttrs;
  HardSigmoid: HardSigmoidAttrs;
  HardSwish: NoAttrs;
  Sum: NoAttrs;
  Dropout: DropoutAttrs;
}

export type OpName = keyof OpAttrs;
