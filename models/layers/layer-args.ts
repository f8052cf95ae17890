// Weight and output arguments layers share: initializer / regularizer / constraint arguments read by
// their Keras key and written back in config form, the kernel_* / bias_* group and activation of Dense
// and Conv2D, required positive integers, and keys kiln accepts only at their null defaults.

import type { ConfigReader } from '../config-reader.js';
import { type Constraint, type ConstraintSpec, getConstraint, serializeConstraint } from '../constraints.js';
import { getInitializer, type Initializer, type InitializerSpec, serializeInitializer } from '../initializers.js';
import type { KerasConfig, KerasConfigValue } from '../layer.js';
import { getRegularizer, type Regularizer, type RegularizerSpec, serializeRegularizer } from '../regularizers.js';
import { type ActivationName, type ActivationSpec, readActivation } from './activation.js';

// ---------------------------------------------------------------------------------------------
// One weight's initializer, regularizer and constraint arguments.

/** keras.initializers.get of the argument `key`, `fallback` when absent. */
export function readInitializer(r: ConfigReader, key: string, fallback: InitializerSpec): Initializer {
  return getInitializer((r.raw(key) as InitializerSpec | undefined) ?? fallback, { ...r.where, argument: key });
}

/** keras.regularizers.get of the argument `key`; null or absent means none. */
export function readRegularizer(r: ConfigReader, key: string): Regularizer | undefined {
  const spec = r.raw(key) as RegularizerSpec | null | undefined;
  return spec == null ? undefined : getRegularizer(spec, { ...r.where, argument: key });
}

/** keras.constraints.get of the argument `key`; null or absent means none. */
export function readConstraint(r: ConfigReader, key: string): Constraint | undefined {
  const spec = r.raw(key) as ConstraintSpec | null | undefined;
  return spec == null ? undefined : getConstraint(spec, { ...r.where, argument: key });
}

/** A serialized initializer, regularizer or constraint as a Keras config value; none is null. */
export function serializedArg(s: { className: string; config: Readonly<Record<string, KerasConfigValue>> } | undefined): KerasConfigValue {
  return s === undefined ? null : { class_name: s.className, config: { ...s.config } };
}

// ---------------------------------------------------------------------------------------------
// kernel_* / bias_* and activation arguments, shared by Dense and Conv2D.

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

const KERNEL_BIAS_KEYS = [
  'kernel_initializer', 'bias_initializer', 'kernel_regularizer', 'bias_regularizer', 'kernel_constraint', 'bias_constraint',
] as const;

/**
 * Keys Keras configs carry that kiln accepts only at their defaults: activity regularization (a loss
 * on the outputs), LoRA and quantization are not implemented.
 */
const UNSUPPORTED_NULL_KEYS = ['activity_regularizer', 'lora_rank', 'lora_alpha', 'quantization_config'] as const;

function rejectUnsupported(r: ConfigReader, keys: readonly string[]): void {
  for (const key of keys) {
    const v = r.raw(key);
    if (v !== undefined && v !== null) r.fail(key, 'null (not supported by kiln)', v);
  }
}

function readKernelBias(r: ConfigReader): KernelBias {
  return {
    kernelInitializer: readInitializer(r, 'kernel_initializer', 'glorot_uniform'),
    biasInitializer: readInitializer(r, 'bias_initializer', 'zeros'),
    kernelRegularizer: readRegularizer(r, 'kernel_regularizer'),
    biasRegularizer: readRegularizer(r, 'bias_regularizer'),
    kernelConstraint: readConstraint(r, 'kernel_constraint'),
    biasConstraint: readConstraint(r, 'bias_constraint'),
  };
}

/** The kernel_* / bias_* part of a Keras config. */
export function kernelBiasConfig(k: KernelBias): KerasConfig {
  return {
    kernel_initializer: serializedArg(serializeInitializer(k.kernelInitializer)),
    bias_initializer: serializedArg(serializeInitializer(k.biasInitializer)),
    kernel_regularizer: serializedArg(k.kernelRegularizer && serializeRegularizer(k.kernelRegularizer)),
    bias_regularizer: serializedArg(k.biasRegularizer && serializeRegularizer(k.biasRegularizer)),
    kernel_constraint: serializedArg(k.kernelConstraint && serializeConstraint(k.kernelConstraint)),
    bias_constraint: serializedArg(k.biasConstraint && serializeConstraint(k.biasConstraint)),
  };
}

/** The activation, use_bias and kernel_* / bias_* options of Dense and Conv2D. */
export interface OutputOptions extends KernelBiasArgs {
  readonly activation?: ActivationSpec;
  readonly useBias?: boolean;
}

/** The config keys readOutputArgs reads, in Keras's order. */
export const OUTPUT_KEYS = ['activation', 'use_bias', ...KERNEL_BIAS_KEYS, ...UNSUPPORTED_NULL_KEYS] as const;

/** What Dense and Conv2D read after their own arguments. */
export interface OutputArgs {
  readonly activation: ActivationName;
  readonly useBias: boolean;
  readonly args: KernelBias;
}

/** activation, use_bias and the kernel_* / bias_* group, in Keras's order; the unsupported keys must be null. */
export function readOutputArgs(r: ConfigReader): OutputArgs {
  const activation = readActivation(r, 'activation');
  const useBias = r.boolean('use_bias', true);
  const args = readKernelBias(r);
  rejectUnsupported(r, UNSUPPORTED_NULL_KEYS);
  return { activation, useBias, args };
}

/** A required positive integer argument (Dense units, Conv2D filters). */
export function readPositiveInt(r: ConfigReader, key: string): number {
  const v = r.raw(key);
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) r.fail(key, 'a positive integer (required)', v);
  return v;
}
