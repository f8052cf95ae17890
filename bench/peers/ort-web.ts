// onnxruntime-web under Node: the WebAssembly execution provider (SIMD build), ort.env.wasm.numThreads
// set before the first session (it is process-wide). It loads the same ONNX bytes as onnxruntime-node.

import type * as OrtWeb from 'onnxruntime-web';
import type { BuiltWorkload } from '../workloads/types.js';
import type { Peer, PeerRunner } from './types.js';
import { ortSessionRunner } from './ort-runner.js';

export class OrtWebPeer implements Peer {
  readonly role = 'peer' as const;
  readonly id: string;
  readonly label: string;
  readonly short: string;
  private ort: typeof OrtWeb | undefined;

  constructor(private readonly threads: number) {
    this.id = `ort-web-${threads}`;
    this.label = `onnxruntime-web (wasm, ${threads} thread${threads === 1 ? '' : 's'})`;
    this.short = `ORT-web ×${threads}`;
  }

  async init(): Promise<string | undefined> {
    try {
      const ort = await import('onnxruntime-web');
      ort.env.wasm.numThreads = this.threads;
      ort.env.wasm.proxy = false;
      this.ort = ort;
      return undefined;
    } catch (e) {
      return `cannot load onnxruntime-web: ${(e as Error).message}`;
    }
  }

  skipReason(): string | undefined {
    return undefined;
  }

  async prepare(_w: unknown, built: BuiltWorkload): Promise<PeerRunner> {
    const ort = this.ort;
    if (ort === undefined) throw new Error('onnxruntime-web: init() first');
    const session = await ort.InferenceSession.create(built.onnx(), { executionProviders: ['wasm'], graphOptimizationLevel: 'all', executionMode: 'sequential' });
    const feeds: Record<string, OrtWeb.Tensor> = {};
    for (const [name, t] of Object.entries(built.feeds)) feeds[name] = new ort.Tensor('float32', t.data as Float32Array, [...t.dims]);
    return ortSessionRunner(session, feeds);
  }

  notes(): string[] {
    const ort = this.ort;
    const threads = ort === undefined ? this.threads : ort.env.wasm.numThreads;
    return [`wasm EP, ort.env.wasm.numThreads = ${String(threads)}, proxy off, graphOptimizationLevel 'all'; inputs are copied into the wasm heap and outputs out of it on every run`];
  }
}
