// The plain C BatchNormalization loops (bench/c/bn.c), compiled at bench time with
// `gcc -O3 -march=native -fopenmp-simd` into a temporary folder: the memory-bandwidth reference for
// the BN workloads. The binary times itself (clock_gettime around each call, same warm-up and
// iteration budget as the JS peers) and prints its samples.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TimingOptions } from '../timing.js';
import type { Workload } from '../workloads/types.js';
import type { Peer, PeerRunner } from './types.js';

export const C_FLAGS = ['-O3', '-march=native', '-fopenmp-simd'];

/** bench/c/bn.c, found from this file in bench/peers/ or from its build output in bench/dist/bench/peers/. */
function sourcePath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, '..', 'c', 'bn.c'), join(here, '..', '..', '..', 'c', 'bn.c')];
  const found = candidates.find((c) => existsSync(c));
  if (found !== undefined) return found;
  throw new Error(`bench/c/bn.c not found near ${here}`);
}

export class CLoopPeer implements Peer {
  readonly role = 'reference' as const;
  readonly id: string;
  readonly label: string;
  readonly short: string;
  private binary: string | undefined;
  private folder: string | undefined;
  private gccVersion = '';

  /** `fresh`: allocate y on every call (as the JavaScript APIs do) instead of reusing one buffer. */
  constructor(private readonly fresh = false) {
    this.id = fresh ? 'c-loop-fresh' : 'c-loop';
    this.label = fresh ? 'C loop, new y every call (malloc/free around each call)' : 'C loop (gcc -O3 -march=native, 1 thread, y reused)';
    this.short = fresh ? 'C loop, new y' : 'C loop';
  }

  async init(): Promise<string | undefined> {
    try {
      this.gccVersion = execFileSync('gcc', ['--version'], { encoding: 'utf8' }).split('\n')[0];
    } catch {
      return 'gcc not found on PATH';
    }
    try {
      this.folder = mkdtempSync(join(tmpdir(), 'kiln-bench-c-'));
      this.binary = join(this.folder, 'bn');
      execFileSync('gcc', [...C_FLAGS, '-o', this.binary, sourcePath(), '-lm'], { stdio: ['ignore', 'ignore', 'pipe'] });
      return undefined;
    } catch (e) {
      return `gcc could not build bench/c/bn.c: ${(e as Error).message}`;
    }
  }

  skipReason(w: Workload): string | undefined {
    return w.spec.kind === 'bn' ? undefined : 'BN workloads only';
  }

  async prepare(w: Workload, _built: unknown, timing: TimingOptions): Promise<PeerRunner> {
    if (w.spec.kind !== 'bn' || this.binary === undefined) throw new Error('c-loop: BN workloads only, after init()');
    const [n, c] = w.spec.dims;
    const s = w.spec.dims.slice(2).reduce((a, b) => a * b, 1);
    const args = [w.spec.training ? 'train' : 'infer', n, c, s, timing.iterations, timing.warmup, timing.budgetSeconds, ...(this.fresh ? ['fresh'] : [])].map(String);
    const out = execFileSync(this.binary, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
    const parsed = JSON.parse(out) as { samples_ms: number[] };
    return {
      ownSamples: parsed.samples_ms,
      run: async () => {},
      output: () => undefined,
      dispose: async () => {},
    };
  }

  /** Deletes the temporary build folder. */
  cleanup(): void {
    if (this.folder !== undefined) rmSync(this.folder, { recursive: true, force: true });
  }

  notes(): string[] {
    if (this.fresh) return ['the same binary; y is allocated before and freed after every call, so first-touch page faults of the output count, as they do for every JavaScript peer (each returns a new output array)'];
    return [
      `${this.gccVersion}; flags ${C_FLAGS.join(' ')} (-fopenmp-simd only enables the 'omp simd' reductions, no threads); single-threaded; float64 accumulators; NCHW`,
      'inference: y = x·a[c] + b[c] (8 bytes/element); training: mean pass, variance pass (two-pass), normalize pass (16 bytes/element)',
    ];
  }
}
