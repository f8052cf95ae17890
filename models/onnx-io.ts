// Keras-style models to and from ONNX. Export freezes the weights into initializers, writes the
// training or inference graph (training graphs output the new moving statistics), and stores the
// model's functional config in metadata so that import rebuilds the same layers with the same
// (bit-exact) weights. Files without that metadata import as plain graphs.

import type { Tensor } from 'onnxruntime-common';
import { OnnxImportError } from '../core/errors.js';
import type { HostTensor } from '../core/tensor.js';
import type { Graph } from '../compiler/ir/types.js';
import { exportModel, importModel } from '../compiler/onnx/index.js';
import { freezeInputs } from '../compiler/passes/freeze-inputs.js';
import { initializersByName } from '../compiler/ir/values.js';
import { GraphSession } from '../runtime/graph-session.js';
import type { Model } from './model.js';
import { type FunctionalConfig, modelFromConfig, modelToConfig } from './model-config.js';

/** metadata_props key holding the Keras-style functional config. */
export const KERAS_METADATA_KEY = 'kiln.keras_model';

export interface ExportOnnxOptions {
  /** ONNX opset: 15 (default), 14 or 9 (inference only). */
  readonly opset?: number;
  /** Export the training-mode graph (batch statistics, running statistics as extra outputs). */
  readonly training?: boolean;
}

export function exportOnnx(model: Model, options: ExportOnnxOptions = {}): Uint8Array {
  const lowered = model.lowered({ training: options.training ?? false });
  const weights = new Map<string, HostTensor>([...lowered.weightInputs].map(([name, w]) => [name, w.value]));
  // Weights stay as the layers hold them (Conv2D keeps its Keras kernel layout behind a Transpose on
  // the weight), so import can restore them bit-exact; `kiln compile` folds such weight arithmetic.
  const graph = freezeInputs(lowered.graph, weights);
  const metadata = new Map(graph.metadata);
  metadata.set(KERAS_METADATA_KEY, JSON.stringify(modelToConfig(model)));
  return exportModel(graph, { opset: options.opset ?? 15, metadata, producer: 'kiln' });
}

export interface ImportedModel {
  readonly graph: Graph;
  /** The rebuilt Keras-style model when the file was written by exportOnnx, else undefined. */
  readonly keras: Model | undefined;
  /** Run the imported graph itself (as stored in the file). */
  run(feeds: Readonly<Record<string, Tensor>>): Promise<Record<string, Tensor>>;
}

export function importOnnx(bytes: Uint8Array, options: { baseDir?: string } = {}): ImportedModel {
  const { graph, metadata } = importModel(bytes, options);
  const session = new GraphSession(graph);
  const json = metadata.get(KERAS_METADATA_KEY);
  let keras: Model | undefined;
  if (json !== undefined) {
    let cfg: FunctionalConfig;
    try {
      cfg = JSON.parse(json) as FunctionalConfig;
    } catch (e) {
      throw new OnnxImportError(`metadata '${KERAS_METADATA_KEY}' is not valid JSON: ${(e as Error).message}`);
    }
    keras = modelFromConfig(cfg);
    const byName = initializersByName(graph);
    for (const layer of keras.layers) {
      for (const w of layer.weights) {
        const key = `${layer.name}/${w.name}`;
        const t = byName.get(key);
        if (t === undefined) throw new OnnxImportError(`layer '${layer.name}': weight '${w.name}' has no initializer named '${key}' in the file`);
        if (t.dtype !== w.value.dtype || t.dims.join() !== w.value.dims.join()) {
          throw new OnnxImportError(`layer '${layer.name}': initializer '${key}' is ${t.dtype}[${t.dims}] but the layer expects ${w.value.dtype}[${w.value.dims}]`);
        }
        w.value = t;
      }
    }
  }
  return { graph, keras, run: (feeds) => session.run(feeds) };
}
