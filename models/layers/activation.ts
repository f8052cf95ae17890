// Keras 3 activations that kiln lowers (keras/src/activations/activations.py) and the Activation layer
// (keras/src/layers/activations/activation.py); also the float-input autocast shared by kiln's layers.

import type { DType } from '../../core/dtype.js';
import { ArgumentError } from '../../core/errors.js';
import type { GraphBuilder } from '../../compiler/ir/builder.js';
import type { Value } from '../../compiler/ir/types.js';
import { type ConfigReader, describeValue, isRecord } from '../config-reader.js';
import { KerasConfig, Layer, LayerDType, LowerCall } from '../layer.js';
import type { UserShape } from '../symbolic.js';
import { type LayerOptions, openLayerArgs } from './base-args.js';
import { castTo } from './helpers.js';
import { singleFloatInput } from './layer-inputs.js';

export const ACTIVATIONS = ['linear', 'relu', 'sigmoid', 'tanh', 'softmax'] as const;
export type ActivationName = (typeof ACTIVATIONS)[number];

/**
 * An activation argument: a name, null/undefined for 'linear' (keras activations.get(None)), or the
 * Keras serialized-function form {class_name: 'function', config: 'relu'}.
 */
export type ActivationSpec = ActivationName | null | { readonly class_name: 'function'; readonly config: ActivationName };

function isActivationName(s: unknown): s is ActivationName {
  return typeof s === 'string' && (ACTIVATIONS as readonly string[]).includes(s);
}

/** keras activations.get for the activations kiln lowers: the name, or undefined when not one of them. */
export function parseActivation(v: unknown): ActivationName | undefined {
  if (v === null || v === undefined) return 'linear';
  const name = isRecord(v) && v.class_name === 'function' ? v.config : v;
  return isActivationName(name) ? name : undefined;
}

const EXPECTED = `an activation, one of ${ACTIVATIONS.map((a) => `'${a}'`).join(', ')} or null`;

/** Reads an activation argument; anything kiln does not lower is an ArgumentError. */
export function readActivation(r: ConfigReader, key: string): ActivationName {
  const v = r.raw(key);
  const name = parseActivation(v);
  if (name === undefined) r.fail(key, EXPECTED, v);
  return name;
}

/**
 * Emit `activation(x)`; 'linear' emits nothing. Softmax runs over the last axis, the keras
 * activations.softmax default (axis=-1).
 */
export function applyActivation(b: GraphBuilder, x: Value, activation: ActivationName, name: string): Value {
  switch (activation) {
    case 'linear': return x;
    case 'relu': return b.op('Relu', [x], {}, name);
    case 'sigmoid': return b.op('Sigmoid', [x], {}, name);
    case 'tanh': return b.op('Tanh', [x], {}, name);
    case 'softmax': return b.op('Softmax', [x], { axis: -1 }, name);
  }
}

/** The layer's compute dtype for a float input (autocast), as a graph value. */
export function autocast(b: GraphBuilder, x: Value, dtype: LayerDType, name: string): Value {
  return castTo(b, x, dtype, name);
}

export interface ActivationArgs extends LayerOptions {
  /** Required, as in Keras (`Activation(activation)`). */
  readonly activation: ActivationSpec;
}

const KEYS = ['name', 'trainable', 'dtype', 'activation'] as const;

/** keras.layers.Activation: applies an activation function to its input. */
export class Activation extends Layer {
  readonly className = 'Activation';
  override readonly supportsMasking = true;
  readonly activation: ActivationName;

  constructor(args: ActivationArgs) {
    const { reader: r, base } = openLayerArgs('Activation', 'activation', args, KEYS);
    super(base, 'activation');
    // Keras Activation(activation) has no default.
    if (r.raw('activation') === undefined) r.fail('activation', `${EXPECTED} (required)`, undefined);
    this.activation = readActivation(r, 'activation');
  }

  computeOutput(inputs: readonly { shape: UserShape; dtype: DType }[]): { shape: UserShape; dtype: DType } {
    return { shape: singleFloatInput(this.site, inputs).shape, dtype: this.dtype };
  }

  lower(call: LowerCall, inputs: readonly Value[]): Value {
    const b = call.builder;
    const x = autocast(b, inputs[0], this.dtype, `${this.name}/cast_inputs`);
    const y = applyActivation(b, x, this.activation, this.name);
    // A linear activation still gets a node, so the layer has an output value of its own.
    return y === inputs[0] ? b.op('Identity', [y], {}, this.name) : y;
  }

  protected layerConfig(): KerasConfig {
    return { activation: this.activation };
  }

  static fromConfig(config: KerasConfig): Activation {
    const activation = parseActivation(config.activation);
    if (activation === undefined || config.activation === undefined) {
      const site = { op: 'Activation layer', node: typeof config.name === 'string' ? config.name : 'activation' };
      throw new ArgumentError(site, 'activation', `${EXPECTED} (required)`, describeValue(config.activation));
    }
    return new Activation({ ...config, activation });
  }
}
