// The 2-D window arguments Conv2D and the pooling layers share (keras/src/utils/argument_validation.py,
// backend/config.py): tuples, padding, data_format; TF 'same' padding as ONNX pads; the NCHW layout
// ONNX needs; and the rank-4 image input check.

import { describeShape, type ErrorSite, ShapeError } from '../../core/errors.js';
import type { GraphBuilder } from '../../compiler/ir/builder.js';
import type { Value } from '../../compiler/ir/types.js';
import type { ConfigReader } from '../config-reader.js';
import { type ShapedInput, singleFloatInput } from './layer-inputs.js';

export type Pair = readonly [number, number];
export type Padding = 'valid' | 'same';
export type DataFormat = 'channels_last' | 'channels_first';

/** standardize_tuple: an int n means (n, n); otherwise two positive integers. */
export function readPair(r: ConfigReader, key: string, fallback: Pair | undefined): Pair {
  const v = r.raw(key);
  if (v === undefined || (v === null && fallback !== undefined)) {
    if (fallback === undefined) r.fail(key, 'a positive integer or a list of 2 positive integers (required)', v);
    return fallback;
  }
  const ok = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x > 0;
  if (ok(v)) return [v, v];
  if (Array.isArray(v)) {
    const items: readonly unknown[] = v;
    const [a, b] = items;
    if (items.length === 2 && ok(a) && ok(b)) return [a, b];
  }
  return r.fail(key, 'a positive integer or a list of 2 positive integers', v);
}

/** standardize_padding: case-insensitive 'valid' or 'same' ('causal' is for 1-D convolutions only). */
export function readPadding(r: ConfigReader): Padding {
  return r.choice<Padding>('padding', 'valid', ['valid', 'same'], (s) => s.toLowerCase());
}

/** standardize_data_format: None means image_data_format(), 'channels_last' unless configured. */
export function readDataFormat(r: ConfigReader): DataFormat {
  return r.choice<DataFormat>('data_format', 'channels_last', ['channels_last', 'channels_first'], (s) => s.toLowerCase());
}

/**
 * Output size along one axis (keras/src/ops/operation_utils.py compute_conv_output_shape and
 * compute_pooling_output_shape): 'valid' floor((in − effK)/s) + 1, 'same' ceil(in/s); null stays null.
 * Returns undefined when 'valid' leaves no output (Keras raises: "output size would be negative").
 */
export function windowOutSize(inSize: number | null, effK: number, stride: number, padding: Padding): number | null | undefined {
  if (inSize === null) return null;
  if (padding === 'same') return Math.ceil(inSize / stride);
  return inSize < effK ? undefined : Math.floor((inSize - effK) / stride) + 1;
}

/**
 * ONNX pads [top, left, bottom, right] for TensorFlow 'same' padding, which Keras uses: the total
 * (ceil(in/s) − 1)·s + effK − in, clamped at 0, with the odd pixel at the end (= ONNX SAME_UPPER).
 * Undefined when a spatial size is unknown; the caller then uses auto_pad SAME_UPPER.
 */
export function samePads(spatial: readonly (number | string)[], effK: Pair, strides: Pair): number[] | undefined {
  const begin: number[] = [];
  const end: number[] = [];
  for (let i = 0; i < 2; i++) {
    const inSize = spatial[i];
    if (typeof inSize !== 'number') return undefined;
    const total = Math.max(0, (Math.ceil(inSize / strides[i]) - 1) * strides[i] + effK[i] - inSize);
    begin.push(Math.floor(total / 2));
    end.push(total - Math.floor(total / 2));
  }
  return [...begin, ...end];
}

/** Window attributes for Conv/MaxPool/AveragePool: explicit pads where sizes are known. */
export function windowPadAttrs(padding: Padding, spatial: readonly (number | string)[], effK: Pair, strides: Pair): { pads?: number[]; auto_pad?: string } {
  if (padding === 'valid') return {};
  const pads = samePads(spatial, effK, strides);
  return pads === undefined ? { auto_pad: 'SAME_UPPER' } : { pads };
}

/** NHWC → NCHW (ONNX's layout) for channels_last inputs; identity for channels_first. */
export function toNchw(b: GraphBuilder, x: Value, format: DataFormat, name: string): Value {
  return format === 'channels_first' ? x : b.op('Transpose', [x], { perm: [0, 3, 1, 2] }, name);
}

/** NCHW → NHWC back to the Keras layout for channels_last. */
export function fromNchw(b: GraphBuilder, y: Value, format: DataFormat, name: string): Value {
  return format === 'channels_first' ? y : b.op('Transpose', [y], { perm: [0, 2, 3, 1] }, name);
}

/** [N, H, W] positions of a 4-D Keras shape's channel and spatial axes. */
export function layoutAxes(format: DataFormat): { channel: number; spatial: Pair } {
  return format === 'channels_last' ? { channel: 3, spatial: [1, 2] } : { channel: 1, spatial: [2, 3] };
}

/** The one input of a 2-D layer: floating point and rank 4 in the layer's data_format (Keras InputSpec(ndim=4)). */
export function imageInput<T extends ShapedInput>(site: ErrorSite, format: DataFormat, inputs: readonly T[]): T {
  const x = singleFloatInput(site, inputs);
  if (x.shape.length !== 4) {
    const layout = format === 'channels_last' ? '(batch, height, width, channels)' : '(batch, channels, height, width)';
    throw new ShapeError(site, 'inputs', `rank 4 ${layout} for data_format='${format}'`, `${describeShape(x.shape.map(String))} (rank ${x.shape.length})`);
  }
  return x;
}
