// The attribute and operand checks Conv and ConvTranspose (ONNX opset 11) share beyond the window
// itself (window.ts): group and kernel_shape, X and W's dtypes and ranks, and W's kernel dims.

import { ArgumentError, describeShape, ErrorSite, ShapeError } from '../core/errors.js';
import type { Dim } from '../core/shape.js';
import type { TensorType } from '../compiler/ir/types.js';
import { expectDType, expectRank, expectSameDType, FLOAT_TYPES, requireInput } from './check.js';
import type { InferContext } from './op-def.js';
import type { WindowAttrs } from './window.js';

/** The attributes Conv and ConvTranspose share (ONNX names). */
export interface ConvWindowAttrs extends WindowAttrs {
  readonly group: number;
  /** Default: W's spatial dims; when given it must equal them. */
  readonly kernel_shape?: readonly number[] | undefined;
}

/** X (float, rank >= 3) and W (X's dtype and rank), and group >= 1, checked in that order. */
export function convOperands(ctx: InferContext<ConvWindowAttrs>): { x: TensorType; w: TensorType } {
  const { site, attrs } = ctx;
  const x = requireInput(ctx, 0, 'X');
  expectDType(site, 'X', x, FLOAT_TYPES);
  expectRank(site, 'X', x, 3);
  const rank = x.shape.length;
  const w = requireInput(ctx, 1, 'W');
  expectSameDType(site, 'W', w, x, 'X');
  expectRank(site, 'W', w, rank, rank);
  const group = attrs.group;
  if (!Number.isInteger(group) || group < 1) throw new ArgumentError(site, 'group', 'an integer >= 1', String(group));
  return { x, w };
}

/** W's spatial dims as the kernel, checked against kernel_shape; they must be concrete (or kernel_shape given). */
export function convKernel(site: ErrorSite, kernelShape: readonly number[] | undefined, wShape: readonly Dim[]): number[] {
  const wSpatial = wShape.slice(2);
  if (kernelShape !== undefined) {
    if (kernelShape.length !== wSpatial.length || kernelShape.some((k, i) => typeof wSpatial[i] === 'number' && k !== wSpatial[i])) {
      throw new ArgumentError(site, 'kernel_shape', `W's spatial dims ${describeShape(wSpatial)}`, `[${kernelShape.join(',')}]`);
    }
  }
  const kernel = kernelShape ?? wSpatial;
  if (!kernel.every((k): k is number => typeof k === 'number')) {
    throw new ShapeError(site, 'W', 'concrete spatial (kernel) dims, or a kernel_shape attribute', describeShape(wShape));
  }
  return [...kernel];
}

/** group must divide X's channel count C; a symbolic C is checked once bound. */
export function checkGroupDividesChannels(site: ErrorSite, c: Dim, group: number): void {
  if (typeof c === 'number' && c % group !== 0) {
    throw new ArgumentError(site, 'group', `a divisor of X's channel count C=${c}`, String(group));
  }
}
