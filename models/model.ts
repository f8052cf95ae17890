// Functional and sequential models (Keras Model / Sequential): a DAG of layer applications between
// symbolic inputs and outputs, run eagerly through LayerRunner in training or inference form.

import type { Tensor } from 'onnxruntime-common';
import type { DType } from '../core/dtype.js';
import { ArgumentError } from '../core/errors.js';
import type { Graph } from '../compiler/ir/types.js';
import type { F64Tensor } from '../core/tensor.js';
import { CallOptions, defaultName, KerasConfig, Layer } from './layer.js';
import { LayerRunner } from './layer-runner.js';
import type { LoweredLayerGraph } from './layer-graph.js';
import { applicationOrder, SymbolicTensor, UserShape } from './symbolic.js';

export interface InputArgs {
  /** Shape without the batch dimension (Keras `shape`); null for unknown sizes. */
  readonly shape: UserShape;
  readonly batchSize?: number | null;
  readonly dtype?: DType;
  readonly name?: string;
}

/** Keras `Input`: a symbolic model input. */
export function input(args: InputArgs): SymbolicTensor {
  return new SymbolicTensor([args.batchSize ?? null, ...args.shape], args.dtype ?? 'float32', undefined, args.name ?? defaultName('input_layer'));
}

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

export class Model {
  readonly name: string;
  readonly inputs: readonly SymbolicTensor[];
  readonly outputs: readonly SymbolicTensor[];
  private runner: LayerRunner | undefined;

  constructor(args: { inputs: SymbolicTensor | readonly SymbolicTensor[]; outputs: SymbolicTensor | readonly SymbolicTensor[]; name?: string }) {
    this.name = args.name ?? defaultName('functional');
    this.inputs = args.inputs instanceof SymbolicTensor ? [args.inputs] : [...args.inputs];
    this.outputs = args.outputs instanceof SymbolicTensor ? [args.outputs] : [...args.outputs];
  }

  /** The output shape of a layer's (first) application in this model. */
  outputShapeOf(layer: Layer): UserShape | undefined {
    return applicationOrder(this.outputs).find((t) => t.source?.layer === layer)?.shape;
  }

  /** Layers in application order. */
  get layers(): Layer[] {
    return unique(applicationOrder(this.outputs).flatMap((t) => (t.source ? [t.source.layer] : [])));
  }

  protected getRunner(): LayerRunner {
    this.runner ??= new LayerRunner({ name: this.name, inputs: this.inputs, outputs: this.outputs });
    return this.runner;
  }

  /** Keras `model(x, training=..., mask=...)`: one forward pass; training updates moving statistics. */
  call(x: Tensor | readonly Tensor[], options: CallOptions = {}): Tensor {
    const outs = this.callAll(x, options);
    if (outs.length !== 1) throw new ArgumentError({ op: 'Model', node: this.name }, 'outputs', 'a single-output model for call() (use callAll)', `${outs.length} outputs`);
    return outs[0];
  }

  callAll(x: Tensor | readonly Tensor[], options: CallOptions = {}): Tensor[] {
    const list = Array.isArray(x) ? [...(x as readonly Tensor[])] : [x as Tensor];
    return this.getRunner().run(list, options).outputs;
  }

  /** The float64 reference interpreter's outputs for the same pass (state is not updated). */
  reference(x: Tensor | readonly Tensor[], options: CallOptions = {}): F64Tensor[] {
    const list = Array.isArray(x) ? [...(x as readonly Tensor[])] : [x as Tensor];
    return this.getRunner().reference(list, options);
  }

  /** Keras `predict`: inference mode. */
  predict(x: Tensor | readonly Tensor[]): Tensor {
    return this.call(x, { training: false });
  }

  /** The IR graph of one mode (training graphs also output the moving-statistic updates). */
  graph(options: { training?: boolean } = {}): Graph {
    return this.lowered(options).graph;
  }

  /** The graph of one mode with its weight inputs and state-update outputs. */
  lowered(options: { training?: boolean } = {}): LoweredLayerGraph {
    return this.getRunner().lowered(options.training ?? false);
  }

  /** All weights in layer order (Keras `model.get_weights()`). */
  getWeights(): Tensor[] {
    return this.layers.flatMap((l) => l.getWeights());
  }

  /** Regularization losses of every layer. */
  get losses(): number[] {
    return this.layers.flatMap((l) => l.losses);
  }

  getConfig(): KerasConfig {
    return { name: this.name, layers: this.layers.map((l) => ({ class_name: l.className, config: l.getConfig() })) };
  }
}

/** Keras Sequential: layers applied in order to one input. */
export class Sequential extends Model {
  constructor(args: { layers: readonly Layer[]; inputShape: UserShape; inputDType?: DType; name?: string }) {
    const inp = input({ shape: args.inputShape, dtype: args.inputDType ?? 'float32', name: 'input' });
    if (args.layers.length === 0) throw new ArgumentError({ op: 'Sequential', node: args.name ?? 'sequential' }, 'layers', 'at least one layer', 'none');
    let t = inp;
    for (const l of args.layers) t = l.apply(t);
    super({ inputs: inp, outputs: t, name: args.name ?? defaultName('sequential') });
  }
}
