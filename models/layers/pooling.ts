// Keras 3 2-D pooling layers (keras/src/layers/pooling/base_pooling.py, max_pooling2d.py,
// average_pooling2d.py, base_global_pooling.py, global_average_pooling2d.py) lowered to ONNX
// MaxPool / AveragePool / ReduceMean.

import { describeShape, ShapeError } from '../../core/errors.js';
import type { Value } from '../../compiler/ir/types.js';
import { KerasConfig, Layer, LowerCall } from '../layer.js';
import { autocast } from './activation.js';
import { type LayerOptions, openLayerArgs } from './base-args.js';
import type { ShapedInput } from './layer-inputs.js';
import { type DataFormat, fromNchw, imageInput, layoutAxes, type Padding, type Pair, readDataFormat, readPadding, readPair, toNchw, windowOutSize, windowPadAttrs } from './window-args.js';

export interface Pooling2DArgs extends LayerOptions {
  /** Default [2, 2]; an int n means [n, n]. */
  readonly poolSize?: number | readonly number[];
  /** Default null: the pool size. */
  readonly strides?: number | readonly number[] | null;
  /** Case-insensitive ('valid' | 'same'). */
  readonly padding?: Padding | Uppercase<Padding>;
  readonly dataFormat?: DataFormat | null;
}

const POOL_KEYS = ['name', 'trainable', 'dtype', 'pool_size', 'strides', 'padding', 'data_format'] as const;

/** BasePooling for two spatial dims. */
abstract class Pooling2D extends Layer {
  readonly poolSize: Pair;
  readonly strides: Pair;
  readonly padding: Padding;
  readonly dataFormat: DataFormat;

  constructor(args: Pooling2DArgs, className: string, snakeBase: string) {
    const { reader: r, base } = openLayerArgs(className, snakeBase, args, POOL_KEYS);
    super(base, snakeBase);
    this.poolSize = readPair(r, 'pool_size', [2, 2]);
    // base_pooling.py: `strides = pool_size if strides is None else strides`.
    this.strides = readPair(r, 'strides', this.poolSize);
    this.padding = readPadding(r);
    this.dataFormat = readDataFormat(r);
  }

  computeOutput(inputs: readonly ShapedInput[]): ShapedInput {
    const { shape } = imageInput(this.site, this.dataFormat, inputs);
    const { channel, spatial } = layoutAxes(this.dataFormat);
    const out = spatial.map((axis, i) => {
      const size = windowOutSize(shape[axis], this.poolSize[i], this.strides[i], this.padding);
      if (size === undefined) {
        throw new ShapeError(this.site, 'inputs', `spatial axis ${axis} of at least pool_size ${this.poolSize[i]} with padding='valid'`, describeShape(shape.map(String)));
      }
      return size;
    });
    const c = shape[channel];
    return { shape: this.dataFormat === 'channels_last' ? [shape[0], out[0], out[1], c] : [shape[0], c, out[0], out[1]], dtype: this.dtype };
  }

  protected abstract pool(call: LowerCall, x: Value, attrs: { kernel_shape: number[]; strides: number[]; pads?: number[]; auto_pad?: string }): Value;

  lower(call: LowerCall, inputs: readonly Value[]): Value {
    const b = call.builder;
    const n = this.name;
    const x = toNchw(b, autocast(b, inputs[0], this.dtype, `${n}/cast_inputs`), this.dataFormat, `${n}/to_nchw`);
    const y = this.pool(call, x, {
      kernel_shape: [...this.poolSize],
      strides: [...this.strides],
      ...windowPadAttrs(this.padding, x.type.shape.slice(2), this.poolSize, this.strides),
    });
    return fromNchw(b, y, this.dataFormat, `${n}/to_nhwc`);
  }

  protected layerConfig(): KerasConfig {
    return { pool_size: [...this.poolSize], padding: this.padding, strides: [...this.strides], data_format: this.dataFormat };
  }
}

/** keras.layers.MaxPooling2D: 'same' padding never wins the max (TF pads with −inf), as ONNX MaxPool. */
export class MaxPooling2D extends Pooling2D {
  readonly className = 'MaxPooling2D';

  constructor(args: Pooling2DArgs = {}) {
    super(args, 'MaxPooling2D', 'max_pooling2d');
  }

  protected pool(call: LowerCall, x: Value, attrs: { kernel_shape: number[]; strides: number[]; pads?: number[]; auto_pad?: string }): Value {
    return call.builder.op('MaxPool', [x], attrs, `${this.name}/max_pool`);
  }

  static fromConfig(config: KerasConfig): MaxPooling2D {
    return new MaxPooling2D(config);
  }
}

/** keras.layers.AveragePooling2D: with 'same' padding TF averages over the taps inside the input only. */
export class AveragePooling2D extends Pooling2D {
  readonly className = 'AveragePooling2D';

  constructor(args: Pooling2DArgs = {}) {
    super(args, 'AveragePooling2D', 'average_pooling2d');
  }

  protected pool(call: LowerCall, x: Value, attrs: { kernel_shape: number[]; strides: number[]; pads?: number[]; auto_pad?: string }): Value {
    // count_include_pad=0: padding is not counted in the divisor (TF avg_pool 'SAME' semantics).
    return call.builder.op('AveragePool', [x], { ...attrs, count_include_pad: 0 }, `${this.name}/average_pool`);
  }

  static fromConfig(config: KerasConfig): AveragePooling2D {
    return new AveragePooling2D(config);
  }
}

// ---------------------------------------------------------------------------------------------
// GlobalAveragePooling2D.

export interface GlobalAveragePooling2DArgs extends LayerOptions {
  readonly dataFormat?: DataFormat | null;
  /** Default false: the spatial axes are dropped; true keeps them with size 1. */
  readonly keepdims?: boolean;
}

const GLOBAL_KEYS = ['name', 'trainable', 'dtype', 'data_format', 'keepdims'] as const;

/** keras.layers.GlobalAveragePooling2D: ops.mean over the two spatial axes (global_average_pooling2d.py call). */
export class GlobalAveragePooling2D extends Layer {
  readonly className = 'GlobalAveragePooling2D';
  readonly dataFormat: DataFormat;
  readonly keepdims: boolean;

  constructor(args: GlobalAveragePooling2DArgs = {}) {
    const { reader: r, base } = openLayerArgs('GlobalAveragePooling2D', 'global_average_pooling2d', args, GLOBAL_KEYS);
    super(base, 'global_average_pooling2d');
    this.dataFormat = readDataFormat(r);
    this.keepdims = r.boolean('keepdims', false);
  }

  /** base_global_pooling.py compute_output_shape. */
  computeOutput(inputs: readonly ShapedInput[]): ShapedInput {
    const { shape } = imageInput(this.site, this.dataFormat, inputs);
    const c = shape[layoutAxes(this.dataFormat).channel];
    const out = !this.keepdims ? [shape[0], c] : this.dataFormat === 'channels_last' ? [shape[0], 1, 1, c] : [shape[0], c, 1, 1];
    return { shape: out, dtype: this.dtype };
  }

  lower(call: LowerCall, inputs: readonly Value[]): Value {
    const b = call.builder;
    const x = autocast(b, inputs[0], this.dtype, `${this.name}/cast_inputs`);
    const axes = [...layoutAxes(this.dataFormat).spatial];
    return b.op('ReduceMean', [x], { axes, keepdims: this.keepdims ? 1 : 0 }, `${this.name}/mean`);
  }

  protected layerConfig(): KerasConfig {
    return { data_format: this.dataFormat, keepdims: this.keepdims };
  }

  static fromConfig(config: KerasConfig): GlobalAveragePooling2D {
    return new GlobalAveragePooling2D(config);
  }
}
