// The peer interface: each implementation the benchmark times (kiln's backends, onnxruntime-node,
// onnxruntime-web, tfjs-wasm, the C loop) prepares a workload once and then runs it repeatedly.

import type { TimingOptions } from '../timing.js';
import type { BuiltWorkload, Workload } from '../workloads/types.js';

export interface PeerRunner {
  /** One timed call: inputs already on the host, outputs read back to the host. */
  run(): Promise<void>;
  /**
   * The first output of the last run in NCHW order (for the agreement check against kiln), or
   * undefined where it is not comparable (other weights, or no output kept).
   */
  output(): Float32Array | undefined;
  dispose(): Promise<void>;
  /** Timings the peer measured itself (the C loop times inside its own process), in ms. */
  readonly ownSamples?: readonly number[];
}

export type PeerRole = 'kiln' | 'peer' | 'reference';

export interface Peer {
  /** Short id (column key, `--peers`). */
  readonly id: string;
  /** Full name, for the peer list in the report. */
  readonly label: string;
  /** Column header in the tables. */
  readonly short: string;
  readonly role: PeerRole;
  /** Loads the peer; resolves to undefined when it can run, else to the reason it cannot. */
  init(): Promise<string | undefined>;
  /** Why this peer does not run `w` (undefined: it does). */
  skipReason(w: Workload): string | undefined;
  /** `timing` is for peers that time themselves (the C loop); the others are timed by run.ts. */
  prepare(w: Workload, built: BuiltWorkload, timing: TimingOptions): Promise<PeerRunner>;
  /** What the report should say about this peer's configuration (threads, layout, versions). */
  notes(): string[];
}
