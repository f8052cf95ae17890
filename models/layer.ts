// Base class of Keras-style layers: weights with initializers, regularizers and constraints, config
// round-trips, and a `lower` method that emits the layer's IR nodes for a training or inference graph.

import { Tensor } from 'onnxruntime-common';
import type { DType } from '../core/dtype.js';
import { ArgumentError, ErrorSite } from '../core/errors.js';
import { fromFloat64, HostTensor, toFloat64, toOrtTensor } from '../core/tensor.js';
import type { GraphBuilder } from '../compiler/ir/builder.js';
import type { Value } from '../compiler/ir/types.js';
import type { Constraint } from './constraints.js';
import type { Initializer } from './initializers.js';
import type { Regularizer } from './regularizers.js';
import { SymbolicTensor, UserShape } from './symbolic.js';
import { runLayerEagerly } from './eager.js';

export type LayerDType = 'float32' | 'float64' | 'float16';
export const LAYER_DTYPES: readonly LayerDType[] = ['float32', 'float64', 'float16'];

/** A Keras-style config: snake_case keys, JSON values. */
export type KerasConfig = { [key: string]: KerasConfigValue };
export type KerasConfigValue = string | number | boolean | null | readonly KerasConfigValue[] | KerasConfig;

export interface LayerWeight {
  readonly name: string;
  value: HostTensor;
  readonly trainable: boolean;
  readonly regularizer: Regularizer | undefined;
  readonly constraint: Constraint | undefined;
}

export interface BaseLayerArgs {
  readonly name?: string;
  readonly trainable?: boolean;
  readonly dtype?: LayerDType;
}

/** What a layer sees while it emits its nodes. */
export interface LowerCall {
  readonly builder: GraphBuilder;
  readonly training: boolean;
  /** Graph value carrying a weight (fed from the layer's current state). */
  weight(w: LayerWeight): Value;
  /** Record a state update: after the run, `w` takes the value of `v`. */
  update(w: LayerWeight, v: Value): void;
}

export interface CallOptions {
  readonly training?: boolean;
  readonly mask?: Tensor;
}

const usedNames = new Map<string, number>();

/** Keras-style unique default names: batch_normalization, batch_normalization_1, ... */
export function defaultName(base: string): string {
  const n = usedNames.get(base) ?? 0;
  usedNames.set(base, n + 1);
  return n === 0 ? base : `${base}_${n}`;
}

export abstract class Layer {
  /** Keras class name, e.g. 'BatchNormalization'. */
  abstract readonly className: string;
  readonly name: string;
  trainable: boolean;
  readonly dtype: LayerDType;
  /** Keras supports_masking: the layer accepts a mask and passes it on. */
  readonly supportsMasking: boolean = false;
  protected readonly weightList: LayerWeight[] = [];
  private builtShape: UserShape | undefined;

  constructor(args: BaseLayerArgs, snakeBase: string) {
    this.name = args.name ?? defaultName(snakeBase);
    this.trainable = args.trainable ?? true;
    this.dtype = args.dtype ?? 'float32';
    if (!LAYER_DTYPES.includes(this.dtype)) {
      // `className` is not set yet while the base constructor runs: name the layer by its snake base.
      throw new ArgumentError({ op: `${snakeBase} layer`, node: this.name }, 'dtype', `one of ${LAYER_DTYPES.join('|')}`, String(args.dtype));
    }
  }

  get site(): ErrorSite {
    return { op: `${this.className} layer`, node: this.name };
  }

  get built(): boolean {
    return this.builtShape !== undefined;
  }

  /** Create weights for this input shape (once). */
  build(inputShapes: readonly UserShape[]): void {
    if (this.builtShape !== undefined) return;
    this.createWeights(inputShapes);
    this.builtShape = inputShapes[0];
  }

  /** Output shapes and dtypes for these inputs (validates them). */
  abstract computeOutput(inputs: readonly { shape: UserShape; dtype: DType }[]): { shape: UserShape; dtype: DType };

  /** Emit IR nodes; `mask` is a 0/1 float32 value when a mask reaches the layer. */
  abstract lower(call: LowerCall, inputs: readonly Value[], mask: Value | undefined): Value;

  protected createWeights(_inputShapes: readonly UserShape[]): void {}

  /** The layer-specific part of the Keras config (snake_case keys). */
  protected abstract layerConfig(): KerasConfig;

  getConfig(): KerasConfig {
    return { name: this.name, trainable: this.trainable, dtype: this.dtype, ...this.layerConfig() };
  }

  protected addWeight(name: string, shape: readonly number[], init: Initializer, opts: { trainable: boolean; regularizer?: Regularizer; constraint?: Constraint }): LayerWeight {
    const w: LayerWeight = {
      name,
      value: fromFloat64(this.dtype, shape, init.generate(shape)),
      trainable: opts.trainable,
      regularizer: opts.regularizer,
      constraint: opts.constraint,
    };
    this.weightList.push(w);
    return w;
  }

  get weights(): readonly LayerWeight[] {
    return this.weightList;
  }

  /** Weight values in Keras order, as onnxruntime-common Tensors. */
  getWeights(): Tensor[] {
    return this.weightList.map((w) => toOrtTensor(w.value));
  }

  setWeights(values: readonly Tensor[]): void {
    if (values.length !== this.weightList.length) {
      throw new ArgumentError(this.site, 'weights', `${this.weightList.length} tensors (${this.weightList.map((w) => w.name).join(', ')})`, `${values.length}`);
    }
    values.forEach((t, i) => {
      const w = this.weightList[i];
      const want = w.value.dims;
      if (t.dims.length !== want.length || t.dims.some((d, k) => d !== want[k])) {
        throw new ArgumentError(this.site, `weights[${i}] (${w.name})`, `dims [${want.join(',')}]`, `[${t.dims.join(',')}]`);
      }
      const data = t.data as ArrayLike<number>;
      w.value = fromFloat64(this.dtype, want, Float64Array.from(data, Number));
    });
  }

  /**
   * Apply trainable-weight updates, as an optimizer does: each new value then goes through the
   * weight's constraint (Keras applies constraints after every update of a constrained weight).
   */
  updateTrainableWeights(updates: Readonly<Record<string, ArrayLike<number>>>): void {
    for (const [name, values] of Object.entries(updates)) {
      const w = this.weightList.find((x) => x.name === name && x.trainable);
      if (w === undefined) {
        throw new ArgumentError(this.site, 'updates', `names of trainable weights (${this.weightList.filter((x) => x.trainable).map((x) => x.name).join(', ')})`, `'${name}'`);
      }
      if (values.length !== w.value.data.length) {
        throw new ArgumentError(this.site, `updates.${name}`, `${w.value.data.length} values`, `${values.length}`);
      }
      const v = Float64Array.from(values);
      const constrained = w.constraint ? w.constraint.apply(v, w.value.dims) : v;
      w.value = fromFloat64(this.dtype, w.value.dims, constrained);
    }
  }

  /** Regularization penalties of this layer's weights (Keras `layer.losses`), in float64. */
  get losses(): number[] {
    return this.weightList.filter((w) => w.regularizer).map((w) => w.regularizer!.penalty(toFloat64(w.value).data));
  }

  /** Functional API: record an application of this layer to symbolic tensors. */
  apply(inputs: SymbolicTensor | readonly SymbolicTensor[]): SymbolicTensor {
    const list = inputs instanceof SymbolicTensor ? [inputs] : [...inputs];
    const out = this.computeOutput(list.map((t) => ({ shape: t.shape, dtype: t.dtype })));
    this.build(list.map((t) => t.shape));
    return new SymbolicTensor(out.shape, out.dtype, { layer: this, inputs: list, index: 0 }, this.name);
  }

  /** Eager call on concrete tensors (builds a one-layer graph and runs it on the CPU backend). */
  call(inputs: Tensor | readonly Tensor[], options: CallOptions = {}): Tensor {
    return runLayerEagerly(this, isTensorList(inputs) ? [...inputs] : [inputs], options);
  }
}

function isTensorList(x: Tensor | readonly Tensor[]): x is readonly Tensor[] {
  return Array.isArray(x);
}
