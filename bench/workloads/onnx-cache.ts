// Lazily exported, cached ONNX bytes of a workload graph (opset 15, kiln's own exporter).

import { exportModel } from '../../compiler/onnx/index.js';
import type { Graph } from '../../compiler/ir/types.js';

export function lazyOnnx(graph: Graph): () => Uint8Array {
  let bytes: Uint8Array | undefined;
  return () => (bytes ??= exportModel(graph, { opset: 15, producer: 'kiln-bench' }));
}
