// The moments routine's shared vocabulary: the [R0, K, R1] layout its axes merge into
// (reduction-layout.ts), the block and segment sizes that fix its reduction order, the module's
// exports, and what a driver works on.

import type { ReductionLayout } from '../../../cpu/routines/reduction-layout.js';
import type { PoolModule } from '../../pool.js';
import type { WasmBuffer, WasmRoutineContext } from '../context.js';
import { FINISH_EXPORTS } from './finish.js';

/** Elements per horizontal segment: a run longer than this is split (fixed, shape-independent). */
export const SEGMENT = 16384;

/**
 * Values per horizontal block (a multiple of 16 dividing SEGMENT): each of the 16 f32 lanes sums at
 * most 64 terms (128 when the block gathers short runs) before float64 takes over. Smaller blocks lose
 * more time to the per-block work than they gain in accuracy.
 */
export const BLOCK = 1024;

/**
 * Extra passes over a unit (horizontal) or block of rows (vertical) whose estimated mean was off by more
 * than its standard deviation.
 */
export const MAX_REFINES = 2;

/**
 * Values per vertical row block (rows per block = ceil(BLOCK / rowLength)); rows of at least this many
 * values form one block (the column blocks give the parallelism), so partial sums never take more than
 * a fraction of the input's size.
 */
export const VERTICAL_BLOCK = 65536;

/** Columns per vertical column block (16 KiB of float64 accumulators). */
export const COLUMN_BLOCK = 2048;

/**
 * Rows per vertical block in float32: each f32 lane (one column) sums at most this many terms before
 * float64 takes over.
 */
export const VERTICAL_ROWS = 64;

/**
 * Rows per vertical block of the tiles (vertical-tiles.ts). A tile lane's Σd² takes 3 pairwise levels
 * per 8 rows, then one addition per 8 rows: at most 19 roundings in 128 rows, fewer than a strip lane's
 * 64 in VERTICAL_ROWS. Each block costs a statistics and a merge pass over its columns: 128 rows instead
 * of 64 take [256, 1024]'s training forward from 0.079 to 0.075 ms (measured in one process).
 */
export const TILE_BLOCK_ROWS = 128;

/**
 * Rows of at least this many columns (their first multiple of 4; the rest in a strip) are read along
 * their length in tiles, narrower ones in column strips held in registers (the measured crossover lies
 * between 64 and 96 columns).
 */
export const MIN_TILE = 96;

/** Columns per tile at most (12 KiB of work slots, in L1 with the rows streaming through). */
export const MAX_TILE = 1024;

/** Values per vertical row group (a whole number of blocks), the unit of parallelism along rows. */
export const VERTICAL_GROUP = 1 << 18;

/** Runs shorter than this are accumulated vertically. */
export const MIN_HORIZONTAL_RUN = 16;

export const MOMENTS_EXPORTS = ['hstat', 'hsum', 'hsq', 'vsum', 'vsq', 'vstat', 'vtile', ...FINISH_EXPORTS, 'bn'] as const;

export const [HSTAT, HSUM, HSQ, VSUM, VSQ, VSTAT, VTILE] = [0, 1, 2, 3, 4, 5, 6];

/** The first finish export's index (finish.ts, finishVariant counts from it). */
export const FINISH = MOMENTS_EXPORTS.indexOf(FINISH_EXPORTS[0]);
/** BatchNormalization's per-channel outputs (batch-norm.ts). */
export const BATCH_NORM = MOMENTS_EXPORTS.indexOf('bn');

/** Per kept position: the mean and M2 = Σ(x − mean)² (the variance is M2 / count). */
export interface Moments {
  readonly mean: Float64Array;
  readonly m2: Float64Array;
}

export interface MomentsRun {
  readonly ctx: WasmRoutineContext;
  readonly mod: PoolModule;
  readonly x: WasmBuffer;
  readonly layout: ReductionLayout;
  readonly parallel: boolean;
  /**
   * Where the float32 block drivers write their result: K values each, in the wasm heap (so the finish
   * reads them there) and reused from call to call (allocating two Float64Arrays, or slicing them out
   * of the shared memory, cost 5–50 µs per call in Node 20, as much as the [256, 1024] statistics
   * themselves). Valid until the next moments call.
   */
  readonly out: MomentResults;
}

/** Moments in the wasm heap: views of at least K values, and their byte offsets. */
export interface MomentResults extends Moments {
  readonly meanAt: number;
  readonly m2At: number;
}

/**
 * A running (count, mean, M2) that takes partial statistics in call order by the pairwise update of
 * Chan, Golub & LeVeque (1979): δ = mean_b − mean_a, mean = mean_a + δ·n_b/n, M2 = M2_a + M2_b +
 * δ²·n_a·n_b/n. The first partial is taken as it is.
 */
export class ChanMerge {
  n = 0;
  mean = 0;
  m2 = 0;

  add(n: number, mean: number, m2: number): void {
    if (this.n === 0) {
      this.n = n;
      this.mean = mean;
      this.m2 = m2;
      return;
    }
    const nn = this.n + n;
    const delta = mean - this.mean;
    this.mean += (delta * n) / nn;
    this.m2 += m2 + delta * delta * ((this.n * n) / nn);
    this.n = nn;
  }
}
