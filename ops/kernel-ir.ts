// The kernel IR that op lowerings produce (DESIGN.md §5): elementwise kernels described by a scalar
// expression over broadcast operands, and calls to hand-written routines for the heavy ops.
// Backends consume this; they never see ONNX op names.

import type { DType } from '../core/dtype.js';
import type { ErrorSite } from '../core/errors.js';

export type UnaryFn =
  | 'neg' | 'abs' | 'sqrt' | 'rsqrt' | 'recip' | 'exp' | 'log' | 'relu' | 'sigmoid' | 'tanh'
  | 'floor' | 'ceil' | 'square'
  /**
   * Round to the nearest float32 / float16 / bfloat16 value (and back to a number). Kernel fusion
   * inserts these where an unfused plan would have stored an intermediate in that dtype, so a fused
   * kernel computes bit for bit what the unfused steps computed.
   */
  | 'roundF32' | 'roundF16' | 'roundBF16';
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

/**
 * An elementwise expression a routine applies to each output element as it stores it (DESIGN.md §5:
 * per-channel scale/shift, activation, residual add). Operand 0 is the routine's raw output element;
 * its `dims` are the dims the epilogue iterates over (row-major, the same element count as the
 * routine's outDims) and its dtype is the dtype an unfused routine would have stored (any rounding to
 * it is explicit in `expr`, see roundF32). Operands 1.. are extra buffers, broadcast against
 * operands[0].dims like elementwise operands; the plan step lists them after the routine's own
 * operands. The step's output buffer holds the epilogue's result, in the output buffer's dtype.
 */
export interface Epilogue {
  readonly expr: ScalarExpr;
  readonly operands: readonly KernelOperand[];
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
 * The operands and window of conv2d and convTranspose2d (each variant gives its weight layout): NCHW
 * dims, the group count, the 2-D window, whether a bias operand [M] follows X and W, the fused epilogue.
 */
export interface Conv2dGeometry {
  readonly xDims: readonly [number, number, number, number];
  readonly wDims: readonly [number, number, number, number];
  readonly hasBias: boolean;
  readonly group: number;
  readonly strides: readonly [number, number];
  /** [top, left, bottom, right] (ONNX order: begins then ends). */
  readonly pads: readonly [number, number, number, number];
  readonly dilations: readonly [number, number];
  readonly outDims: readonly [number, number, number, number];
  readonly epilogue?: Epilogue;
}

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
      readonly epilogue?: Epilogue;
    }
  | ({
      /** 2-D convolution, NCHW, weights [M, C/group, kH, kW], optional bias operand [M]. */
      readonly routine: 'conv2d';
    } & Conv2dGeometry)
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
       * With `batchNorm` (training-form BatchNormalization, unweighted, one kept axis of C channels),
       * the operands after X are scale[C] and, when five outputs are asked for, the running mean and
       * variance [C]; the outputs after mean and var are a = scale/√(var + epsilon) [C] (float64: the
       * normalize kernel's factor) and then the new running statistics running·momentum +
       * batch·(1 − momentum) [C] (ONNX BatchNormalization-15), all per channel in float64.
       */
      readonly routine: 'moments';
      readonly inDims: readonly number[];
      readonly axes: readonly number[];
      readonly weighted: boolean;
      readonly weightEpsilon: number;
      readonly batchNorm?: { readonly epsilon: number; readonly momentum: number };
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
    }
  | ({
      /**
       * Transposed 2-D convolution, NCHW, weights [C, M/group, kH, kW], optional bias operand [M]
       * (M = outDims[1]). Input pixel (iy, ix) of channel c adds x·W[c, m, ky, kx] to output
       * (iy·sh − pt + ky·dh, ix·sw − pl + kx·dw) of channel group(c)·M/group + m when that position is
       * inside outDims. Only the begin pads [top, left] place the window; the end pads and
       * output_padding are already folded into outDims, and positions no tap reaches get the bias alone.
       */
      readonly routine: 'convTranspose2d';
    } & Conv2dGeometry)
  | {
      /**
       * Local response normalization across channels (ONNX LRN) over [N, C, inner]:
       * y = x / (bias + alpha/size · Σ x²)^beta, the sum over channels
       * [c − ⌊(size−1)/2⌋, c + ⌈(size−1)/2⌉] clipped to [0, C).
       */
      readonly routine: 'lrn';
      readonly inDims: readonly [number, number, number];
      readonly size: number;
      readonly alpha: number;
      readonly beta: number;
      readonly bias: number;
    }
  | {
      /**
       * Pad (or crop, where a pad is negative) every axis. pads is ONNX order [x1_begin, …, x1_end, …].
       * Negative pads crop first; constant/edge/reflect/wrap then read the cropped extent.
       */
      readonly routine: 'pad';
      readonly inDims: readonly number[];
      readonly pads: readonly number[];
      readonly mode: PadMode;
      /** The fill of constant mode. */
      readonly value: number;
      readonly outDims: readonly number[];
    }
  | {
      /** Join the operands (in order) along `axis`; inDims lists each operand's dims. */
      readonly routine: 'concat';
      readonly inDims: readonly (readonly number[])[];
      readonly axis: number;
      readonly outDims: readonly number[];
    }
  | {
      /** out[o] = in[start + o·step] along every axis (starts already clamped, so every read is inside). */
      readonly routine: 'slice';
      readonly inDims: readonly number[];
      readonly starts: readonly number[];
      readonly steps: readonly number[];
      readonly outDims: readonly number[];
    }
  | {
      /**
       * out[pre, j, post] = data[pre, idx[j] (+ axisSize when negative), post] over the flattened indices
       * operand (indexCount values). An index outside [−axisSize, axisSize) throws an ArgumentError
       * naming `site` (carried only for that message).
       */
      readonly routine: 'gather';
      readonly dataDims: readonly number[];
      readonly axis: number;
      readonly indexCount: number;
      readonly outDims: readonly number[];
      readonly site: ErrorSite;
    };

/** Pad modes (ONNX Pad `mode`; wrap is opset 19). */
export type PadMode = 'constant' | 'reflect' | 'edge' | 'wrap';

export type RoutineName = RoutineCall['routine'];

/** The routines that take a fused epilogue (DESIGN.md §5: the heavy ops). */
export type EpilogueRoutineCall = Extract<RoutineCall, { routine: 'matmul' | 'conv2d' | 'convTranspose2d' }>;

export function acceptsEpilogue(call: RoutineCall): call is EpilogueRoutineCall {
  return call.routine === 'matmul' || call.routine === 'conv2d' || call.routine === 'convTranspose2d';
}

/** How many operands the routine itself reads; a step's further operands are its epilogue's extras. */
export function routineOwnOperands(call: EpilogueRoutineCall): number {
  return call.routine === 'matmul' ? 2 : call.hasBias ? 3 : 2;
}
