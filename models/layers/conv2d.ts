// Keras 3 Conv2D (keras/src/layers/convolutional/base_conv.py, conv2d.py) lowered to ONNX Conv. Also the
// 2-D window arguments (tuples, padding, data_format) and TF 'same' padding that the pooling layers share.

import type { DType } from '../../core/dtype.js';
import { ArgumentError, describeShape, ShapeError } from '../../core/errors.js';
import type { GraphBuilder } from '../../compiler/ir/builder.js';
import type { Value } from '../../compiler/ir/types.js';
import { ConfigReader, describeValue, type ArgumentSite } from '../config-reader.js';
import { defaultName, KerasConfig, Layer, LayerDType, LayerWeight, LowerCall } from '../layer.js';
import type { UserShape } from '../symbolic.js';
import { type ActivationName, type ActivationSpec, applyActivation, autocast, expectFloatInput, readActivation } from './activation.js';
import { readBaseArgs } from './base-args.js';
import { type KernelBias, type KernelBiasArgs, KERNEL_BIAS_KEYS, kernelBiasConfig, readKernelBias, readPositiveInt, rejectUnsupported, UNSUPPORTED_NULL_KEYS } from './dense.js';

// ---------------------------------------------------------------------------------------------
// 2-D window arguments (keras/src/utils/argument_validation.py, backend/config.py).

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

// ---------------------------------------------------------------------------------------------
// Conv2D.

/** An int n (meaning [n, n]) or [height, width]. */
export type Size2 = number | readonly number[];

export interface Conv2DOptions extends KernelBiasArgs {
  /** Required: number of output channels. */
  readonly filters: number;
  readonly strides?: Size2;
  /** Case-insensitive, as Keras standardize_padding. */
  readonly padding?: Padding | Uppercase<Padding>;
  readonly dataFormat?: DataFormat | null;
  readonly dilationRate?: Size2;
  readonly groups?: number;
  readonly activation?: ActivationSpec;
  readonly useBias?: boolean;
  readonly name?: string;
  readonly trainable?: boolean;
  readonly dtype?: LayerDType;
  /** Keras snake_case spellings are accepted as well (data_format, dilation_rate, ...). */
  readonly [snakeCase: string]: unknown;
}

/** Conv2D arguments; kernel_size is required, in either spelling. */
export type Conv2DArgs = Conv2DOptions & ({ readonly kernelSize: Size2 } | { readonly kernel_size: Size2 });

const KEYS = [
  'name', 'trainable', 'dtype', 'filters', 'kernel_size', 'strides', 'padding', 'data_format', 'dilation_rate', 'groups',
  'activation', 'use_bias', ...KERNEL_BIAS_KEYS, ...UNSUPPORTED_NULL_KEYS,
] as const;

export class Conv2D extends Layer {
  readonly className = 'Conv2D';
  readonly filters: number;
  readonly kernelSize: Pair;
  readonly strides: Pair;
  readonly padding: Padding;
  readonly dataFormat: DataFormat;
  readonly dilationRate: Pair;
  readonly groups: number;
  readonly activation: ActivationName;
  readonly useBias: boolean;
  readonly args: KernelBias;
  /** Keras layout [kh, kw, in/groups, filters]. */
  kernel: LayerWeight | undefined;
  bias: LayerWeight | undefined;

  constructor(args: Conv2DArgs) {
    const name = typeof args.name === 'string' ? args.name : defaultName('conv2d');
    const where: ArgumentSite = { op: 'Conv2D layer', node: name, argument: '' };
    const r = new ConfigReader('Conv2D', args, where, KEYS);
    super(readBaseArgs(r, name), 'conv2d');
    this.filters = readPositiveInt(r, 'filters');
    this.kernelSize = readPair(r, 'kernel_size', undefined);
    this.strides = readPair(r, 'strides', [1, 1]);
    this.padding = readPadding(r);
    this.dataFormat = readDataFormat(r);
    this.dilationRate = readPair(r, 'dilation_rate', [1, 1]);
    this.groups = r.integer('groups', 1);
    // base_conv.py __init__ checks, in its order.
    if (this.groups <= 0) r.fail('groups', 'a positive integer', this.groups);
    if (this.filters % this.groups !== 0) r.fail('groups', `a divisor of filters=${this.filters}`, this.groups);
    if (Math.max(...this.strides) > 1 && Math.max(...this.dilationRate) > 1) {
      r.fail('dilation_rate', `1 when strides > 1 (strides=[${this.strides.join(',')}]; Keras does not support both)`, [...this.dilationRate]);
    }
    this.activation = readActivation(r, 'activation');
    this.useBias = r.boolean('use_bias', true);
    this.args = readKernelBias(r, where);
    rejectUnsupported(r, UNSUPPORTED_NULL_KEYS);
  }

  private get effectiveKernel(): Pair {
    return [(this.kernelSize[0] - 1) * this.dilationRate[0] + 1, (this.kernelSize[1] - 1) * this.dilationRate[1] + 1];
  }

  /** Keras InputSpec(min_ndim=4, axes={channel: C}); kiln takes exactly rank 4 (batch, 2 spatial, channel). */
  computeOutput(inputs: readonly { shape: UserShape; dtype: DType }[]): { shape: UserShape; dtype: DType } {
    if (inputs.length !== 1) throw new ArgumentError(this.site, 'inputs', '1 input tensor', `${inputs.length}`);
    const { shape, dtype } = inputs[0];
    expectFloatInput(this.site, 'inputs', dtype);
    const text = describeShape(shape.map(String));
    const layout = this.dataFormat === 'channels_last' ? '(batch, height, width, channels)' : '(batch, channels, height, width)';
    if (shape.length !== 4) throw new ShapeError(this.site, 'inputs', `rank 4 ${layout} for data_format='${this.dataFormat}'`, `${text} (rank ${shape.length})`);
    const { channel, spatial } = layoutAxes(this.dataFormat);
    const c = shape[channel];
    if (c === null) throw new ShapeError(this.site, 'inputs', `a known channel count on axis ${channel} (data_format='${this.dataFormat}')`, text);
    if (c % this.groups !== 0) throw new ShapeError(this.site, 'inputs', `a channel count divisible by groups=${this.groups} on axis ${channel}`, text);
    if (this.kernel !== undefined && this.kernel.value.dims[2] * this.groups !== c) {
      throw new ShapeError(this.site, 'inputs', `${this.kernel.value.dims[2] * this.groups} channels on axis ${channel} (the layer was built for that)`, text);
    }
    const eff = this.effectiveKernel;
    const out = spatial.map((axis, i) => {
      const size = windowOutSize(shape[axis], eff[i], this.strides[i], this.padding);
      if (size === undefined) {
        throw new ShapeError(this.site, 'inputs', `spatial axis ${axis} of at least ${eff[i]} for kernel_size ${this.kernelSize[i]} (dilation ${this.dilationRate[i]}) with padding='valid'`, text);
      }
      return size;
    });
    const outShape = this.dataFormat === 'channels_last' ? [shape[0], out[0], out[1], this.filters] : [shape[0], this.filters, out[0], out[1]];
    return { shape: outShape, dtype: this.dtype };
  }

  protected override createWeights(inputShapes: readonly UserShape[]): void {
    const c = inputShapes[0][layoutAxes(this.dataFormat).channel] as number;
    const a = this.args;
    // base_conv.py build: kernel_size + (input_channel // groups, filters); then bias (filters,).
    this.kernel = this.addWeight('kernel', [...this.kernelSize, c / this.groups, this.filters], a.kernelInitializer, { trainable: true, regularizer: a.kernelRegularizer, constraint: a.kernelConstraint });
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], a.biasInitializer, { trainable: true, regularizer: a.biasRegularizer, constraint: a.biasConstraint });
  }

  lower(call: LowerCall, inputs: readonly Value[]): Value {
    const b = call.builder;
    const n = this.name;
    const x = toNchw(b, autocast(b, inputs[0], this.dtype, `${n}/cast_inputs`), this.dataFormat, `${n}/to_nchw`);
    // Keras [kh, kw, C/g, M] → ONNX [M, C/g, kh, kw].
    const w = b.op('Transpose', [call.weight(this.kernel!)], { perm: [3, 2, 0, 1] }, `${n}/kernel_oihw`);
    const bias = this.bias === undefined ? undefined : call.weight(this.bias);
    const spatial = x.type.shape.slice(2);
    let y = b.op('Conv', [x, w, bias], {
      kernel_shape: [...this.kernelSize],
      strides: [...this.strides],
      dilations: [...this.dilationRate],
      group: this.groups,
      ...windowPadAttrs(this.padding, spatial, this.effectiveKernel, this.strides),
    }, `${n}/conv`);
    // Elementwise activations commute with the layout transpose and fuse into the Conv epilogue when
    // applied in NCHW; softmax runs over the Keras last axis, so it comes after the transpose back.
    if (this.activation !== 'softmax') y = applyActivation(b, y, this.activation, `${n}/${this.activation}`);
    y = fromNchw(b, y, this.dataFormat, `${n}/to_nhwc`);
    return this.activation === 'softmax' ? applyActivation(b, y, 'softmax', `${n}/softmax`) : y;
  }

  protected layerConfig(): KerasConfig {
    return {
      filters: this.filters,
      kernel_size: [...this.kernelSize],
      strides: [...this.strides],
      padding: this.padding,
      data_format: this.dataFormat,
      dilation_rate: [...this.dilationRate],
      groups: this.groups,
      activation: this.activation,
      use_bias: this.useBias,
      ...kernelBiasConfig(this.args),
      // base_conv.py get_config always writes activity_regularizer.
      activity_regularizer: null,
    };
  }

  static fromConfig(config: KerasConfig): Conv2D {
    const { filters } = config;
    const kernelSize = config.kernel_size ?? config.kernelSize;
    const site = { op: 'Conv2D layer', node: typeof config.name === 'string' ? config.name : 'conv2d' };
    if (typeof filters !== 'number') throw new ArgumentError(site, 'filters', 'a positive integer (required)', describeValue(filters));
    if (typeof kernelSize !== 'number' && !isNumberList(kernelSize)) {
      throw new ArgumentError(site, 'kernel_size', 'a positive integer or a list of 2 positive integers (required)', describeValue(kernelSize));
    }
    const { kernel_size: _snake, kernelSize: _camel, ...rest } = config;
    return new Conv2D({ ...rest, filters, kernelSize });
  }
}

function isNumberList(v: unknown): v is readonly number[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'number');
}
