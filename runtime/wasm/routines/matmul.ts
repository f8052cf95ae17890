// Batched matmul in wasm: units of (batch, row group, column block) pack B a K-block at a time into
// per-thread scratch (transB folded into the packing; matmul-module.ts), so the scratch is bounded by
// the block sizes below whatever B's size, and run the 4×8 f32x4 micro-kernel over the unit's rows;
// transA is a pair of strides. A fused epilogue runs on each unit's staged block as it is stored
// (epilogue-stage.ts). Non-float32 operands return false (the backend runs the CPU routine).

import { sizeOf } from '../../../core/shape.js';
import type { RoutineCall } from '../../../ops/kernel-ir.js';
import { batchMatrixIndex } from '../../cpu/routines/matmul.js';
import { ALIGN, roundUp } from '../heap.js';
import { PANEL, PANEL_ROW_BYTES, TILE_TMP_BYTES } from './gemm.js';
import { matmulModule, matmulParams } from './matmul-module.js';
import type { WasmBuffer, WasmRoutineContext } from './context.js';
import { epilogueKernel, RAW_DTYPES } from './epilogue.js';
import { rawTarget, releaseStaged, stagedParamsBytes, stageEpilogue } from './epilogue-stage.js';

type MatmulCall = Extract<RoutineCall, { routine: 'matmul' }>;

/**
 * Blocking (Goto & van de Geijn 2008): a unit packs KC × (CBP·8) of B at a time (KC·CBP·32 bytes =
 * 128 KiB, in L2 with the unit's MC × KC slice of A) and reuses it for its MC rows; with an epilogue
 * the unit's MC × CBP·8 sums wait in the stage (64 KiB) until the last K-block. Per thread the scratch
 * is therefore at most matmulScratchLayout(…).stride bytes, whatever the operands' sizes. Re-packing
 * B once per row group costs ~1/MC of the multiply-adds in copies. Measured on 1024³ (1 thread, best of
 * 8 interleaved with the whole-B packing it replaced): KC, CBP, MC = 512, 8, 256 within ±2% of it
 * (the machine's noise); 256, 16, 128 and 512, 8, 128 were 2–40% slower.
 */
export const KC = 512;
export const CBP = 8;
export const MC = 256;
/** Multiply-adds below which the main thread works alone. */
const PARALLEL_MIN_MACS = 1 << 18;


/** Bytes of one thread's scratch: [edge tile][packed block][stage if staged][epilogue params]. */
export function matmulScratchLayout(paramsBytes: number | undefined): { packAt: number; stageAt: number; epiParamsAt: number; stride: number } {
  const packAt = TILE_TMP_BYTES;
  const stageAt = packAt + KC * CBP * PANEL_ROW_BYTES;
  const epiParamsAt = stageAt + (paramsBytes === undefined ? 0 : MC * CBP * PANEL_ROW_BYTES);
  return { packAt, stageAt, epiParamsAt, stride: roundUp(epiParamsAt + (paramsBytes ?? 0), ALIGN) };
}

export function wasmMatmul(ctx: WasmRoutineContext, call: MatmulCall, inputs: readonly WasmBuffer[], outputs: readonly WasmBuffer[]): boolean {
  const [a, b] = inputs;
  const out = outputs[0];
  const epilogue = call.epilogue;
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return false;
  if (epilogue === undefined ? out.dtype !== 'float32' : !RAW_DTYPES.has(epilogue.operands[0].dtype)) return false;
  const { aDims, bDims, transA, transB, outDims } = call;
  const r = outDims.length;
  const M = outDims[r - 2];
  const N = outDims[r - 1];
  const K = transA ? aDims[aDims.length - 2] : aDims[aDims.length - 1];
  const outBatch = outDims.slice(0, r - 2);
  const batch = sizeOf(outBatch);
  if (batch * M * N === 0) return epilogue === undefined;
  const aIdx = batchMatrixIndex(outBatch, aDims.slice(0, -2));
  const bIdx = batchMatrixIndex(outBatch, bDims.slice(0, -2));
  const nPanels = Math.ceil(N / PANEL);
  const heap = ctx.heap;
  const extras = inputs.slice(2);
  // The epilogue runs on each staged block as it is stored (epilogue-stage.ts); a kernel without a
  // wasm form runs as a second pass over raw results stored where rawTarget says.
  const staged = epilogue === undefined ? undefined : stageEpilogue(ctx, epilogue, extras, out);
  const mod = matmulModule(ctx, staged);
  const raw = epilogue === undefined || staged !== undefined ? out : rawTarget(ctx, out, extras, batch * M * N);
  try {
    const tables = heap.alloc(batch * 8);
    const layout = matmulScratchLayout(staged === undefined ? undefined : stagedParamsBytes(staged));
    const tmp = heap.alloc(ctx.pool.threads * layout.stride);
    try {
      const tab = heap.i32(tables, 2 * batch);
      for (let p = 0; p < batch; p++) {
        tab[p] = aIdx[p] * M * K * 4;
        tab[batch + p] = bIdx[p] * K * N * 4;
      }
      const parallel = batch * M * N * K >= PARALLEL_MIN_MACS;
      const nRG = Math.ceil(M / MC);
      const nCB = Math.ceil(nPanels / CBP);
      const params = matmulParams({
        a: a.offset, rsA: (transA ? 1 : K) * 4, ksA: (transA ? M : 1) * 4, M, K, N, b: b.offset, transB: transB ? 1 : 0, nPanels, out: raw.offset,
        aOffTab: tables, bOffTab: tables + 4 * batch, nRG, nCB, MC, CBP, KC, tmpBase: tmp, tmpStride: layout.stride, packAt: layout.packAt,
        stageAt: layout.stageAt, epiParamsAt: layout.epiParamsAt, epiTemplate: staged?.template ?? 0, epiWords: staged?.words ?? 0,
      });
      ctx.pool.run(mod, 0, batch * nRG * nCB, 1, ctx.params(params), parallel);
    } finally {
      heap.release(tables);
      heap.release(tmp);
    }
    if (epilogue !== undefined && staged === undefined) ctx.elementwise(epilogueKernel(epilogue, out.dtype), [raw, ...extras], out);
  } finally {
    if (raw !== out) ctx.releaseScratch(raw);
    releaseStaged(ctx, staged);
  }
  return true;
}
