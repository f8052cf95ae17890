// The kernel IR that op lowerings produce (DESIGN.md §5): elementwise kernels described by a scalar
// expression over broadcast operands, and calls to hand-written routines for the heavy ops.
// Backends consume this; they never see ONNX op names.

import type { DType } from '../core/dtype.js';

export type UnaryFn =
  | 'neg' | 'abs' | 'sqrt' | 'rsqrt' | 'recip' | 'exp' | 'log' | 'relu' | 'sigmoid' | 'tanh'
  | 'floor' | 'ceil' | 'square';
export type BinaryFn = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'max' | 'min';

/** A scalar expression evaluated once per output element, in float64 arithmetic on the CPU. */
export type ScalarExpr =
  | { readonly kind: 'operand'; readonly index: number }
  | { readonly kind: 'const'; readonly value: number }
  | { readonly kind: 'unary'; readonly fn: UnaryFn; readonly arg: ScalarExpr }
  | { readonly kind: 'binary'; readonly fn: BinaryFn; readonly lhs: ScalarExpr; readonly rhs: ScalarExpr };

/** Small constructors so lowerings read like formulas. */
export const E = {
  operand: (index: number): ScalarExpr => ({ kind: 'operand', index }),
  const: (value: number): ScalarExpr => ({ kind: 'const', value }),
  unary: (fn: UnaryFn, arg: ScalarExpr): ScalarExpr => ({ kind: 'unary', fn, arg }),
  binary: (fn: BinaryFn, lhs: ScalarExpr, rhs: ScalarExpr): ScalarExpr => ({ kind: 'binary', fn, lhs, rhs }),
  add: (a: ScalarExpr, b: ScalarExpr): ScalarExpr => E.binary('add', a, b),
  sub: (a: ScalarExpr, b: ScalarExpr): ScalarExpr => E.binary('sub', a, b),
  mul: (a: ScalarExpr, b: ScalarExpr): ScalarExpr => E.binary('mul', a, b),
  div: (a: ScalarExpr, b: ScalarExpr): ScalarExpr => E.binary('div', a, b),
};

/** One operand of an elementwise kernel: its dims, right-aligned against the output (numpy rules). */
export interface KernelOperand {
  readonly dtype: DType;
  readonly dims: readonly number[];
}

export interface ElementwiseKernel {
  readonly kind: 'elementwise';
  readonly operands: readonly KernelOperand[];
  readonly outDims: readonly number[];
  readonly outDtype: DType;
  readonly expr: ScalarExpr;
}

export type ReduceFn = 'sum' | 'mean' | 'max' | 'min' | 'sumSquare';

/**
 * Calls to hand-written routines. Each names its operand and output layout; all buffers are dense
 * row-major. Output dims are given so that the backend never re-derives shapes.
 */
export type RoutineCall =
  | {
      /** out[...b, M, N] = op(A)[...b, M, K] · op(B)[...b, K, N], batch dims broadcast. */
      readonly routine: 'matmul';
      readonly aDims: readonly number[];
      readonly bDims: readonly number[];
      readonly transA: boolean;
      readonly transB: boolean;
      readonly outDims: readonly number[];
    }
  | {
      /** 2-D convolution, NCHW, weights [M, C/group, kH, kW], optional bias operand [M]. */
      readonly routine: 'conv2d';
      readonly xDims: readonly [number, number, number, number];
      readonly wDims: readonly [number, number, number, number];
      readonly hasBias: boolean;
      readonly group: number;
      readonly strides: readonly [number, number];
      /** [top, left, bottom, right] (ONNX order: begins then ends). */
      readonly pads: readonly [number, number, number, number];
      readonly dilations: readonly [number, number];
      readonly outDims: readonly [number, number, number, number];
    }
  | {
      /** 2-D pooling over NCHW windows. */
      readonly routine: 'pool2d';
      readonly fn: 'max' | 'avg';
      readonly xDims: readonly [number, number, number, number];
      readonly kernel: readonly [number, number];
      readonly strides: readonly [number, number];
      readonly pads: readonly [number, number, number, number];
      readonly dilations: readonly [number, number];
      /**
       * avg only (ONNX count_include_pad): divide by the window taps inside the padded extent
       * [−pad_begin, in + pad_end) instead of the taps inside X. Taps past the end padding (a ceil_mode
       * overhang) never count, as in onnxruntime and PyTorch. max always ignores padding.
       */
      readonly countIncludePad: boolean;
      readonly outDims: readonly [number, number, number, number];
    }
  | {
      /** Reduce over `axes`; the output keeps reduced axes as size 1 (reshape it for keepdims=0). */
      readonly routine: 'reduce';
      readonly fn: ReduceFn;
      readonly inDims: readonly number[];
      readonly axes: readonly number[];
    }
  | {
      /**
       * Mean and population variance over `axes` (outputs keep reduced axes as 1), two-pass in float64
       * with a fixed order, so the result is deterministic and safe for large offsets (DESIGN.md §6).
       * With `weighted`, a second operand of the input's dims holds weights: mean = Σwx/(Σw+ε),
       * var = Σw(x−mean)²/(Σw+ε) with ε = weightEpsilon.
       */
      readonly routine: 'moments';
      readonly inDims: readonly number[];
      readonly axes: readonly number[];
      readonly weighted: boolean;
      readonly weightEpsilon: number;
    }
  | {
      readonly routine: 'transpose';
      readonly inDims: readonly number[];
      readonly perm: readonly number[];
    }
  | {
      /** Softmax over one axis (opset 13 semantics), max-subtracted for stability. */
      readonly routine: 'softmax';
      readonly inDims: readonly number[];
      readonly axis: number;
    };

export type RoutineName = RoutineCall['routine'];
