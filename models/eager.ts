// Eager `layer.call(tensors)`: wrap the layer in a one-layer graph (cached per layer) and run it.

import type { Tensor } from 'onnxruntime-common';
import { isDType } from '../core/dtype.js';
import { FeedError } from '../core/errors.js';
import type { CallOptions, Layer } from './layer.js';
import { LayerRunner } from './layer-runner.js';
import { SymbolicTensor } from './symbolic.js';

const runners = new WeakMap<Layer, Map<string, LayerRunner>>();

export function runLayerEagerly(layer: Layer, inputs: readonly Tensor[], options: CallOptions): Tensor {
  const sig = inputs.map((t) => `${t.type}[${t.dims.join(',')}]`).join(';');
  let byLayer = runners.get(layer);
  if (byLayer === undefined) runners.set(layer, (byLayer = new Map()));
  let runner = byLayer.get(sig);
  if (runner === undefined) {
    const symbolic = inputs.map((t, i) => {
      if (!isDType(t.type)) throw new FeedError(`${layer.className} layer '${layer.name}': input ${i} has unsupported type ${t.type}`);
      return new SymbolicTensor(t.dims, t.type, undefined, `input_${i}`);
    });
    const out = layer.apply(symbolic);
    runner = new LayerRunner({ name: layer.name, inputs: symbolic, outputs: [out] });
    byLayer.set(sig, runner);
  }
  return runner.run(inputs, options).outputs[0];
}
