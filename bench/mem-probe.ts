// Child process for the memory comparison: loads one ONNX model in onnxruntime-node or kiln, runs it
// once on a [N,3,224,224] input, and prints resident-set sizes (RSS): before creating the session,
// after creating it, and the peak during the first run. On Linux the peak is reset right before the run
// (writing 5 to /proc/self/clear_refs resets VmHWM), so `runPeakRss − rssAfterCreate` is what the run
// itself needed on top of the session: activations, workspaces and the output. Run alone in its own
// process so that the numbers are not mixed with the benchmark's other allocations.
//   node --expose-gc mem-probe.js ort|ort-no-arena|kiln|kiln-wasm model.onnx batch

import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';
import { Tensor } from 'onnxruntime-common';
import { importModel } from '../compiler/onnx/index.js';
import { GraphSession } from '../runtime/graph-session.js';
import { collectGarbage } from './timing.js';
import { ortNodeOptions } from './peers/ort-node.js';

/**
 * ort-no-arena: onnxruntime-node with enableCpuMemArena false, so its activations are plain allocations.
 * kiln-wasm: the wasm backend, 1 thread, float32 lanes (its memory grows in large steps, but pages count
 * in RSS only once touched).
 */
export type ProbeTarget = 'ort' | 'ort-no-arena' | 'kiln' | 'kiln-wasm';

export interface MemProbeResult {
  readonly which: ProbeTarget;
  readonly rssBefore: number;
  readonly rssAfterCreate: number;
  readonly rssAfterRun: number;
  /** Peak RSS during the first run (VmHWM after a reset); the process's lifetime peak where that is unavailable. */
  readonly runPeakRss: number;
  /** Whether runPeakRss covers the run alone (the peak could be reset). */
  readonly peakReset: boolean;
  readonly createMs: number;
  readonly firstRunMs: number;
}

function rss(): number {
  collectGarbage();
  return process.memoryUsage.rss();
}

/** Resets the kernel's peak-RSS mark for this process (Linux ≥ 4.0); false where that is not possible. */
function resetPeak(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/** Peak RSS in bytes: VmHWM from /proc/self/status, else the lifetime maximum. */
function peakRss(): number {
  try {
    const kb = /^VmHWM:\s*(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (kb !== undefined) return Number(kb) * 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024;
}

async function main(): Promise<void> {
  const [which, path, batchArg] = process.argv.slice(2);
  if ((which !== 'ort' && which !== 'ort-no-arena' && which !== 'kiln' && which !== 'kiln-wasm') || path === undefined) throw new Error('usage: mem-probe.js ort|ort-no-arena|kiln|kiln-wasm model.onnx batch');
  const batch = Number(batchArg ?? '1');
  const bytes = readFileSync(path);
  const dims = [batch, 3, 224, 224];
  const x = new Float32Array(batch * 3 * 224 * 224).map((_, i) => Math.sin(i));
  const rssBefore = rss();
  let t0 = performance.now();
  let run: () => Promise<unknown>;
  if (which === 'ort' || which === 'ort-no-arena') {
    const session = await ort.InferenceSession.create(bytes, { ...ortNodeOptions(1), enableCpuMemArena: which === 'ort' });
    const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', x, dims) };
    run = () => session.run(feeds);
  } else {
    const { graph } = importModel(bytes);
    const session = new GraphSession(graph, which === 'kiln' ? { backend: 'cpu' } : { backend: 'wasm', threads: 1, precision: 'float32' });
    session.planFor(new Map([[graph.inputs[0].name, dims]]));
    const feeds = { [graph.inputs[0].name]: new Tensor('float32', x, dims) };
    run = () => session.run(feeds);
  }
  const createMs = performance.now() - t0;
  const rssAfterCreate = rss();
  const peakReset = resetPeak();
  t0 = performance.now();
  await run();
  const firstRunMs = performance.now() - t0;
  const runPeakRss = peakRss();
  const rssAfterRun = rss();
  const result: MemProbeResult = { which, rssBefore, rssAfterCreate, rssAfterRun, runPeakRss, peakReset, createMs, firstRunMs };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  // The wasm backend's worker pool would keep the process alive.
  process.exit(0);
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
