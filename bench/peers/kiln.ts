// kiln itself: GraphSession on the CPU backend (kernels rendered to JavaScript), and — when the
// runtime has it — the WebAssembly backend, float32 lanes, in two ways: through session.run (inputs
// copied into the backend's memory and outputs copied out on every call, like every other JavaScript
// peer) and through an IoBinding (GraphSession.bind: the input written once into resident memory, each
// timed call runs the kernels only and the output is read in place). The wasm backend is detected at
// run time: a session is created and run on a tiny graph; BackendUnavailableError marks it unavailable.

import { Tensor } from 'onnxruntime-common';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import type { Graph } from '../../compiler/ir/types.js';
import { BackendUnavailableError } from '../../core/errors.js';
import { hostTensor } from '../../core/tensor.js';
import { GraphSession, type GraphSessionOptions } from '../../runtime/graph-session.js';
import type { BuiltWorkload } from '../workloads/types.js';
import { ortSessionRunner } from './ort-runner.js';
import type { Peer, PeerRunner } from './types.js';

/** How a kiln peer runs: backend, threads (wasm) and whether its I/O is resident (IoBinding). */
export interface KilnMode {
  readonly backend: 'cpu' | 'wasm';
  readonly threads?: number;
  readonly bound?: boolean;
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

function sessionOptions(mode: KilnMode): GraphSessionOptions {
  return mode.backend === 'cpu' ? { backend: 'cpu' } : { backend: 'wasm', threads: mode.threads ?? 1, precision: 'float32' };
}

function bindRunner(session: GraphSession, built: BuiltWorkload): PeerRunner {
  const io = session.bind(Object.fromEntries(Object.entries(built.feeds).map(([k, t]) => [k, t.dims])));
  for (const [k, t] of Object.entries(built.feeds)) io.input(k).data.set(t.data as never);
  const first = session.outputNames[0];
  return {
    run: async () => {
      io.run();
    },
    output: () => io.outputs[first].data as Float32Array,
    dispose: async () => session.release(),
  };
}

export class KilnPeer implements Peer {
  readonly role = 'kiln' as const;
  readonly id: string;
  readonly label: string;
  readonly short: string;

  constructor(private readonly mode: KilnMode) {
    const threads = mode.threads ?? 1;
    const bound = mode.bound === true;
    this.id = mode.backend === 'cpu' ? 'kiln-cpu' : `kiln-wasm-${threads}${bound ? '-io' : ''}`;
    this.label = mode.backend === 'cpu' ? 'kiln (cpu JS)' : `kiln (wasm, ${threads} thread${threads === 1 ? '' : 's'}, ${bound ? 'IoBinding' : 'session.run'})`;
    this.short = mode.backend === 'cpu' ? 'kiln cpu' : `kiln wasm ×${threads}${bound ? ' io' : ''}`;
  }

  async init(): Promise<string | undefined> {
    try {
      const session = new GraphSession(tinyGraph(), sessionOptions(this.mode));
      try {
        await session.run({ x: new Tensor('float32', new Float32Array(24).fill(1), [2, 3, 2, 2]) });
      } finally {
        session.release();
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
    const session = new GraphSession(built.graph, sessionOptions(this.mode));
    return this.mode.bound === true ? bindRunner(session, built) : ortSessionRunner(session, toOrtFeeds(built));
  }

  notes(): string[] {
    if (this.mode.backend === 'cpu') return ['GraphSession({ backend: "cpu" }) (fused kernels, memory plan on), fed and read through session.run with onnxruntime-common Tensors'];
    const options = `GraphSession({ backend: "wasm", threads: ${this.mode.threads ?? 1}, precision: "float32" })`;
    if (this.mode.bound !== true) return [`${options}, fed and read through session.run with onnxruntime-common Tensors (a copy in and a new output array out per call)`];
    return [`${options}.bind(): the input is written once into the backend's memory; each call runs the kernels and the output is read in place (no copies). onnxruntime-node has no such API for CPU tensors: with 1.30.0, pre-allocated fetches are not computed in (the result comes back in a new array)`];
  }
}
