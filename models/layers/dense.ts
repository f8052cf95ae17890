// Keras 3 Dense (keras/src/layers/core/dense.py): activation(inputs · kernel + bias) over the last axis
// of inputs of any rank >= 2.

import type { DType } from '../../core/dtype.js';
import { ArgumentError, describeShape, ShapeError } from '../../core/errors.js';
import type { Value } from '../../compiler/ir/types.js';
import { describeValue } from '../config-reader.js';
import { KerasConfig, Layer, LayerWeight, LowerCall } from '../layer.js';
import type { UserShape } from '../symbolic.js';
import { type ActivationName, applyActivation, autocast } from './activation.js';
import { type LayerOptions, openLayerArgs } from './base-args.js';
import { type KernelBias, kernelBiasConfig, OUTPUT_KEYS, type OutputOptions, readOutputArgs, readPositiveInt } from './layer-args.js';
import { singleFloatInput } from './layer-inputs.js';

export interface DenseArgs extends OutputOptions, LayerOptions {
  /** Required: size of the last output axis. */
  readonly units: number;
}

const KEYS = ['name', 'trainable', 'dtype', 'units', ...OUTPUT_KEYS] as const;

export class Dense extends Layer {
  readonly className = 'Dense';
  /** Keras Dense sets supports_masking = True: the mask passes through unchanged. */
  override readonly supportsMasking = true;
  readonly units: number;
  readonly activation: ActivationName;
  readonly useBias: boolean;
  readonly args: KernelBias;
  kernel: LayerWeight | undefined;
  bias: LayerWeight | undefined;

  constructor(args: DenseArgs) {
    const { reader: r, base } = openLayerArgs('Dense', 'dense', args, KEYS);
    super(base, 'dense');
    this.units = readPositiveInt(r, 'units');
    ({ activation: this.activation, useBias: this.useBias, args: this.args } = readOutputArgs(r));
  }

  /** Keras InputSpec(min_ndim=2, axes={-1: input_dim}); a float input is cast to the layer dtype. */
  computeOutput(inputs: readonly { shape: UserShape; dtype: DType }[]): { shape: UserShape; dtype: DType } {
    const { shape } = singleFloatInput(this.site, inputs);
    const text = describeShape(shape.map(String));
    if (shape.length < 2) throw new ShapeError(this.site, 'inputs', 'rank >= 2 (batch, ..., input_dim)', `${text} (rank ${shape.length})`);
    const last = shape[shape.length - 1];
    if (last === null) throw new ShapeError(this.site, 'inputs', 'a known size on the last axis (input_dim)', text);
    if (this.kernel !== undefined && this.kernel.value.dims[0] !== last) {
      throw new ShapeError(this.site, 'inputs', `last axis of size ${this.kernel.value.dims[0]} (the layer was built for that)`, text);
    }
    return { shape: [...shape.slice(0, -1), this.units], dtype: this.dtype };
  }

  protected override createWeights(inputShapes: readonly UserShape[]): void {
    const inputDim = inputShapes[0][inputShapes[0].length - 1] as number;
    const a = this.args;
    // Keras creation order, and so getWeights() order: kernel, bias.
    this.kernel = this.addWeight('kernel', [inputDim, this.units], a.kernelInitializer, { trainable: true, regularizer: a.kernelRegularizer, constraint: a.kernelConstraint });
    if (this.useBias) this.bias = this.addWeight('bias', [this.units], a.biasInitializer, { trainable: true, regularizer: a.biasRegularizer, constraint: a.biasConstraint });
  }

  lower(call: LowerCall, inputs: readonly Value[]): Value {
    const b = call.builder;
    const n = this.name;
    const x = autocast(b, inputs[0], this.dtype, `${n}/cast_inputs`);
    // ONNX MatMul broadcasts a rank-N input against the 2-D kernel: the tensordot over the last axis.
    let y = b.op('MatMul', [x, call.weight(this.kernel!)], {}, `${n}/matmul`);
    if (this.bias !== undefined) y = b.op('Add', [y, call.weight(this.bias)], {}, `${n}/bias_add`);
    return applyActivation(b, y, this.activation, `${n}/${this.activation}`);
  }

  protected layerConfig(): KerasConfig {
    return { units: this.units, activation: this.activation, use_bias: this.useBias, ...kernelBiasConfig(this.args) };
  }

  static fromConfig(config: KerasConfig): Dense {
    const units = config.units;
    if (typeof units !== 'number') {
      throw new ArgumentError({ op: 'Dense layer', node: typeof config.name === 'string' ? config.name : 'dense' }, 'units', 'a positive integer (required)', describeValue(units));
    }
    return new Dense({ ...config, units });
  }
}
