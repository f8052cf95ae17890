// Batched matmul in wasm: pack every distinct B matrix into 8-column panels (transB folded into the
// packing), then the 4×8 f32x4 micro-kernel over (batch, row block, column block) units; transA is a
// pair of strides. A fused epilogue runs on each unit's staged block as it is stored (epilogue-stage.ts).
// Non-float32 operands return false (the backend runs the CPU routine).

import { sizeOf } from '../../../core/shape.js';
import type { RoutineCall } from '../../../ops/kernel-ir.js';
import { batchMatrixIndex } from '../../cpu/routines/matmul.js';
import { ALIGN } from '../heap.js';
import { gemmModule, matmulParams, PANEL, TILE_TMP_BYTES } from './gemm.js';
import type { WasmBuffer, WasmRoutineContext } from './context.js';
import { epilogueKernel, RAW_DTYPES } from './epilogue.js';
import { overlaps, releaseStaged, stagedParamsBytes, stageEpilogue } from './epilogue-stage.js';

type MatmulCall = Extract<RoutineCall, { routine: 'matmul' }>;

/** Rows and 8-column panels per unit of work. */
const ROW_BLOCK = 32;
const PANEL_BLOCK = 16;
/** Multiply-adds below which the main thread works alone. */
const PARALLEL_MIN_MACS = 1 << 18;

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
  const nMatB = sizeOf(bDims.slice(0, -2));
  const nPanels = Math.ceil(N / PANEL);
  const heap = ctx.heap;
  const extras = inputs.slice(2);
  // The epilogue runs on each staged block as it is stored (epilogue-stage.ts); a kernel without a
  // wasm form runs as a second pass over raw results, kept in scratch when the output is not float32 or
  // shares storage with an epilogue operand (which a raw store would overwrite before the pass reads it).
  const staged = epilogue === undefined ? undefined : stageEpilogue(ctx, epilogue, extras, out);
  const mod = gemmModule(ctx, staged);
  const aliased = epilogue !== undefined && extras.some((e) => overlaps(e, out));
  const raw = epilogue === undefined || staged !== undefined || (out.dtype === 'float32' && !aliased) ? out : ctx.scratchBuffer('float32', batch * M * N);
  try {
    const packed = heap.alloc(Math.max(1, nMatB * nPanels * K * PANEL * 4));
    const tables = heap.alloc(batch * 8);
    // Per thread: [edge tile][stage: ROW_BLOCK × PANEL_BLOCK·8 floats][epilogue params].
    const stageAt = TILE_TMP_BYTES;
    const epiParamsAt = stageAt + (staged === undefined ? 0 : ROW_BLOCK * PANEL_BLOCK * PANEL * 4);
    const tmpStride = Math.ceil((epiParamsAt + stagedParamsBytes(staged)) / ALIGN) * ALIGN;
    const tmp = heap.alloc(ctx.pool.threads * tmpStride);
    try {
      const tab = heap.i32(tables, 2 * batch);
      for (let p = 0; p < batch; p++) {
        tab[p] = aIdx[p] * M * K * 4;
        tab[batch + p] = bIdx[p];
      }
      const parallel = batch * M * N * K >= PARALLEL_MIN_MACS;
      const packChunk = Math.max(1, Math.ceil(16384 / Math.max(1, K * PANEL)));
      ctx.pool.run(mod, 0, nMatB * nPanels, packChunk, ctx.params([b.offset, K, N, transB ? 1 : 0, packed, nPanels]), parallel);
      const nRB = Math.ceil(M / ROW_BLOCK);
      const nCB = Math.ceil(nPanels / PANEL_BLOCK);
      const rsA = (transA ? 1 : K) * 4;
      const ksA = (transA ? M : 1) * 4;
      const params = matmulParams({
        a: a.offset, rsA, ksA, M, K, N, packed, nPanels, out: raw.offset, aOffTab: tables, bIdxTab: tables + 4 * batch, nRB, nCB, RB: ROW_BLOCK, CBP: PANEL_BLOCK,
        tmpBase: tmp, tmpStride, stageAt, epiParamsAt, epiTemplate: staged?.template ?? 0, epiWords: staged?.words ?? 0,
      });
      ctx.pool.run(mod, 1, batch * nRB * nCB, 1, ctx.params(params), parallel);
    } finally {
      heap.release(packed);
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
