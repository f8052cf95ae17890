// ResNet-50 compile time and memory: how long kiln takes from a built graph to a runnable plan
// (GraphSession creation + the first planFor: lowering, fusion, memory planning, constant upload and
// kernel compilation), kiln's planned peak memory (compiler/lowering/memory-plan.ts), and — in child
// processes, for both kiln and onnxruntime-node — the resident-set growth while creating a session and
// running it once (an approximation: RSS also counts allocator slack, code and arena rounding).

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { bytesOf } from '../compiler/lowering/memory-plan.js';
import type { KernelPlan } from '../compiler/lowering/plan.js';
import { exportModel, importModel } from '../compiler/onnx/index.js';
import type { Graph } from '../compiler/ir/types.js';
import { fromFloat64 } from '../core/tensor.js';
import { GraphSession } from '../runtime/graph-session.js';
import { WasmBackend } from '../runtime/wasm/wasm-backend.js';
import type { MemProbeResult, ProbeTarget } from './mem-probe.js';
import { ortNodeOptions } from './peers/ort-node.js';
import { collectGarbage, summarize, timeOnce, type Stats } from './timing.js';
import { buildResNet } from './workloads/resnet.js';

export interface PlanMemory {
  /** Bytes of all allocations the plan makes (arenas, inputs, outputs, constants). */
  readonly peakBytes: number;
  /** Of those, the constants (weights, folded parameters): resident for the session's life. */
  readonly constantBytes: number;
  /** peakBytes − constantBytes: activations, including the input and output buffers. */
  readonly activationBytes: number;
  /** Of activationBytes: the arenas (intermediate buffers at planned offsets), without the input and output buffers. */
  readonly arenaBytes: number;
  /** The same buffers with one allocation each. */
  readonly unsharedBytes: number;
}

/**
 * The wasm backend's memory for the same plan (float32 lanes, one session per thread count): the heap's
 * high-water mark over session creation and one run, against the plan's own allocations (constants are
 * copied into wasm memory) and the transformed filters kept with them (derivedBytes). The difference is
 * routine scratch the plan does not show: packed weight panels, im2col blocks and staged epilogue rows,
 * Winograd transforms, float32 copies of float64 operands, the parameter block, and allocation rounding.
 */
export interface WasmHeapMemory {
  readonly threads: number;
  readonly highWaterBytes: number;
  readonly plannedBytes: number;
  /** Transformed filters the backend keeps with the weights (WasmBackend.derivedBytes; absent in older runs). */
  readonly derivedBytes?: number;
}

export interface CompileResult {
  readonly nodes: number;
  readonly initializers: number;
  readonly onnxBytes: number;
  readonly buildMs: number;
  readonly planMs: Stats;
  /** From the ONNX bytes, as onnxruntime starts: importModel + GraphSession + first planFor (absent in older runs). */
  readonly importPlanMs?: Stats;
  readonly kernels: number;
  readonly memory: PlanMemory | string;
  readonly ortCreateMs: Stats;
  readonly kilnProbe: MemProbeResult | string;
  readonly ortProbe: MemProbeResult | string;
  readonly ortNoArenaProbe: MemProbeResult | string;
  /** Absent in older runs. */
  readonly wasmHeap?: readonly (WasmHeapMemory | string)[];
  readonly kilnWasmProbe?: MemProbeResult | string;
}

export function planMemoryOf(plan: KernelPlan): PlanMemory | string {
  const m = plan.memory;
  if (m === undefined) return 'this kiln has no memory plan';
  const arenaBytes = m.allocations.filter((a) => a.role === 'arena').reduce((t, a) => t + bytesOf(a.dtype, a.size), 0);
  return { peakBytes: m.peakBytes, constantBytes: m.constantBytes, activationBytes: m.activationBytes, arenaBytes, unsharedBytes: m.unsharedBytes };
}

function measureWasmHeap(graph: Graph, dims: ReadonlyMap<string, readonly number[]>, threads: number): WasmHeapMemory | string {
  const session = new GraphSession(graph, { backend: 'wasm', threads, precision: 'float32' });
  try {
    const plan = session.planFor(dims);
    const be = session.backend;
    if (!(be instanceof WasmBackend) || plan.memory === undefined) return 'no wasm backend or no memory plan';
    const x = dims.get('x') ?? [];
    session.runHost({ x: fromFloat64('float32', x, Array.from({ length: x.reduce((a, d) => a * d, 1) }, (_, i) => Math.sin(i))) });
    return { threads, highWaterBytes: be.heap.highWaterBytes, plannedBytes: plan.memory.peakBytes, derivedBytes: be.derivedBytes };
  } catch (e) {
    return `wasm heap measurement failed: ${(e as Error).message.split('\n')[0]}`;
  } finally {
    session.release();
  }
}

function probe(which: ProbeTarget, modelPath: string): MemProbeResult | string {
  const script = join(dirname(fileURLToPath(import.meta.url)), 'mem-probe.js');
  try {
    // glibc: a fixed mmap threshold makes every large block its own mapping, returned to the OS on
    // free, so memory freed while a session is created is not silently reused by the first run.
    const env = { ...process.env, MALLOC_MMAP_THRESHOLD_: '65536', MALLOC_TRIM_THRESHOLD_: '0' };
    const out = execFileSync(process.execPath, ['--expose-gc', script, which, modelPath, '1'], { encoding: 'utf8', env, maxBuffer: 1 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
    return JSON.parse(out.trim().split('\n').pop() ?? '') as MemProbeResult;
  } catch (e) {
    return `memory probe failed: ${(e as Error).message.split('\n')[0]}`;
  }
}

export async function measureCompile(repetitions: number, log: (line: string) => void): Promise<CompileResult> {
  const built = await timeOnce(() => buildResNet(50, 50));
  const graph = built.value;
  log(`  ResNet-50 graph: ${graph.nodes.length} nodes, built in ${built.ms.toFixed(0)} ms`);
  const dims = new Map([['x', [1, 3, 224, 224]]]);
  const planSamples: number[] = [];
  let plan: KernelPlan | undefined;
  for (let i = 0; i < repetitions; i++) {
    collectGarbage();
    const t = await timeOnce(() => new GraphSession(graph, { backend: 'cpu' }).planFor(dims));
    planSamples.push(t.ms);
    plan = t.value;
    log(`  kiln session + first planFor: ${t.ms.toFixed(0)} ms`);
  }
  if (plan === undefined) throw new Error('measureCompile: repetitions must be at least 1');
  const memory = planMemoryOf(plan);
  const kernels = plan.steps.length;
  plan = undefined;
  const wasmHeap = [1, 2].map((threads) => measureWasmHeap(graph, dims, threads));

  const bytes = exportModel(graph, { opset: 15 });
  const importSamples: number[] = [];
  for (let i = 0; i < repetitions; i++) {
    collectGarbage();
    const t = await timeOnce(() => new GraphSession(importModel(bytes).graph, { backend: 'cpu' }).planFor(dims));
    importSamples.push(t.ms);
    log(`  kiln importModel + session + first planFor: ${t.ms.toFixed(0)} ms`);
  }
  const ortSamples: number[] = [];
  for (let i = 0; i < repetitions; i++) {
    collectGarbage();
    const t = await timeOnce(() => ort.InferenceSession.create(bytes, ortNodeOptions(1)));
    ortSamples.push(t.ms);
    await t.value.release();
    log(`  onnxruntime-node InferenceSession.create: ${t.ms.toFixed(0)} ms`);
  }

  const folder = mkdtempSync(join(tmpdir(), 'kiln-bench-r50-'));
  let kilnProbe: MemProbeResult | string;
  let ortProbe: MemProbeResult | string;
  let ortNoArenaProbe: MemProbeResult | string;
  let kilnWasmProbe: MemProbeResult | string;
  try {
    const path = join(folder, 'resnet50.onnx');
    writeFileSync(path, bytes);
    kilnProbe = probe('kiln', path);
    ortProbe = probe('ort', path);
    ortNoArenaProbe = probe('ort-no-arena', path);
    kilnWasmProbe = probe('kiln-wasm', path);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
  return {
    nodes: graph.nodes.length,
    initializers: graph.initializers.size,
    onnxBytes: bytes.length,
    buildMs: built.ms,
    planMs: summarize(planSamples),
    importPlanMs: summarize(importSamples),
    kernels,
    memory,
    ortCreateMs: summarize(ortSamples),
    kilnProbe,
    ortProbe,
    ortNoArenaProbe,
    wasmHeap,
    kilnWasmProbe,
  };
}
