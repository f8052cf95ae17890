// The input checks layers' computeOutput share: how many input tensors, and a floating-point dtype
// (Keras autocasts float inputs to the layer's compute dtype; kiln's layers take floats only).

import { isFloatDType, type DType } from '../../core/dtype.js';
import { ArgumentError, DTypeError, type ErrorSite } from '../../core/errors.js';
import type { UserShape } from '../symbolic.js';

/** What computeOutput receives per input, and returns. */
export interface ShapedInput {
  readonly shape: UserShape;
  readonly dtype: DType;
}

/** The one input of a single-input layer. */
export function singleInput<T>(site: ErrorSite, inputs: readonly T[]): T {
  if (inputs.length !== 1) throw new ArgumentError(site, 'inputs', '1 input tensor', `${inputs.length}`);
  return inputs[0];
}

/**
 * Keras Layer.__call__ converts floating inputs to the layer's compute dtype
 * (dtype_policy.convert_input) and leaves other dtypes alone; kiln's layers here take floats only.
 */
export function expectFloatInput(site: ErrorSite, argument: string, dtype: DType): void {
  if (!isFloatDType(dtype)) throw new DTypeError(site, argument, 'a floating-point dtype (float32, float64, float16, bfloat16)', dtype);
}

/** The one input of a single-input layer, which must be floating point. */
export function singleFloatInput<T extends ShapedInput>(site: ErrorSite, inputs: readonly T[]): T {
  const x = singleInput(site, inputs);
  expectFloatInput(site, 'inputs', x.dtype);
  return x;
}
