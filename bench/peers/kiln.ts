// kiln itself: GraphSession on the CPU backend (kernels rendered to JavaScript), and — when the
// runtime has it — the WebAssembly backend with 1 and 2 threads. The wasm backend is detected at run
// time: a session is created and run on a tiny graph; BackendUnavailableError or an unknown backend
// name marks it unavailable.

import { Tensor } from 'onnxruntime-common';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import type { Graph } from '../../compiler/ir/types.js';
import { BackendUnavailableError } from '../../core/errors.js';
import { hostTensor } from '../../core/tensor.js';
import { GraphSession, type GraphSessionOptions } from '../../runtime/graph-session.js';
import type { BuiltWorkload } from '../workloads/types.js';
import type { Peer, PeerRunner } from './types.js';

/** Session options by backend name, typed loosely so this file compiles before and after 'wasm' lands. */
interface LooseOptions {
  readonly backend: string;
  readonly threads?: number;
}

export function kilnSession(graph: Graph, options: LooseOptions): GraphSession {
  return new GraphSession(graph, options as GraphSessionOptions);
}

/** Frees a session's backend resources (the wasm backend's worker threads). */
function releaseSession(session: GraphSession): void {
  session.release();
}

function tinyGraph(): Graph {
  const b = new GraphBuilder('probe');
  const x = b.input('x', 'float32', [2, 3, 2, 2]);
  const p = (name: string, v: number): ReturnType<GraphBuilder['input']> => b.initializer(name, hostTensor('float32', [3], Float32Array.from([v, v + 0.5, v + 1])));
  const [y] = b.node('BatchNormalization', [x, p('scale', 1), p('B', 0), p('mean', 0.1), p('var', 2)], { epsilon: 1e-5 });
  return b.build([y]);
}

function toOrtFeeds(built: BuiltWorkload): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(built.feeds)) feeds[name] = new Tensor('float32', t.data as Float32Array, [...t.dims]);
  return feeds;
}

export class KilnPeer implements Peer {
  readonly role = 'kiln' as const;
  readonly id: string;
  readonly label: string;
  readonly short: string;

  constructor(
    private readonly backend: 'cpu' | 'wasm',
    private readonly threads?: number,
  ) {
    this.id = backend === 'cpu' ? 'kiln-cpu' : `kiln-wasm-${threads ?? 1}`;
    this.label = backend === 'cpu' ? 'kiln (cpu JS)' : `kiln (wasm, ${threads ?? 1} thread${threads === 1 ? '' : 's'})`;
    this.short = backend === 'cpu' ? 'kiln cpu' : `kiln wasm ×${threads ?? 1}`;
  }

  private options(): LooseOptions {
    return this.backend === 'cpu' ? { backend: 'cpu' } : { backend: this.backend, threads: this.threads ?? 1 };
  }

  async init(): Promise<string | undefined> {
    try {
      const session = kilnSession(tinyGraph(), this.options());
      try {
        await session.run({ x: new Tensor('float32', new Float32Array(24).fill(1), [2, 3, 2, 2]) });
      } finally {
        releaseSession(session);
      }
      return undefined;
    } catch (e) {
      const why = e instanceof BackendUnavailableError ? 'backend unavailable' : `session failed (${(e as Error).name})`;
      return `${why}: ${(e as Error).message}`;
    }
  }

  skipReason(): string | undefined {
    return undefined;
  }

  async prepare(_w: unknown, built: BuiltWorkload): Promise<PeerRunner> {
    const session = kilnSession(built.graph, this.options());
    const feeds = toOrtFeeds(built);
    const first = session.outputNames[0];
    let last: Record<string, Tensor> | undefined;
    return {
      run: async () => {
        last = await session.run(feeds);
      },
      output: () => (last === undefined ? undefined : (last[first].data as Float32Array)),
      dispose: async () => {
        last = undefined;
        releaseSession(session);
      },
    };
  }

  notes(): string[] {
    if (this.backend === 'cpu') return ['GraphSession({ backend: "cpu" }) (fused kernels, memory plan on), fed and read through session.run with onnxruntime-common Tensors'];
    return [`GraphSession({ backend: "wasm", threads: ${this.threads ?? 1} })`];
  }
}
