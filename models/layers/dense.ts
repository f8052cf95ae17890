// Keras 3 Dense (keras/src/layers/core/dense.py): activation(inputs · kernel + bias) over the last axis
// of inputs of any rank >= 2. Also the kernel/bias argument readers that Conv2D shares.

import type { DType } from '../../core/dtype.js';
import { ArgumentError, describeShape, ShapeError } from '../../core/errors.js';
import type { Value } from '../../compiler/ir/types.js';
import { ConfigReader, describeValue, type ArgumentSite } from '../config-reader.js';
import { type Constraint, type ConstraintSpec, getConstraint, serializeConstraint } from '../constraints.js';
import { getInitializer, type Initializer, type InitializerSpec, serializeInitializer } from '../initializers.js';
import { defaultName, KerasConfig, KerasConfigValue, Layer, LayerDType, LayerWeight, LowerCall } from '../layer.js';
import { getRegularizer, type Regularizer, type RegularizerSpec, serializeRegularizer } from '../regularizers.js';
import type { UserShape } from '../symbolic.js';
import { type ActivationName, type ActivationSpec, applyActivation, autocast, expectFloatInput, readActivation } from './activation.js';
import { readBaseArgs } from './base-args.js';

// ---------------------------------------------------------------------------------------------
// kernel_* / bias_* arguments, shared by Dense and Conv2D.

/** The kernel and bias arguments of Dense and Conv2D (keras defaults glorot_uniform / zeros). */
export interface KernelBiasArgs {
  readonly kernelInitializer?: InitializerSpec;
  readonly biasInitializer?: InitializerSpec;
  readonly kernelRegularizer?: RegularizerSpec | null;
  readonly biasRegularizer?: RegularizerSpec | null;
  readonly kernelConstraint?: ConstraintSpec | null;
  readonly biasConstraint?: ConstraintSpec | null;
}

export interface KernelBias {
  readonly kernelInitializer: Initializer;
  readonly biasInitializer: Initializer;
  readonly kernelRegularizer: Regularizer | undefined;
  readonly biasRegularizer: Regularizer | undefined;
  readonly kernelConstraint: Constraint | undefined;
  readonly biasConstraint: Constraint | undefined;
}

export const KERNEL_BIAS_KEYS = [
  'kernel_initializer', 'bias_initializer', 'kernel_regularizer', 'bias_regularizer', 'kernel_constraint', 'bias_constraint',
] as const;

/**
 * Keys Keras configs carry that kiln accepts only at their defaults: activity regularization (a loss
 * on the outputs), LoRA and quantization are not implemented.
 */
export const UNSUPPORTED_NULL_KEYS = ['activity_regularizer', 'lora_rank', 'lora_alpha', 'quantization_config'] as const;

export function rejectUnsupported(r: ConfigReader, keys: readonly string[]): void {
  for (const key of keys) {
    const v = r.raw(key);
    if (v !== undefined && v !== null) r.fail(key, 'null (not supported by kiln)', v);
  }
}

export function readKernelBias(r: ConfigReader, where: ArgumentSite): KernelBias {
  const init = (key: string, fallback: InitializerSpec): Initializer =>
    getInitializer((r.raw(key) as InitializerSpec | undefined) ?? fallback, { ...where, argument: key });
  const reg = (key: string): Regularizer | undefined => {
    const spec = r.raw(key) as RegularizerSpec | null | undefined;
    return spec == null ? undefined : getRegularizer(spec, { ...where, argument: key });
  };
  const con = (key: string): Constraint | undefined => {
    const spec = r.raw(key) as ConstraintSpec | null | undefined;
    return spec == null ? undefined : getConstraint(spec, { ...where, argument: key });
  };
  return {
    kernelInitializer: init('kernel_initializer', 'glorot_uniform'),
    biasInitializer: init('bias_initializer', 'zeros'),
    kernelRegularizer: reg('kernel_regularizer'),
    biasRegularizer: reg('bias_regularizer'),
    kernelConstraint: con('kernel_constraint'),
    biasConstraint: con('bias_constraint'),
  };
}

function serialized(s: { className: string; config: Readonly<Record<string, KerasConfigValue>> } | undefined): KerasConfigValue {
  return s === undefined ? null : { class_name: s.className, config: { ...s.config } };
}

/** The kernel_* / bias_* part of a Keras config. */
export function kernelBiasConfig(k: KernelBias): KerasConfig {
  return {
    kernel_initializer: serialized(serializeInitializer(k.kernelInitializer)),
    bias_initializer: serialized(serializeInitializer(k.biasInitializer)),
    kernel_regularizer: serialized(k.kernelRegularizer && serializeRegularizer(k.kernelRegularizer)),
    bias_regularizer: serialized(k.biasRegularizer && serializeRegularizer(k.biasRegularizer)),
    kernel_constraint: serialized(k.kernelConstraint && serializeConstraint(k.kernelConstraint)),
    bias_constraint: serialized(k.biasConstraint && serializeConstraint(k.biasConstraint)),
  };
}

/** A required positive integer argument (Dense units, Conv2D filters). */
export function readPositiveInt(r: ConfigReader, key: string): number {
  const v = r.raw(key);
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) r.fail(key, 'a positive integer (required)', v);
  return v;
}

// ---------------------------------------------------------------------------------------------
// Dense.

export interface DenseArgs extends KernelBiasArgs {
  /** Required: size of the last output axis. */
  readonly units: number;
  readonly activation?: ActivationSpec;
  readonly useBias?: boolean;
  readonly name?: string;
  readonly trainable?: boolean;
  readonly dtype?: LayerDType;
  /** Keras snake_case spellings are accepted as well (use_bias, kernel_initializer, ...). */
  readonly [snakeCase: string]: unknown;
}

const KEYS = ['name', 'trainable', 'dtype', 'units', 'activation', 'use_bias', ...KERNEL_BIAS_KEYS, ...UNSUPPORTED_NULL_KEYS] as const;

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
    const name = typeof args.name === 'string' ? args.name : defaultName('dense');
    const where: ArgumentSite = { op: 'Dense layer', node: name, argument: '' };
    const r = new ConfigReader('Dense', args, where, KEYS);
    super(readBaseArgs(r, name), 'dense');
    this.units = readPositiveInt(r, 'units');
    this.activation = readActivation(r, 'activation');
    this.useBias = r.boolean('use_bias', true);
    this.args = readKernelBias(r, where);
    rejectUnsupported(r, UNSUPPORTED_NULL_KEYS);
  }

  /** Keras InputSpec(min_ndim=2, axes={-1: input_dim}); a float input is cast to the layer dtype. */
  computeOutput(inputs: readonly { shape: UserShape; dtype: DType }[]): { shape: UserShape; dtype: DType } {
    if (inputs.length !== 1) throw new ArgumentError(this.site, 'inputs', '1 input tensor', `${inputs.length}`);
    const { shape, dtype } = inputs[0];
    expectFloatInput(this.site, 'inputs', dtype);
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
