// `npm run bench`: times kiln against onnxruntime-node, onnxruntime-web, tfjs-wasm and a plain C loop
// on the workloads of bench/workloads/, measures ResNet-50 compile time and memory, prints progress and
// writes bench/results.md (+ results.json).
//   npm run bench                      full run (< 20 min on the 2-core reference machine)
//   npm run bench -- --quick           smoke run: a few workloads, few iterations
//   npm run bench -- --only bn-infer   workloads whose name starts with (or equals) any comma-separated
//                                      name; 'compile' selects the ResNet-50 compile/memory section
//   npm run bench -- --peers kiln-cpu,ort-node-1   only these peers (ids as in the progress lines)
//   npm run bench -- --out file.md     where to write (default: bench/results.md for a full run,
//                                      bench/results-partial.md otherwise; both with a .json twin)
//   npm run bench -- --render bench/results.json   re-render the markdown of an earlier run (no timing)

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureCompile } from './compile.js';
import { machineInfo } from './machine.js';
import { measureSimdRates } from './simd-probe.js';
import { CLoopPeer } from './peers/c-loop.js';
import { KilnPeer } from './peers/kiln.js';
import { OrtNodePeer } from './peers/ort-node.js';
import { OrtWebPeer } from './peers/ort-web.js';
import { TfjsWasmPeer } from './peers/tfjs-wasm.js';
import type { Peer } from './peers/types.js';
import { renderMarkdown, type Cell, type PeerInfo, type RunResult, type WorkloadResult } from './report.js';
import { collectGarbage, measure, summarize, type TimingOptions } from './timing.js';
import { allWorkloads, QUICK_WORKLOADS } from './workloads/index.js';
import type { Workload } from './workloads/types.js';

interface Args {
  readonly quick: boolean;
  readonly only?: readonly string[];
  readonly peers?: readonly string[];
  readonly out?: string;
  readonly render?: string;
}

function parseArgs(argv: readonly string[]): Args {
  let quick = false;
  let only: string[] | undefined;
  let peers: string[] | undefined;
  let out: string | undefined;
  let render: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--quick') quick = true;
    else if (a === '--only') only = [...(only ?? []), ...value().split(',').filter((s) => s !== '')];
    else if (a === '--peers') peers = value().split(',').filter((s) => s !== '');
    else if (a === '--out') out = value();
    else if (a === '--render') render = value();
    else if (a === '--help' || a === '-h') {
      process.stdout.write(`${readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').filter((l) => l.startsWith('//')).slice(0, 13).join('\n')}\n`);
      process.exit(0);
    } else throw new Error(`unknown argument '${a}' (see --help)`);
  }
  return { quick, only, peers, out, render };
}

/** The repository root: the nearest folder above this file whose package.json is kiln's. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'kiln') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the kiln repository root');
    dir = up;
  }
}

const FULL: TimingOptions = { warmup: 2, warmupSeconds: 0.5, maxWarmup: 3000, iterations: 100, budgetSeconds: 2, minIterations: 5 };
const FULL_HEAVY: TimingOptions = { warmup: 1, warmupSeconds: 1, maxWarmup: 20, iterations: 5, budgetSeconds: 8, minIterations: 3 };
const QUICK: TimingOptions = { warmup: 1, warmupSeconds: 0, maxWarmup: 1, iterations: 5, budgetSeconds: 0.3, minIterations: 2 };
const QUICK_HEAVY: TimingOptions = { warmup: 1, warmupSeconds: 0, maxWarmup: 1, iterations: 2, budgetSeconds: 1, minIterations: 1 };

function selected(w: Workload, args: Args): boolean {
  if (args.only !== undefined) return args.only.some((o) => w.name === o || w.name.startsWith(o));
  return !args.quick || QUICK_WORKLOADS.has(w.name);
}

function relativeDiff(reference: Float32Array, out: Float32Array): number {
  if (reference.length !== out.length) return Number.NaN;
  let maxRef = 0;
  let maxDiff = 0;
  for (let i = 0; i < reference.length; i++) {
    maxRef = Math.max(maxRef, Math.abs(reference[i]));
    const d = Math.abs(reference[i] - out[i]);
    if (!(d <= maxDiff)) maxDiff = d; // NaN propagates
  }
  return maxDiff / Math.max(maxRef, 1e-30);
}

function fmt(ms: number): string {
  return ms < 10 ? ms.toFixed(3) : ms.toFixed(1);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.render !== undefined) {
    const json = resolve(args.render);
    const md = resolve(args.out ?? json.replace(/\.json$/, '') + '.md');
    writeFileSync(md, renderMarkdown(JSON.parse(readFileSync(json, 'utf8')) as RunResult));
    process.stdout.write(`wrote ${md} from ${json}\n`);
    return;
  }
  const started = Date.now();
  const root = repoRoot();
  const machine = machineInfo(root);
  const log = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  if ((globalThis as { gc?: unknown }).gc === undefined) log('note: run node with --expose-gc for garbage collection between measurements');

  const cPeers = [new CLoopPeer(false), new CLoopPeer(true)];
  const candidates: Peer[] = [
    new KilnPeer({ backend: 'cpu' }),
    new KilnPeer({ backend: 'wasm', threads: 1 }),
    new KilnPeer({ backend: 'wasm', threads: 1, bound: true }),
    new KilnPeer({ backend: 'wasm', threads: 2, bound: true }),
    new OrtNodePeer(1),
    new OrtNodePeer(2),
    new OrtWebPeer(1),
    new TfjsWasmPeer(),
    ...cPeers,
  ];
  const wantedPeers = candidates.filter((p) => args.peers === undefined || args.peers.includes(p.id));
  const peers: Peer[] = [];
  const infos: PeerInfo[] = [];
  for (const p of wantedPeers) {
    const why = await p.init();
    log(`${p.id.padEnd(12)} ${why === undefined ? 'ready' : `NOT AVAILABLE: ${why}`}`);
    if (why === undefined) peers.push(p);
    infos.push({ id: p.id, label: p.label, short: p.short, role: p.role, unavailable: why, notes: [] });
  }

  const simd = measureSimdRates();
  log(`simd probe: ${simd.addsPerNs.toFixed(2)} f32x4 adds/ns, ${simd.mulsPerNs.toFixed(2)} f32x4 muls/ns (one thread)`);

  const timing = args.quick ? QUICK : FULL;
  const heavyTiming = args.quick ? QUICK_HEAVY : FULL_HEAVY;
  const workloads = allWorkloads().filter((w) => selected(w, args));
  const results: WorkloadResult[] = [];
  for (const w of workloads) {
    log(`\n${w.name}: ${w.title}`);
    const built = w.build();
    const opts = w.group === 'model' ? heavyTiming : timing;
    const cells: Record<string, Cell> = {};
    let reference: Float32Array | undefined;
    for (const p of peers) {
      const skip = p.skipReason(w);
      if (skip !== undefined) {
        cells[p.id] = { skipped: skip };
        continue;
      }
      collectGarbage();
      try {
        const runner = await p.prepare(w, built, opts);
        try {
          const stats = runner.ownSamples !== undefined ? summarize(runner.ownSamples) : await measure(() => runner.run(), opts);
          const out = runner.output();
          let relDiff: number | undefined;
          if (p.id === 'kiln-cpu') reference = out;
          else if (out !== undefined && reference !== undefined) relDiff = relativeDiff(reference, out);
          cells[p.id] = { stats, relDiff };
          const check = relDiff === undefined ? '' : `  diff ${relDiff.toExponential(1)}`;
          log(`  ${p.short.padEnd(14)} ${fmt(stats.median).padStart(9)} ms (${fmt(stats.min)}–${fmt(stats.max)}, n=${stats.samples})${check}`);
        } finally {
          await runner.dispose();
        }
      } catch (e) {
        const message = (e as Error).message.split('\n')[0].slice(0, 300);
        cells[p.id] = { error: message };
        log(`  ${p.short.padEnd(14)} ERROR ${message}`);
      }
    }
    const elements = w.spec.kind === 'bn' ? w.spec.dims.reduce((a, d) => a * d, 1) : undefined;
    results.push({ name: w.name, title: w.title, group: w.group, bytesMoved: w.bytesMoved, elements, cells });
    collectGarbage();
  }

  let compile: RunResult['compile'];
  const wantCompile = args.only === undefined ? true : args.only.some((o) => 'compile'.startsWith(o) || o === 'resnet50');
  if (wantCompile && (args.peers === undefined || args.peers.includes('kiln-cpu'))) {
    log('\nresnet50 compile time and memory');
    try {
      compile = await measureCompile(args.quick ? 1 : 3, log);
    } catch (e) {
      compile = `failed: ${(e as Error).message}`;
      log(`  ERROR ${compile}`);
    }
  }
  for (const p of cPeers) p.cleanup();

  const peerInfos = infos.map((i) => ({ ...i, notes: wantedPeers.find((p) => p.id === i.id)?.notes() ?? [] }));
  const full = !args.quick && args.only === undefined && args.peers === undefined;
  const mode = args.quick ? '--quick' : full ? 'full' : process.argv.slice(2).join(' ');
  const result: RunResult = {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    mode,
    seconds: (Date.now() - started) / 1000,
    machine,
    timing,
    heavyTiming,
    peers: peerInfos,
    workloads: results,
    compile,
    simd,
    loadEnd: os.loadavg()[0],
  };
  const out = resolve(args.out ?? join(root, 'bench', full ? 'results.md' : 'results-partial.md'));
  writeFileSync(out, renderMarkdown(result));
  writeFileSync(out.replace(/\.md$/, '') + '.json', `${JSON.stringify(result, null, 1)}\n`);
  log(`\nwrote ${out} (${(result.seconds / 60).toFixed(1)} min)`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
