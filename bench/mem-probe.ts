// Child process for the memory comparison: loads one ONNX model in onnxruntime-node or kiln, runs it
// once on a [N,3,224,224] input, and prints resident-set sizes (RSS) before creating the session,
// after creating it, after the first and second runs, and the process's peak RSS. Run alone in its own
// process so that the numbers are not mixed with the benchmark's other allocations.
//   node --expose-gc mem-probe.js ort|kiln model.onnx batch

import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';
import { Tensor } from 'onnxruntime-common';
import { importModel } from '../compiler/onnx/index.js';
import { GraphSession } from '../runtime/graph-session.js';
import { collectGarbage } from './timing.js';
import { ortNodeOptions } from './peers/ort-node.js';

export interface MemProbeResult {
  readonly which: 'ort' | 'kiln';
  readonly rssBefore: number;
  readonly rssAfterCreate: number;
  readonly rssAfterRun: number;
  readonly rssAfterSecondRun: number;
  readonly peakRss: number;
  readonly createMs: number;
  readonly firstRunMs: number;
}

function rss(): number {
  collectGarbage();
  return process.memoryUsage.rss();
}

async function main(): Promise<void> {
  const [which, path, batchArg] = process.argv.slice(2);
  if ((which !== 'ort' && which !== 'kiln') || path === undefined) throw new Error('usage: mem-probe.js ort|kiln model.onnx batch');
  const batch = Number(batchArg ?? '1');
  const bytes = readFileSync(path);
  const dims = [batch, 3, 224, 224];
  const x = new Float32Array(batch * 3 * 224 * 224).map((_, i) => Math.sin(i));
  const rssBefore = rss();
  let t0 = performance.now();
  let run: () => Promise<unknown>;
  if (which === 'ort') {
    const session = await ort.InferenceSession.create(bytes, ortNodeOptions(1));
    const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', x, dims) };
    run = () => session.run(feeds);
  } else {
    const { graph } = importModel(bytes);
    const session = new GraphSession(graph, { backend: 'cpu' });
    session.planFor(new Map([[graph.inputs[0].name, dims]]));
    const feeds = { [graph.inputs[0].name]: new Tensor('float32', x, dims) };
    run = () => session.run(feeds);
  }
  const createMs = performance.now() - t0;
  const rssAfterCreate = rss();
  t0 = performance.now();
  await run();
  const firstRunMs = performance.now() - t0;
  const rssAfterRun = rss();
  await run();
  const rssAfterSecondRun = rss();
  const peakRss = process.resourceUsage().maxRSS * 1024;
  const result: MemProbeResult = { which, rssBefore, rssAfterCreate, rssAfterRun, rssAfterSecondRun, peakRss, createMs, firstRunMs };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
