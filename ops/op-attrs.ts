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
}

export type OpName = keyof OpAttrs;
