// Keras 3 Conv2D (keras/src/layers/convolutional/base_conv.py, conv2d.py) lowered to ONNX Conv; the
// window arguments it shares with the pooling layers are in window-args.ts.

import type { DType } from '../../core/dtype.js';
import { ArgumentError, describeShape, ShapeError } from '../../core/errors.js';
import type { Value } from '../../compiler/ir/types.js';
import { describeValue } from '../config-reader.js';
import { KerasConfig, Layer, LayerWeight, LowerCall } from '../layer.js';
import type { UserShape } from '../symbolic.js';
import { type ActivationName, applyActivation, autocast } from './activation.js';
import { type LayerOptions, openLayerArgs } from './base-args.js';
import { type KernelBias, kernelBiasConfig, OUTPUT_KEYS, type OutputOptions, readOutputArgs, readPositiveInt } from './layer-args.js';
import { type DataFormat, fromNchw, imageInput, layoutAxes, type Padding, type Pair, readDataFormat, readPadding, readPair, toNchw, windowOutSize, windowPadAttrs } from './window-args.js';

/** An int n (meaning [n, n]) or [height, width]. */
export type Size2 = number | readonly number[];

export interface Conv2DOptions extends OutputOptions, LayerOptions {
  /** Required: number of output channels. */
  readonly filters: number;
  readonly strides?: Size2;
  /** Case-insensitive, as Keras standardize_padding. */
  readonly padding?: Padding | Uppercase<Padding>;
  readonly dataFormat?: DataFormat | null;
  readonly dilationRate?: Size2;
  readonly groups?: number;
}

/** Conv2D arguments; kernel_size is required, in either spelling. */
export type Conv2DArgs = Conv2DOptions & ({ readonly kernelSize: Size2 } | { readonly kernel_size: Size2 });

const KEYS = [
  'name', 'trainable', 'dtype', 'filters', 'kernel_size', 'strides', 'padding', 'data_format', 'dilation_rate', 'groups',
  ...OUTPUT_KEYS,
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
    const { reader: r, base } = openLayerArgs('Conv2D', 'conv2d', args, KEYS);
    super(base, 'conv2d');
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
    ({ activation: this.activation, useBias: this.useBias, args: this.args } = readOutputArgs(r));
  }

  private get effectiveKernel(): Pair {
    return [(this.kernelSize[0] - 1) * this.dilationRate[0] + 1, (this.kernelSize[1] - 1) * this.dilationRate[1] + 1];
  }

  /** Keras InputSpec(min_ndim=4, axes={channel: C}); kiln takes exactly rank 4 (batch, 2 spatial, channel). */
  computeOutput(inputs: readonly { shape: UserShape; dtype: DType }[]): { shape: UserShape; dtype: DType } {
    const { shape } = imageInput(this.site, this.dataFormat, inputs);
    const text = describeShape(shape.map(String));
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
