// Winograd F(2×2, 3×3) convolution on the wasm backend (Lavin & Gray, "Fast Algorithms for
// Convolutional Neural Networks", CVPR 2016): 16 multiplies per 2×2 outputs and input channel instead
// of 36, at the price of transforms and a slightly larger float32 error (bounded in the tests). The
// filter transform runs every call (O(16·M·C), small next to the convolution; weights may change
// between calls, so nothing is cached), then units of (image, block of tiles, chunk of output
// channels) run the input transform / 16 GEMMs / output transform of winograd-module.ts; a call with
// a single tile block transforms the filters inside its units instead. Chosen by conv2d.ts.

import type { RoutineCall } from '../../../ops/kernel-ir.js';
import { ALIGN } from '../heap.js';
import type { WasmBuffer, WasmRoutineContext } from './context.js';
import { PANEL } from './gemm.js';
import { buildWinogradModule, winogradConvParams, winogradScratchBytes, WINOGRAD_EXPORTS, XI } from './winograd-module.js';
import { cachedGroupTable, GROUP, TileGeometry, tileCount } from './winograd-tiles.js';

type Conv2dCall = Extract<RoutineCall, { routine: 'conv2d' }>;

/** Target bytes of one block's transformed input V (16·C·Tp floats), kept in L2 while U streams past. */
const V_TARGET_BYTES = 128 * 1024;
/** Tiles per block: a multiple of the 8-column panel, at most MAX_TILES, at least MIN_TILES (or all). */
const MAX_TILES = 64;
const MIN_TILES = 16;
/** Output channels per GEMM row block (the products m of one block stay in L1/L2). */
const ROW_BLOCK = 16;
/** Output channels per unit, at least (units split M only when images × tile blocks are too few). */
const MIN_CHUNK = 32;
const PARALLEL_MIN_MACS = 1 << 18;
/**
 * Images × tile blocks up to which each unit transforms its own filters (fused). With one, every
 * filter is transformed once either way, and fusing saves writing U out and reading it back (16·M·C
 * floats: 16 MiB for 512 → 512, measured ~1.8 ms of a ~7 ms 7×7 convolution).
 */
const FUSED_MAX_UNITS = 1;

const roundUp = (v: number, m: number): number => Math.ceil(v / m) * m;

export interface WinogradBlocking {
  /** Tiles per block (multiple of 8) and the number of blocks per image. */
  readonly Tp: number;
  readonly nTB: number;
  /** Output channels per unit (multiple of ROW_BLOCK) and the number of chunks. */
  readonly MC: number;
  readonly nMC: number;
}

/** Tile blocks sized for L2; M split only as far as needed to give every thread a few units. */
export function winogradBlocking(C: number, M: number, nTiles: number, images: number, threads: number): WinogradBlocking {
  const fit = Math.floor(V_TARGET_BYTES / (XI * 4 * C) / PANEL) * PANEL;
  const Tp = Math.min(roundUp(nTiles, PANEL), MAX_TILES, Math.max(MIN_TILES, fit));
  const nTB = Math.ceil(nTiles / Tp);
  // Every chunk of a tile block repeats its input transform: split only for a second thread.
  const want = threads === 1 ? 1 : Math.ceil((4 * threads) / (images * nTB));
  const nMCmax = Math.max(1, Math.floor(M / MIN_CHUNK));
  const MC = roundUp(Math.ceil(M / Math.min(want, nMCmax)), ROW_BLOCK);
  return { Tp, nTB, MC, nMC: Math.ceil(M / MC) };
}

/** Runs the Winograd convolution into `raw` (float32, no epilogue). Eligibility is conv2d.ts's. */
export function winogradConv(ctx: WasmRoutineContext, call: Conv2dCall, raw: WasmBuffer, inputs: readonly WasmBuffer[]): void {
  const [x, w] = inputs;
  const bias = call.hasBias ? inputs[2] : undefined;
  const [nb, C, H, W] = call.xDims;
  const M = call.wDims[0];
  const [, , OH, OW] = call.outDims;
  const geo: TileGeometry = { H, W, OH, OW, padTop: call.pads[0], padLeft: call.pads[1] };
  const nTiles = tileCount(geo);
  const { Tp, nTB, MC, nMC } = winogradBlocking(C, M, nTiles, nb, ctx.pool.threads);
  const Cp = roundUp(C, 4);
  const heap = ctx.heap;
  const mod = ctx.module('winograd', buildWinogradModule, WINOGRAD_EXPORTS);
  const parallel = nb * M * OH * OW * C * 9 >= PARALLEL_MIN_MACS;
  const groups = (nTB * Tp) / 4;
  const fused = nb * nTB <= FUSED_MAX_UNITS;
  const stride = roundUp(winogradScratchBytes(C, Tp, ROW_BLOCK, fused ? Cp : 0), ALIGN);
  const U = fused ? 0 : heap.alloc(XI * M * Cp * 4);
  const table = heap.alloc(groups * GROUP.bytes);
  const scratch = heap.alloc(ctx.pool.threads * stride);
  try {
    heap.i32(table, (groups * GROUP.bytes) / 4).set(cachedGroupTable(geo, groups));
    if (!fused) ctx.pool.run(mod, 0, M, Math.max(1, Math.ceil(4096 / C)), ctx.params([w.offset, U, C, Cp]), parallel);
    const params = winogradConvParams({
      x: x.offset, w: w.offset, fused: fused ? 1 : 0, U, bias: bias?.offset ?? 0, out: raw.offset, C, H, W, M, OH, OW, Cp, nTiles,
      nTB, nMC, MC, MB: ROW_BLOCK, Tp, table, scratchBase: scratch, scratchStride: stride,
    });
    ctx.pool.run(mod, 1, nb * nTB * nMC, 1, ctx.params(params), parallel);
  } finally {
    if (U !== 0) heap.release(U);
    heap.release(table);
    heap.release(scratch);
  }
}
