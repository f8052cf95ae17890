// kiln's InferenceSession: load an ONNX model (path or bytes), run it on a kiln backend, with
// onnxruntime-common's shapes: `create(pathOrBytes, options)`, `run(feeds, fetches?)`, input/output
// names and metadata. Feeds and results are onnxruntime-common Tensors.

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { InferenceSession as OrtInferenceSession, Tensor } from 'onnxruntime-common';
import { FeedError, OnnxImportError } from '../core/errors.js';
import type { Graph } from '../compiler/ir/types.js';
import { importModel, type ImportOptions } from '../compiler/onnx/index.js';
import { GraphSession, type BackendName } from './graph-session.js';

export interface KilnSessionOptions extends Omit<ImportOptions, 'baseDir'> {
  readonly backend?: BackendName;
}

function metadataOf(g: Graph, which: 'inputs' | 'outputs'): OrtInferenceSession.ValueMetadata[] {
  return g[which].map((v) => ({
    name: v.name,
    isTensor: true as const,
    // onnxruntime-common has no bfloat16 type: such values cannot cross its Tensor API at all (run()
    // raises a KilnError for them; use GraphSession.runHost), so the closest storage type is shown.
    type: v.type.dtype === 'bfloat16' ? 'float32' : v.type.dtype,
    shape: v.type.shape.map((d) => d),
  }));
}

export class InferenceSession {
  private constructor(
    readonly graph: Graph,
    private readonly session: GraphSession,
  ) {}

  /** Load a model from a file path (external data resolved next to it) or from bytes. */
  static async create(pathOrBytes: string | Uint8Array | ArrayBuffer, options: KilnSessionOptions = {}): Promise<InferenceSession> {
    return InferenceSession.createSync(pathOrBytes, options);
  }

  static createSync(pathOrBytes: string | Uint8Array | ArrayBuffer, options: KilnSessionOptions = {}): InferenceSession {
    let bytes: Uint8Array;
    let baseDir: string | undefined;
    if (typeof pathOrBytes === 'string') {
      try {
        bytes = readFileSync(pathOrBytes);
      } catch (e) {
        throw new OnnxImportError(`cannot read model file '${pathOrBytes}': ${(e as Error).message}`);
      }
      baseDir = dirname(resolve(pathOrBytes));
    } else {
      bytes = pathOrBytes instanceof Uint8Array ? pathOrBytes : new Uint8Array(pathOrBytes);
    }
    const { graph } = importModel(bytes, { ...options, baseDir });
    return new InferenceSession(graph, new GraphSession(graph, { backend: options.backend ?? 'cpu' }));
  }

  get inputNames(): readonly string[] {
    return this.graph.inputs.map((v) => v.name);
  }

  get outputNames(): readonly string[] {
    return this.graph.outputs.map((v) => v.name);
  }

  get inputMetadata(): readonly OrtInferenceSession.ValueMetadata[] {
    return metadataOf(this.graph, 'inputs');
  }

  get outputMetadata(): readonly OrtInferenceSession.ValueMetadata[] {
    return metadataOf(this.graph, 'outputs');
  }

  /** Run with feeds by input name; `fetches` (names) selects outputs, all by default. */
  async run(feeds: Readonly<Record<string, Tensor>>, fetches?: readonly string[]): Promise<Record<string, Tensor>> {
    const all = await this.session.run(feeds);
    if (fetches === undefined) return all;
    const out: Record<string, Tensor> = {};
    for (const name of fetches) {
      const t = all[name];
      if (t === undefined) throw new FeedError(`fetch '${name}' is not an output; outputs are ${this.outputNames.map((n) => `'${n}'`).join(', ')}`);
      out[name] = t;
    }
    return out;
  }

  /** Frees backend resources (the wasm backend's worker threads). */
  async release(): Promise<void> {
    this.session.release();
  }
}
