// onnxruntime-node, CPU execution provider, graph optimization level 'all', sequential execution,
// intra-op threads 1 or 2 (inter-op 1). It loads the workload's ONNX bytes (kiln's exporter, opset 15).

import * as ort from 'onnxruntime-node';
import type { BuiltWorkload } from '../workloads/types.js';
import type { Peer, PeerRunner } from './types.js';
import { ortSessionRunner } from './ort-runner.js';

export function ortNodeOptions(threads: number): ort.InferenceSession.SessionOptions {
  return { executionProviders: ['cpu'], graphOptimizationLevel: 'all', executionMode: 'sequential', intraOpNumThreads: threads, interOpNumThreads: 1 };
}

export class OrtNodePeer implements Peer {
  readonly role = 'peer' as const;
  readonly id: string;
  readonly label: string;
  readonly short: string;

  constructor(private readonly threads: number) {
    this.id = `ort-node-${threads}`;
    this.label = `onnxruntime-node (${threads} thread${threads === 1 ? '' : 's'})`;
    this.short = `ORT-node ×${threads}`;
  }

  async init(): Promise<string | undefined> {
    return undefined;
  }

  skipReason(): string | undefined {
    return undefined;
  }

  async prepare(_w: unknown, built: BuiltWorkload): Promise<PeerRunner> {
    const session = await ort.InferenceSession.create(built.onnx(), ortNodeOptions(this.threads));
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(built.feeds)) feeds[name] = new ort.Tensor('float32', t.data as Float32Array, [...t.dims]);
    return ortSessionRunner(session, feeds);
  }

  notes(): string[] {
    return [`CPU EP, graphOptimizationLevel 'all', intraOpNumThreads ${this.threads}, interOpNumThreads 1, sequential`];
  }
}
