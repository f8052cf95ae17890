// Mean and population variance (the BN training statistics) in wasm, deterministic and bit-identical
// for any thread count (DESIGN.md §6). The axes merge into [R0, K, R1] (reduced, kept, reduced).
//
// With the backend's default precision 'float64', every value is promoted to float64 and summed in
// f64x2 lanes, two passes (mean, then squared deviations), as the CPU routine does (float64 rounding
// apart, which a float32 result never shows). With precision 'float32', long runs (R1 ≥ 16, e.g. NCHW
// per-channel statistics) are summed in float32 blocks instead: promoting every
// value to float64 (half-width lanes, a promote per value, two passes over memory) made this
// compute-bound, so each block of at most BLOCK values is summed in f32x4 lanes and only the lane
// totals go to float64. The lanes hold d = x − m̂ and d², m̂ an f32 estimate
// of the mean of the block's unit (a fixed group of run segments, about SEGMENT values), so the f32
// sums carry the data's spread rather than its offset (d is exact for x near m̂, Sterbenz); the
// corrected two-pass formula M2 = Σd² − (Σd)²/n, mean = m̂ + Σd/n (Chan, Golub & LeVeque, "Algorithms
// for computing the sample variance", Am. Stat. 37, 1983) over the unit cancels the estimate's error,
// which only amplifies the f32 rounding of Σd² by 1 + (mean − m̂)²/σ² (σ the unit's, so a drift
// between its blocks counts in σ). m̂ is the mean of 16 values spread over the unit; a unit whose
// (Σd)² > n·M2 (m̂ off by more than σ) is summed again about its refined mean. One estimate per unit
// rather than per block of 1024 values: the per-block estimate, divisions and merge cost about a fifth
// of the statistics' time (0.25 → 0.20 ms on [8, 64, 56, 56]). Units merge by the pairwise update of
// Chan, Golub & LeVeque (1979) in float64, in index order. A non-finite or subnormal-scale variance
// (f32 overflow or underflow) is recomputed by the float64 path. Observed error: variance ≤ 5.2e-7
// relative, mean ≤ 0.45 f32 ulp of the data's scale (moments.test.ts).
//
// Short runs (R1 < 16: channels-last [M, C], NHWC activations, tiny spatial maps) are columns: row
// length L = K·R1, column j of channel ⌊j / R1⌋. With precision 'float64' rows are accumulated
// vertically in float64 per column block, two passes. With 'float32' they are summed in float32 blocks
// of VERTICAL_ROWS rows (strips) or TILE_BLOCK_ROWS (tiles), one lane per column, for the same reason
// as above (the float64 path promoted every value and went over memory twice: 0.16–0.3 ms on
// [256, 1024], where the data takes 0.03): d = x − s and d² per column, s the block's shift (an f32
// per column: for a unit's first block the mean of 16 of its rows, then the previous block's mean,
// which stationary rows put within σ/5 of the block's),
// then per column in float64 mean = s + Σd/n, M2 = max(0, Σd² − (Σd)²/n) — the corrected two-pass
// formula of Chan, Golub & LeVeque (1983) — summed again about the refined means (at most MAX_REFINES
// times) while some column has (Σd)² > n·M2, and merged into the column's running (n, mean, M2) by the
// pairwise update of Chan, Golub & LeVeque (1979) in float64. Σd goes to float64 every few rows (D_ROWS,
// or ROW_STEP summed pairwise): one f32 lane summing a whole block's d would leave the mean σ/2 f32 ulps
// off. Rows of at least MIN_TILE columns are read along their length in tiles (contiguous, so prefetched;
// a wide row's columns lie a page apart, and columns read down the rows cost a TLB miss per row), the
// f32 sums in L1 work slots; narrower rows (and the last L mod 4 columns) in column strips held in
// registers. Units (row group, tile or strip) depend on the shape only and write their own columns; row
// groups, then a channel's R1 columns, merge by Chan's update in index order, so results are the same
// for any thread count. Non-finite and subnormal-scale results fall back to float64 as above. Observed:
// variance ≤ 5.4e-7 relative, mean ≤ 0.4 f32 ulp of the data's scale (moments.test.ts).
//
// Weighted moments, non-float32 inputs and axis patterns that do not merge into [R0, K, R1] return
// false (the backend runs the CPU routine).

import { sizeOf } from '../../../core/shape.js';
import type { RoutineCall } from '../../../ops/kernel-ir.js';
import { PARALLEL_MIN_WORK, type WasmBuffer, type WasmRoutineContext } from './context.js';
import { horizontalF64, verticalF64 } from './moments/float64.js';
import { horizontalBlocks } from './moments/horizontal-blocks.js';
import { reductionLayout } from '../../cpu/routines/reduction-layout.js';
import type { WasmHeap } from '../heap.js';
import type { PoolModule } from '../pool.js';
import { finishVariant } from './moments/finish.js';
import { BATCH_NORM, FINISH, MIN_HORIZONTAL_RUN, type MomentResults, MOMENTS_EXPORTS, type MomentsRun } from './moments/layout.js';
import { buildMomentsModule } from './moments/module.js';
import { verticalBlocks } from './moments/vertical-blocks.js';
import { writeBatchNormChannels } from '../../batch-norm-channels.js';

type MomentsCall = Extract<RoutineCall, { routine: 'moments' }>;

/** Result arrays per backend heap, grown to the largest K seen (MomentsRun.out). */
const resultArrays = new WeakMap<object, MomentResults>();

function resultsFor(heap: WasmHeap, k: number): MomentResults {
  let r = resultArrays.get(heap);
  if (r === undefined || r.mean.length < k) {
    if (r !== undefined) {
      heap.release(r.meanAt);
      heap.release(r.m2At);
    }
    // Whole f64x2 pairs: the vertical drivers write columns up to the next multiple of 4.
    const capacity = Math.ceil(k / 4) * 4;
    const meanAt = heap.alloc(capacity * 8);
    const m2At = heap.alloc(capacity * 8);
    // Views of a shared memory stay valid when it grows (its buffers are never detached).
    r = { mean: heap.f64(meanAt, capacity), m2: heap.f64(m2At, capacity), meanAt, m2At };
    resultArrays.set(heap, r);
  }
  return r;
}

/**
 * The outputs from the block drivers' results (finish.ts, in wasm): true when every channel's
 * statistics can be trusted, false when some are not finite or have a subnormal-scale variance.
 */
function finish(run: MomentsRun, outputs: readonly WasmBuffer[], count: number): boolean {
  const [outMean, outVar] = outputs;
  const variant = finishVariant(outMean.dtype === 'float64', outVar.dtype === 'float64');
  const params = run.ctx.params([run.out.meanAt, run.out.m2At, outMean.offset, outVar.offset, count]);
  return run.mod.fns[FINISH + variant](0, run.layout.k, 0, params) === 0;
}

/** Run moments in wasm; false when the call needs the CPU routine. */
export function wasmMoments(ctx: WasmRoutineContext, call: MomentsCall, inputs: readonly WasmBuffer[], outputs: readonly WasmBuffer[]): boolean {
  const x = inputs[0];
  if (call.weighted || x.dtype !== 'float32') return false;
  const float = (b: WasmBuffer): boolean => b.dtype === 'float32' || b.dtype === 'float64';
  if (!outputs.every(float) || !inputs.slice(1).every(float)) return false;
  const mod = ctx.module('moments', buildMomentsModule, MOMENTS_EXPORTS);
  if (!momentsInWasm(ctx, mod, call, x, outputs)) return false;
  if (call.batchNorm !== undefined) batchNormChannels(ctx, mod, call.batchNorm, inputs, outputs);
  return true;
}

/** The first k elements of a float32 or float64 buffer (wasmMoments checked the dtypes). */
function floatView(ctx: WasmRoutineContext, b: WasmBuffer, k: number): Float32Array | Float64Array {
  const v = ctx.heap.view(b.dtype, b.offset, k);
  if (!(v instanceof Float32Array || v instanceof Float64Array)) throw new Error(`moments: a ${b.dtype} operand where float32 or float64 was checked`);
  return v;
}

/**
 * The per-channel outputs of a `batchNorm` call: in wasm (moments/batch-norm.ts) for float32 scale and
 * running statistics with float64 statistics and factor (a float32 model), else over heap views
 * (runtime/batch-norm-channels.ts); the same float64 operations either way.
 */
function batchNormChannels(ctx: WasmRoutineContext, mod: PoolModule, bn: NonNullable<MomentsCall['batchNorm']>, inputs: readonly WasmBuffer[], outputs: readonly WasmBuffer[]): void {
  const k = outputs[2].size;
  const running = outputs.length === 5;
  const is = (dtype: WasmBuffer['dtype']) => (b: WasmBuffer): boolean => b.dtype === dtype;
  if (outputs.slice(0, 3).every(is('float64')) && [...inputs.slice(1), ...outputs.slice(3)].every(is('float32'))) {
    const r = (b: WasmBuffer | undefined): number => (running && b !== undefined ? b.offset : 0);
    const params = ctx.params([outputs[0].offset, outputs[1].offset, outputs[2].offset, inputs[1].offset, r(inputs[2]), r(inputs[3]), r(outputs[3]), r(outputs[4]), running ? 1 : 0]);
    mod.fns[BATCH_NORM](k, params, bn.epsilon, bn.momentum);
    return;
  }
  const view = (b: WasmBuffer): Float32Array | Float64Array => floatView(ctx, b, k);
  const runningIo = running ? { mean: view(inputs[2]), variance: view(inputs[3]), meanOut: view(outputs[3]), varianceOut: view(outputs[4]) } : undefined;
  writeBatchNormChannels(k, bn.epsilon, bn.momentum, { mean: view(outputs[0]), variance: view(outputs[1]), scale: view(inputs[1]), a: view(outputs[2]), running: runningIo });
}

/** Mean and variance into outputs 0 and 1; false when the reduction needs the CPU routine. */
function momentsInWasm(ctx: WasmRoutineContext, mod: PoolModule, call: MomentsCall, x: WasmBuffer, outputs: readonly WasmBuffer[]): boolean {
  const layout = reductionLayout(call.inDims, call.axes);
  if (layout === undefined) return false;
  const n = sizeOf(call.inDims);
  if (n === 0) return false;
  const { r0, k, r1 } = layout;
  const count = r0 * r1;
  const run: MomentsRun = { ctx, mod, x, layout, parallel: n >= PARALLEL_MIN_WORK, out: resultsFor(ctx.heap, k) };
  if (ctx.precision === 'float32') {
    if (r1 >= MIN_HORIZONTAL_RUN) horizontalBlocks(run);
    else verticalBlocks(run);
    if (finish(run, outputs, count)) return true;
  }
  const stats = r1 >= MIN_HORIZONTAL_RUN ? horizontalF64(run) : verticalF64(run);
  const [outMean, outVar] = outputs;
  const mv = floatView(ctx, outMean, k);
  const vv = floatView(ctx, outVar, k);
  for (let c = 0; c < k; c++) {
    mv[c] = stats.mean[c];
    vv[c] = stats.m2[c] / count;
  }
  return true;
}
