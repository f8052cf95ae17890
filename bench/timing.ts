// Timing for the benchmarks: warm-up runs (a count and a time), then timed runs until an iteration count or a time budget is
// reached (whichever first, never fewer than a minimum), summarized as median with min and max.
// The machine is noisy: results are reported as distributions, never compared against thresholds.

import { performance } from 'node:perf_hooks';

export interface TimingOptions {
  /** Untimed runs first (plan compilation, JIT, allocator warm-up)... */
  readonly warmup: number;
  /**
   * ...and more until this many seconds of them have passed (at most maxWarmup calls): V8 first runs
   * wasm (kiln's kernels, onnxruntime-web, tfjs-wasm) through its baseline compiler (Liftoff) and
   * compiles a function with TurboFan once it has done enough work, which takes tens of calls for a
   * large kernel (kiln's moments kernel: about 45) and a thousand or more for a short one (a kernel
   * over 64–1024 per-channel values: 5–9 µs per call for its first thousand calls, 1.5 µs after).
   * Steady state is what a user running a model repeatedly sees.
   */
  readonly warmupSeconds: number;
  readonly maxWarmup: number;
  /** Timed runs wanted. */
  readonly iterations: number;
  /** Stop adding timed runs once this many seconds of timed runs have passed... */
  readonly budgetSeconds: number;
  /** ...but never take fewer than this many. */
  readonly minIterations: number;
}

export interface Stats {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly samples: number;
}

/** Median, min and max of milliseconds samples (the median of an even count is the mean of the middle two). */
export function summarize(samplesMs: readonly number[]): Stats {
  if (samplesMs.length === 0) throw new Error('summarize: no samples');
  const s = [...samplesMs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1], samples: s.length };
}

/** Collect garbage between measurements when node runs with --expose-gc (run.ts asks for it). */
export function collectGarbage(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g !== undefined) g();
}

/** Times `fn` (awaited each call) and returns its sample statistics in milliseconds. */
export async function measure(fn: () => unknown, options: TimingOptions): Promise<Stats> {
  const warmStart = performance.now();
  for (let i = 0; i < options.maxWarmup && (i < options.warmup || performance.now() - warmStart < options.warmupSeconds * 1000); i++) await fn();
  collectGarbage();
  const samples: number[] = [];
  let spent = 0;
  while (samples.length < options.iterations && (samples.length < options.minIterations || spent < options.budgetSeconds * 1000)) {
    const t0 = performance.now();
    await fn();
    const dt = performance.now() - t0;
    samples.push(dt);
    spent += dt;
  }
  return summarize(samples);
}

/** Times one call (compile times and other one-shot costs). */
export async function timeOnce<T>(fn: () => T | Promise<T>): Promise<{ readonly ms: number; readonly value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}
