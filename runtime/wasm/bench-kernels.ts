// Kernel-level benchmarks of the wasm backend (not tests; used by `bench/` and by hand): BatchNormalization
// inference over a float32 tensor, timed on prepared buffers (the plan's steps only, no feed copies)
// and through GraphSession.runHost (feeds written and outputs read too). Throughput counts the bytes a
// kernel must move: X read once and Y written once.

import { performance } from 'node:perf_hooks';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import type { Graph } from '../../compiler/ir/types.js';
import { compilePlan } from '../../compiler/lowering/compile-plan.js';
import { sizeOf } from '../../core/shape.js';
import { fromFloat64, HostTensor } from '../../core/tensor.js';
import type { Backend } from '../backend.js';
import { CpuBackend } from '../cpu/cpu-backend.js';
import { GraphSession } from '../graph-session.js';
import { Precision, WasmBackend } from './wasm-backend.js';

export interface KernelBenchOptions {
  readonly dims?: readonly number[];
  readonly backend?: 'wasm' | 'cpu';
  readonly threads?: number;
  readonly precision?: Precision;
  readonly warmup?: number;
  readonly iterations?: number;
}

export interface KernelBenchResult {
  readonly name: string;
  readonly backend: string;
  readonly threads: number;
  readonly precision: Precision | 'js';
  readonly dims: readonly number[];
  /** Median milliseconds per run of the plan's steps. */
  readonly kernelMs: number;
  /** Fastest run of the plan's steps (less sensitive to other load on the machine). */
  readonly kernelMinMs: number;
  /** Bytes moved (X read + Y written) per second, in GB/s (1e9). */
  readonly kernelGBps: number;
  /** Median milliseconds per GraphSession.runHost (feed copy-in and output copy-out included). */
  readonly sessionMs: number;
}

/** Deterministic pseudo-random floats in [lo, hi). */
function values(n: number, seed: number, lo: number, hi: number): Float64Array {
  let a = seed >>> 0;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((hi - lo) * a) / 4294967296;
  }
  return out;
}

/** y = BatchNormalization(x) in inference mode, channel axis 1, parameters as graph inputs. */
export function batchNormInferenceGraph(channels: number): Graph {
  const b = new GraphBuilder('bn_inference');
  const x = b.input('x', 'float32', ['N', channels, 'H', 'W']);
  const p = (name: string): ReturnType<GraphBuilder['input']> => b.input(name, 'float32', [channels]);
  const [y] = b.node('BatchNormalization', [x, p('scale'), p('B'), p('mean'), p('var')], { epsilon: 1e-5 }, { name: 'bn' });
  return b.build([y]);
}

export function batchNormInferenceFeeds(dims: readonly number[]): Record<string, HostTensor> {
  const c = dims[1];
  return {
    x: fromFloat64('float32', dims, values(sizeOf(dims), 1, -2, 2)),
    scale: fromFloat64('float32', [c], values(c, 2, 0.5, 1.5)),
    B: fromFloat64('float32', [c], values(c, 3, -1, 1)),
    mean: fromFloat64('float32', [c], values(c, 4, -0.5, 0.5)),
    var: fromFloat64('float32', [c], values(c, 5, 0.5, 2)),
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(run: () => void, warmup: number, iterations: number): { median: number; min: number } {
  for (let i = 0; i < warmup; i++) run();
  const ms: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t = performance.now();
    run();
    ms.push(performance.now() - t);
  }
  return { median: median(ms), min: Math.min(...ms) };
}

/** The plan's steps on prepared buffers (one allocation per buffer), as a closure to time. */
function planRunner<Buf, Compiled>(be: Backend<Buf, Compiled>, graph: Graph, feeds: Readonly<Record<string, HostTensor>>): () => void {
  const dims = new Map(Object.entries(feeds).map(([k, t]) => [k, t.dims]));
  const plan = compilePlan(graph, dims, { planMemory: false });
  const buffers = plan.buffers.map((b) => be.allocate(b.dtype, b.size));
  for (const [id, t] of plan.constants) be.write(buffers[id], t.data);
  for (const b of plan.inputs) be.write(buffers[b.buffer], feeds[b.name].data);
  const kernels = plan.steps.map((s) => (s.kind === 'elementwise' ? be.compile(s.kernel) : undefined));
  return () => {
    plan.steps.forEach((s, i) => {
      const k = kernels[i];
      if (s.kind === 'elementwise' && k !== undefined) be.dispatch(k, s.operands.map((o) => buffers[o]), buffers[s.output]);
      else if (s.kind === 'routine') be.runRoutine(s.call, s.operands.map((o) => buffers[o]), s.outputs.map((o) => buffers[o]));
    });
  };
}

/** BatchNormalization inference throughput (default [8, 64, 56, 56] float32). */
export function benchBatchNormInference(o: KernelBenchOptions = {}): KernelBenchResult {
  const dims = o.dims ?? [8, 64, 56, 56];
  const warmup = o.warmup ?? 5;
  const iterations = o.iterations ?? 30;
  const threads = o.threads ?? 1;
  const graph = batchNormInferenceGraph(dims[1]);
  const feeds = batchNormInferenceFeeds(dims);
  const wasm = o.backend !== 'cpu';
  let kernel: { median: number; min: number };
  if (wasm) {
    const backend = new WasmBackend({ threads, precision: o.precision ?? 'float64' });
    try {
      kernel = time(planRunner(backend, graph, feeds), warmup, iterations);
    } finally {
      backend.dispose();
    }
  } else {
    kernel = time(planRunner(new CpuBackend(), graph, feeds), warmup, iterations);
  }
  const session = new GraphSession(graph, wasm ? { backend: 'wasm', threads } : { backend: 'cpu' });
  let sessionMs: number;
  try {
    sessionMs = time(() => void session.runHost(feeds), warmup, iterations).median;
  } finally {
    session.release();
  }
  const bytes = 2 * 4 * sizeOf(dims);
  return {
    name: 'BatchNormalization inference',
    backend: wasm ? 'wasm' : 'cpu',
    threads: wasm ? threads : 1,
    precision: wasm ? (o.precision ?? 'float64') : 'js',
    dims,
    kernelMs: kernel.median,
    kernelMinMs: kernel.min,
    kernelGBps: bytes / (kernel.median * 1e6),
    sessionMs,
  };
}

/** A one-line summary of a result. */
export function formatKernelBench(r: KernelBenchResult): string {
  const t = r.backend === 'wasm' ? ` ×${r.threads} ${r.precision}` : '';
  const best = (2 * 4 * sizeOf(r.dims)) / (r.kernelMinMs * 1e6);
  return `${r.name} [${r.dims.join(',')}] ${r.backend}${t}: median ${r.kernelMs.toFixed(3)} ms (${r.kernelGBps.toFixed(2)} GB/s), best ${r.kernelMinMs.toFixed(3)} ms (${best.toFixed(2)} GB/s); ${r.sessionMs.toFixed(3)} ms per runHost`;
}
