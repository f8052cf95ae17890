// Runs a layer DAG eagerly: one IR graph and session per (mode, mask kind), fed with the layers'
// current weights; after a training run the moving statistics are assigned back to the layers.

import { Tensor } from 'onnxruntime-common';
import { FeedError } from '../core/errors.js';
import { F64Tensor, fromOrtTensor, HostTensor, toOrtTensor } from '../core/tensor.js';
import { runReference } from '../runtime/reference.js';
import { GraphSession } from '../runtime/graph-session.js';
import type { CallOptions } from './layer.js';
import { LayerGraphSpec, LoweredLayerGraph, lowerLayerGraph } from './layer-graph.js';

export interface LayerRunResult {
  readonly outputs: Tensor[];
  readonly graph: LoweredLayerGraph;
}

export class LayerRunner {
  private readonly cache = new Map<string, { lowered: LoweredLayerGraph; session: GraphSession }>();

  constructor(private readonly spec: LayerGraphSpec) {}

  /** The lowered graph for a mode (for export and inspection). */
  lowered(training: boolean, mask?: Tensor): LoweredLayerGraph {
    return this.prepare(training, mask).lowered;
  }

  run(inputs: readonly Tensor[], options: CallOptions = {}): LayerRunResult {
    const { lowered, session } = this.prepare(options.training ?? false, options.mask);
    const out = session.runHost(this.feeds(lowered, inputs, options));
    for (const [name, w] of lowered.updates) w.value = out[name];
    return { outputs: lowered.outputNames.map((n) => toOrtTensor(out[n])), graph: lowered };
  }

  /** The same pass on the float64 reference interpreter (no state is updated): the oracle. */
  reference(inputs: readonly Tensor[], options: CallOptions = {}): F64Tensor[] {
    const { lowered } = this.prepare(options.training ?? false, options.mask);
    const res = runReference(lowered.graph, this.feeds(lowered, inputs, options));
    return lowered.outputNames.map((n) => res.outputs[n]);
  }

  private feeds(lowered: LoweredLayerGraph, inputs: readonly Tensor[], options: CallOptions): Record<string, HostTensor> {
    if (inputs.length !== this.spec.inputs.length) {
      throw new FeedError(`model '${this.spec.name}': expected ${this.spec.inputs.length} input tensor(s), got ${inputs.length}`);
    }
    const feeds: Record<string, HostTensor> = {};
    inputs.forEach((t, i) => (feeds[lowered.inputNames[i]] = fromOrtTensor(t, `model '${this.spec.name}' input ${i}`)));
    if (lowered.maskInput !== undefined && options.mask !== undefined) feeds[lowered.maskInput] = fromOrtTensor(options.mask, `model '${this.spec.name}' mask`);
    for (const [name, w] of lowered.weightInputs) feeds[name] = w.value;
    return feeds;
  }

  private prepare(training: boolean, mask: Tensor | undefined): { lowered: LoweredLayerGraph; session: GraphSession } {
    const maskSpec = mask === undefined ? undefined : { dtype: fromOrtTensor(mask, 'mask').dtype, rank: mask.dims.length };
    const key = `${training}|${maskSpec ? `${maskSpec.dtype}:${maskSpec.rank}` : '-'}`;
    let entry = this.cache.get(key);
    if (entry === undefined) {
      const lowered = lowerLayerGraph(this.spec, training, maskSpec);
      entry = { lowered, session: new GraphSession(lowered.graph) };
      this.cache.set(key, entry);
    }
    return entry;
  }
}
