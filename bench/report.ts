// The markdown report (bench/results.md, shown by the README): where it ran, what each peer is, then
// the times (median with min–max), the ratios peer / kiln, BatchNormalization against the C loop in
// GB/s, ResNet-50 compile time and memory, the output agreement check and the notes.

import type { CompileResult, PlanMemory } from './compile.js';
import type { MachineInfo } from './machine.js';
import { BN_TRAINING_ADDS_PER_VECTOR, bnTrainingFloorMs, CHAINS, type SimdRates } from './simd-probe.js';
import type { PeerRole } from './peers/types.js';
import type { Stats, TimingOptions } from './timing.js';
import type { WorkloadGroup } from './workloads/types.js';

export interface PeerInfo {
  readonly id: string;
  readonly label: string;
  readonly short: string;
  readonly role: PeerRole;
  /** Why it could not run at all, when it could not. */
  readonly unavailable?: string;
  readonly notes: readonly string[];
}

export interface Cell {
  readonly stats?: Stats;
  /** Why the peer did not run this workload (by design) or failed on it. */
  readonly skipped?: string;
  readonly error?: string;
  /** max |peer − kiln| / max |kiln| on the first output, when both are comparable. */
  readonly relDiff?: number;
}

export interface WorkloadResult {
  readonly name: string;
  readonly title: string;
  readonly group: WorkloadGroup;
  readonly bytesMoved?: number;
  /** Values in x (BN workloads), for the adder floor of BN training. */
  readonly elements?: number;
  readonly cells: Readonly<Record<string, Cell>>;
}

export interface RunResult {
  readonly date: string;
  readonly mode: string;
  readonly seconds: number;
  readonly machine: MachineInfo;
  readonly timing: TimingOptions;
  readonly heavyTiming: TimingOptions;
  readonly peers: readonly PeerInfo[];
  readonly workloads: readonly WorkloadResult[];
  readonly compile?: CompileResult | string;
  /** The 128-bit wasm SIMD rates measured at the start of the run (simd-probe.ts). */
  readonly simd?: SimdRates;
  /** os.loadavg()[0] when the run ended. */
  readonly loadEnd?: number;
}

/** The issue's target for BatchNormalization: within 1.3× of the C loop. */
export const TARGET = 1.3;

/** Agreement tolerance for the check column: relative to the largest |kiln output|. */
export const AGREEMENT_TOLERANCE = 1e-3;

function ms(x: number): string {
  if (x < 1) return x.toFixed(3);
  if (x < 10) return x.toFixed(2);
  if (x < 100) return x.toFixed(1);
  return x.toFixed(0);
}

function timeCell(c: Cell | undefined): string {
  if (c === undefined) return '—';
  if (c.stats !== undefined) return `${ms(c.stats.median)} (${ms(c.stats.min)}–${ms(c.stats.max)})`;
  if (c.error !== undefined) return 'error¹';
  return '—';
}

function formatRatio(x: number): string {
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  if (x >= 0.1) return x.toFixed(2);
  return x.toPrecision(2);
}

function ratio(peer: Cell | undefined, kiln: Cell | undefined, boldAtMost?: number): string {
  if (peer?.stats === undefined || kiln?.stats === undefined) return '—';
  const x = peer.stats.median / kiln.stats.median;
  const text = `${formatRatio(x)}×`;
  return boldAtMost !== undefined && x <= boldAtMost ? `**${text}**` : text;
}

function gbps(bytes: number, c: Cell | undefined): string {
  if (c?.stats === undefined) return '—';
  return (bytes / (c.stats.median / 1000) / 1e9).toFixed(1);
}

/** The peers the adder floor is compared with: kiln's fastest one-thread column and onnxruntime-node's. */
const FLOOR_KILN = 'kiln-wasm-1-io';
const FLOOR_PEER = 'ort-node-1';

/** BN training against the FP-add floor of its arithmetic (simd-probe.ts), when the run measured it. */
function floorSection(r: RunResult, timed: readonly WorkloadResult[]): string[] {
  const rows = timed.filter((w) => w.group === 'bn-training' && w.elements !== undefined);
  if (r.simd === undefined || rows.length === 0) return [];
  const { addsPerNs, mulsPerNs } = r.simd;
  const label = (id: string): string => r.peers.find((p) => p.id === id)?.short ?? id;
  const over = (c: Cell | undefined, floor: number): string => (c?.stats === undefined ? '—' : `${formatRatio(c.stats.median / floor)}×`);
  return [
    '### BN training against the floor of its arithmetic',
    '',
    `kiln's BN training forward sums its statistics about a float32 shift (d = x − m̂, Σd, Σd²) and normalizes subtracting first ((x − hi)·a + C), as accuracy on offset inputs needs (DESIGN.md §6–§7): ${BN_TRAINING_ADDS_PER_VECTOR} f32x4 adds per four values, whatever the memory traffic. This core ran ${addsPerNs.toFixed(2)} f32x4 adds and ${mulsPerNs.toFixed(2)} f32x4 multiplies per ns in this run's probe (128-bit wasm SIMD, ${CHAINS} independent chains, best of its repeats; bench/simd-probe.ts), so one thread needs at least ${BN_TRAINING_ADDS_PER_VECTOR} adds × values/4 / that rate: the floor. ${label(FLOOR_PEER)} time / floor is the largest speed-up over onnxruntime that this arithmetic can show at one thread.`,
    '',
    table(
      ['workload', 'floor ms', `${label(FLOOR_KILN)} / floor`, `${label(FLOOR_PEER)} / floor`, `${label(FLOOR_PEER)} / ${label(FLOOR_KILN)}`],
      rows.map((w) => {
        const floor = bnTrainingFloorMs(w.elements ?? 0, addsPerNs);
        return [w.title, ms(floor), over(w.cells[FLOOR_KILN], floor), over(w.cells[FLOOR_PEER], floor), ratio(w.cells[FLOOR_PEER], w.cells[FLOOR_KILN])];
      }),
    ),
    '',
  ];
}

function mb(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(1);
}

/** A markdown table: first column left-aligned, the others right-aligned (numbers) unless `left`. */
function table(header: readonly string[], rows: readonly (readonly string[])[], left = false): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map((_, i) => (i === 0 || left ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

function planMemoryLines(m: PlanMemory | string): string[] {
  if (typeof m === 'string') return [`- kiln planned memory: ${m}`];
  return [
    `- kiln planned memory (compiler/lowering/memory-plan.ts, exact): ${mb(m.peakBytes)} MiB in all = ${mb(m.constantBytes)} MiB constants (weights, folded BN) + **${mb(m.activationBytes)} MiB activations**${m.arenaBytes === undefined ? ' (including the input and output buffers)' : ` (${mb(m.arenaBytes)} MiB of arenas shared by lifetime, plus the input and output buffers of their own)`}; ${mb(m.unsharedBytes)} MiB without storage sharing`,
  ];
}

function wasmHeapLines(w: CompileResult['wasmHeap']): string[] {
  if (w === undefined) return [];
  return w.map((h) => {
    if (typeof h === 'string') return `- kiln wasm backend heap: ${h}`;
    const derived = h.derivedBytes ?? 0;
    const kept = derived > 0 ? ` + ${mb(derived)} MiB of Winograd-transformed filters kept with the weights (made while the session binds its plan, as onnxruntime prepacks weights; cacheTransformedWeights: false keeps none)` : '';
    return `- kiln wasm backend (float32 lanes, ${h.threads} thread${h.threads === 1 ? '' : 's'}): heap high-water ${mb(h.highWaterBytes)} MiB over session creation and the first run = ${mb(h.plannedBytes)} MiB planned (the same plan, constants copied into wasm memory)${kept} + **${mb(h.highWaterBytes - h.plannedBytes - derived)} MiB routine scratch** (packed weight panels, im2col blocks and staged epilogue rows, Winograd transforms, float32 copies of float64 operands, rounding) that the planned activations do not show`;
  });
}

function probeRow(name: string, p: CompileResult['kilnProbe']): string[] {
  if (typeof p === 'string') return [name, p, ''];
  const runPeak = `${mb(p.runPeakRss - p.rssAfterCreate)}${p.peakReset ? '' : ' (lifetime peak: reset unavailable)'}`;
  return [name, mb(p.rssAfterCreate - p.rssBefore), runPeak];
}

function compileSection(c: CompileResult | string | undefined): string[] {
  if (c === undefined) return [];
  const out = ['## Compile time and memory: ResNet-50, batch 1', ''];
  if (typeof c === 'string') return [...out, c, ''];
  out.push(
    `ResNet-50 (${c.nodes} nodes, ${c.initializers} initializers, ${mb(c.onnxBytes)} MiB as ONNX) built with GraphBuilder in ${ms(c.buildMs)} ms (mostly drawing the seeded random weights).`,
    '',
    table(
      ['step', 'median ms (min–max)', 'runs'],
      [
        ['kiln: new GraphSession + first planFor on the built graph (lower, fuse, plan memory, compile kernels, allocate; the cpu backend shares the weights)', `${ms(c.planMs.median)} (${ms(c.planMs.min)}–${ms(c.planMs.max)})`, String(c.planMs.samples)],
        ...(c.importPlanMs === undefined ? [] : [['kiln: importModel(ONNX bytes) + the same', `${ms(c.importPlanMs.median)} (${ms(c.importPlanMs.min)}–${ms(c.importPlanMs.max)})`, String(c.importPlanMs.samples)]]),
        ["onnxruntime-node: InferenceSession.create (CPU EP, 'all', 1 thread)", `${ms(c.ortCreateMs.median)} (${ms(c.ortCreateMs.min)}–${ms(c.ortCreateMs.max)})`, String(c.ortCreateMs.samples)],
      ],
    ),
    '',
    `kiln's plan has ${c.kernels} kernels.`,
    '',
    ...planMemoryLines(c.memory),
    ...wasmHeapLines(c.wasmHeap),
    '',
    'Resident memory (RSS), each runtime in a process of its own with the ONNX bytes already read: growth while creating the session (kiln: ONNX import + GraphSession + planFor), and the peak during the first run above the RSS after creation (the kernel\'s peak mark is reset just before the run). The probes run with glibc\'s `MALLOC_MMAP_THRESHOLD_=65536 MALLOC_TRIM_THRESHOLD_=0`, so that large blocks freed during session creation go back to the OS instead of being reused unseen by the first run (this slows session creation there, so its times are not reported from the probes):',
    '',
    table(
      ['runtime', 'RSS growth, session creation (MiB)', 'RSS peak during the first run, above that (MiB)'],
      [
        probeRow('kiln (cpu JS)', c.kilnProbe),
        ...(c.kilnWasmProbe === undefined ? [] : [probeRow('kiln (wasm, 1 thread, float32 lanes)', c.kilnWasmProbe)]),
        probeRow('onnxruntime-node (1 thread, default CPU arena)', c.ortProbe),
        probeRow('onnxruntime-node (1 thread, enableCpuMemArena: false)', c.ortNoArenaProbe),
      ],
    ),
    '',
    "RSS deltas are an approximation, as the issue allows: they include allocator slack, code pages, onnxruntime's arena rounding and JavaScript garbage, and memory an allocator reserved earlier (kiln allocates its planned arenas during planFor but their pages are first touched in the first run; onnxruntime may reserve arena blocks while creating the session). kiln's planned bytes are exact. With its arena on, onnxruntime's first run barely grows RSS (its arena already holds blocks from session creation); with the arena off its activations are plain allocations, so that row's first-run peak is the closest observable stand-in for onnxruntime's activation memory.",
    '',
  );
  return out;
}

/** "(the C loop takes 16 ms with y reused and 940 ms with a new y per call)" for the largest BN row. */
function pageFaultNote(bn: readonly WorkloadResult[], refs: readonly PeerInfo[]): string {
  if (refs.length < 2 || bn.length === 0) return '';
  const big = bn.reduce((a, b) => ((b.bytesMoved ?? 0) > (a.bytesMoved ?? 0) ? b : a));
  const [reused, fresh] = refs.map((c) => big.cells[c.id]?.stats?.median);
  if (reused === undefined || fresh === undefined) return '';
  return ` (${big.title}: the C loop takes ${ms(reused)} ms with y reused and ${ms(fresh)} ms with a new y per call)`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function renderMarkdown(r: RunResult): string {
  const m = r.machine;
  const available = r.peers.filter((p) => p.unavailable === undefined);
  const kilns = available.filter((p) => p.role === 'kiln');
  // Ratio tables for the compiled backends only: the cpu JS renderer is the readable fallback, and its
  // times are in the Times table.
  const fastKilns = kilns.filter((p) => p.id !== 'kiln-cpu');
  const others = available.filter((p) => p.role !== 'kiln');
  const timed = r.workloads;
  const lines: string[] = [
    '# kiln benchmarks',
    '',
    `Generated by \`npm run bench${r.mode === 'full' ? '' : ` -- ${r.mode}`}\` on ${r.date} (${(r.seconds / 60).toFixed(1)} min). Lower times are better.`,
    '',
    `- Machine: ${m.cpu}${m.cpuDetail === '' ? '' : ` (${m.cpuDetail})`}, ${m.cores} cores, ${m.memoryGiB.toFixed(0)} GiB; ${m.platform}; Node ${m.node}`,
    `- Load average (1 min) at the start and end of the run: ${m.loadStart.toFixed(2)} and ${(r.loadEnd ?? Number.NaN).toFixed(2)} on ${m.cores} cores (other work shares this machine; 2-thread rows compete with it)`,
    `- Versions: kiln ${m.versions.kiln} (commit ${m.commit}${m.dirty ? ', with uncommitted changes in the working tree' : ''}), ${Object.entries(m.versions)
      .filter(([k]) => k !== 'kiln')
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `- Timing: wall-clock ms per call through each library's public run API (inputs already in host memory, outputs read back to host arrays; the "io" kiln columns instead run an IoBinding, whose input and output stay in kiln's memory — see Peers), median (min–max) of up to ${plural(r.timing.iterations, 'timed call')} after warm-up calls (at least ${r.timing.warmup}, and more until ${r.timing.warmupSeconds ?? 0} s of them have passed, at most ${r.timing.maxWarmup ?? r.timing.warmup}: V8 runs wasm — kiln's kernels, onnxruntime-web, tfjs-wasm — through its baseline compiler first and swaps in optimized code once a function has done enough work, after tens of calls for a large kernel and a thousand or more for a short one; the C loop binary takes ${plural(r.timing.warmup, 'warm-up call')}), stopping after ${r.timing.budgetSeconds} s of timed calls but never below ${r.timing.minIterations}; ResNet rows: at least ${plural(r.heavyTiming.warmup, 'warm-up call')} and ${r.heavyTiming.warmupSeconds ?? 0} s of them, ${r.heavyTiming.minIterations}–${r.heavyTiming.iterations} timed calls. Each peer runs its workloads one after another in one process; the machine is shared and noisy, so read the min–max spread before reading a ratio.`,
    '',
    '## Peers',
    '',
    table(
      ['peer', 'configuration'],
      r.peers.map((p) => [p.label, p.unavailable !== undefined ? `**not run**: ${p.unavailable}` : p.notes.join('; ')]),
      true,
    ),
    '',
    '## Times (ms)',
    '',
    table(
      ['workload', ...available.map((p) => p.short)],
      timed.map((w) => [w.title, ...available.map((p) => timeCell(w.cells[p.id]))]),
    ),
    '',
  ];
  const refs = available.filter((p) => p.role === 'reference');
  const nonRefs = others.filter((p) => p.role !== 'reference');
  // The C loop's ratios are in the BatchNormalization section, turned round (kiln / C).
  for (const k of fastKilns) {
    const cols = [...kilns.filter((o) => o.id !== k.id), ...nonRefs];
    lines.push(
      `## Ratios: peer time / ${k.label} time (> 1: kiln is faster)`,
      '',
      table(
        ['workload', ...cols.map((p) => p.short)],
        timed.map((w) => [w.title, ...cols.map((p) => ratio(w.cells[p.id], w.cells[k.id]))]),
      ),
      '',
    );
  }
  const bn = timed.filter((w) => w.bytesMoved !== undefined);
  if (bn.length > 0) {
    lines.push(
      '## BatchNormalization against the C loop (memory-bandwidth reference)',
      '',
      `GB/s = bytes moved / median time, counting x and y only: inference reads x and writes y (8 bytes per element); training reads x three times (mean pass, variance pass, normalize pass: two-pass statistics) and writes y (16 bytes per element). Per-channel vectors are ignored. Inputs of a few tens of MB stay in this CPU's caches between calls, so those rows measure cache bandwidth, not DRAM; [64,64,112,112] (196 MiB in, 196 MiB out) is the DRAM row. Every JavaScript peer but the kiln "io" columns returns a new output array per call, and on this virtual machine the first touch of fresh pages costs far more than the arithmetic${pageFaultNote(bn, refs)}, so the [64,64,112,112] rows measure page faults more than BatchNormalization; the "C loop, new y" column pays the same cost and is the fair floor there (the "C loop" column, which reuses y, is the floor for the io columns).`,
      '',
      table(
        ['workload', 'MiB moved', ...refs.map((c) => `${c.short} ms`), ...[...refs, ...kilns, ...nonRefs].map((p) => `${p.short} GB/s`)],
        bn.map((w) => {
          const bytes = w.bytesMoved ?? 0;
          return [w.title, mb(bytes), ...refs.map((c) => timeCell(w.cells[c.id])), ...[...refs, ...kilns, ...nonRefs].map((p) => gbps(bytes, w.cells[p.id]))];
        }),
      ),
      '',
    );
    if (refs.length > 0 && fastKilns.length > 0) {
      lines.push(
        'kiln time / C loop time (the target is ≤ 1.30×; bold where met):',
        '',
        table(
          ['workload', ...fastKilns.flatMap((k) => refs.map((c) => `${k.short} / ${c.short}`))],
          bn.map((w) => [w.title, ...fastKilns.flatMap((k) => refs.map((c) => ratio(w.cells[k.id], w.cells[c.id], TARGET)))]),
        ),
        '',
      );
    }
  }
  lines.push(...floorSection(r, timed));
  lines.push(...compileSection(r.compile));

  // Agreement and errors.
  const checks: string[] = [];
  const errors: string[] = [];
  for (const w of timed) {
    for (const p of available) {
      const cell = w.cells[p.id];
      if (cell?.error !== undefined) errors.push(`- ${w.title}, ${p.label}: ${cell.error}`);
      if (cell?.relDiff !== undefined && !(cell.relDiff <= AGREEMENT_TOLERANCE)) checks.push(`- ${w.title}, ${p.label}: max |diff| / max |kiln| = ${cell.relDiff.toExponential(2)}`);
    }
  }
  const compared = timed.reduce((t, w) => t + Object.values(w.cells).filter((c2) => c2.relDiff !== undefined).length, 0);
  lines.push('## Output agreement', '');
  lines.push(
    `Each peer's first output (y, or the logits) from its timed runs was compared with kiln (cpu JS)'s: max |peer − kiln| / max |kiln| ≤ ${AGREEMENT_TOLERANCE} counts as agreeing. ${compared} results compared; ${checks.length === 0 ? 'all agree.' : 'these do not:'} (tfjs' ResNet-18 has its own weights and the C loop keeps no output, so they are not compared.)`,
  );
  if (checks.length > 0) lines.push('', ...checks);
  if (errors.length > 0) lines.push('', '¹ Errors:', '', ...errors);
  const skipped = new Map<string, string[]>();
  for (const w of timed) {
    for (const p of available) {
      const reason = w.cells[p.id]?.skipped;
      if (reason !== undefined) skipped.set(`${p.label}: ${reason}`, [...(skipped.get(`${p.label}: ${reason}`) ?? []), w.name]);
    }
  }
  if (skipped.size > 0) {
    lines.push('', '"—" cells:', '', ...[...skipped].map(([why, ws]) => `- ${why} (${ws.length} workload${ws.length === 1 ? '' : 's'})`));
  }
  lines.push('');
  return lines.join('\n');
}
