// Winograd F(m×m, 3×3) convolution on the wasm backend (Lavin & Gray, "Fast Algorithms for
// Convolutional Neural Networks", CVPR 2016), chosen by conv2d.ts: F(2×2) takes 16 multiplies per 2×2
// outputs and input channel instead of 36, F(4×4) 36 per 4×4 outputs instead of 144, at the price of
// transforms and a larger float32 error (bounded in the tests). `winogradVariant` picks the one whose
// GEMMs do fewer multiplies, counting the tile panels' padding: F(4×4) wherever an image has enough
// tiles (ResNet's 56², 28² and 14² stages), F(2×2) on small images (7×7: 16 tiles against 4, which
// would fill half an 8-tile panel). The tiles of a batch run as one sequence (batchTiles: a block may
// span images), so its panels are padded once per call rather than once per image, and eight 7×7
// images take F(4×4).
//
// Every input tile is transformed exactly once per call, and so is every filter unless it is kept (below;
// repeating either transform per unit of work cost 10–25% in an earlier version), so one of the two
// transformed operands must be held whole while the other is produced a block at a time. The call holds
// whichever is smaller:
//   filters shared  U (ξ·M·C floats, ξ = 16 or 36) once, then units of (tile block, output-channel
//                   chunk) transform their tiles into per-thread V and run the ξ GEMMs and output transform
//                   ('tiles' in winograd-module.ts): early ResNet stages, many tiles and few channels;
//   inputs shared   V of a group of tile blocks (ξ·C·tiles floats, at most vGroupBudget), then units
//                   of MB output channels transform their own filters into per-thread U and run every
//                   tile block of the group ('inputs', then 'rows'): late stages, few tiles and many
//                   channels (F(4×4), 256 → 256 at 14×14: U 9 MiB, V 0.6 MiB; F(2×2), 512 at 7×7: U 16 MiB,
//                   V 0.5 MiB).
//                   Past vGroupBudget the filters are transformed once per group.
// A constant's filters (a model's weights: WasmBuffer.constant) are instead transformed once — while a
// session binds its plan (conv2d.ts's prepare step), else on the first call — into a U kept with the
// weights (WasmRoutineContext.derivedConstant), which every call and both blockings read: each call
// then transforms only its inputs. The transform is the same function,
// so the results are bit-identical either way. ResNet-18 batch 1, measured in one process: 48.2 →
// 45.7 ms (512 → 512 at 7×7: 3.97 → 3.51 ms a conv; reading U's 16 MiB instead of 9 MiB of weights
// costs less than transforming them), for 84 MiB of transformed filters beside 45 MiB of weights
// (cacheTransformedWeights: false turns it off).
// A fused epilogue, when conv2d.ts stages it (the output shares storage with an epilogue operand, or is
// not float32; not for a batch whose raw outputs fit WINOGRAD_RAW_SCRATCH_BYTES of scratch, which keeps
// its tiles one sequence), is applied as each output channel of a block is stored (epilogue-stage.ts);
// otherwise raw results are stored and conv2d.ts runs the epilogue as one second pass (1.5–3.5% faster).

import type { RoutineCall } from '../../../ops/kernel-ir.js';
import { ALIGN, roundUp, SET_SPAN } from '../heap.js';
import type { WasmBuffer, WasmRoutineContext } from './context.js';
import type { PoolModule } from '../pool.js';
import { sizeOf } from '../../../core/shape.js';
import { stagedModule, stagedParamsBytes, type StagedEpilogue } from './epilogue-stage.js';
import { PANEL, TILE_TMP_BYTES } from './gemm.js';
import { buildWinogradModule, SCRATCH_HEAD_BYTES, winogradConvParams, WINOGRAD_EXPORTS } from './winograd-module.js';
import { cachedGroupTable, groupLayout, readExtent, type TileGeometry, tileCols, tileCount } from './winograd-tiles.js';
import { F2, F4, type WinogradVariant } from './winograd-transforms.js';

type Conv2dCall = Extract<RoutineCall, { routine: 'conv2d' }>;

/** Target bytes of one block's transformed input V (ξ·C·Tp floats), kept in L2 while U streams past. */
export const V_TARGET_BYTES = 128 * 1024;
/** Tiles per block: a multiple of the 8-column panel, at most MAX_TILES, at least MIN_TILES (or all). */
export const MAX_TILES = 64;
export const MIN_TILES = 16;
/** Output channels per GEMM row block with filters shared (the products m of one block stay in L1/L2). */
export const ROW_BLOCK = 16;
/** Output channels per unit, at least (units split M only when images × tile blocks are too few). */
const MIN_CHUNK = 32;
/** Inputs shared: per-thread transformed filters of one row block (MB·ξ·C floats) stay within this. */
export const U_ROWS_BYTES = 256 * 1024;
export const MIN_ROWS = 4;
export const MAX_ROWS = 32;
/**
 * Inputs shared: the shared V of one group of tile blocks stays within V_GROUP_BYTES_PER_IMAGE per image
 * of the call, at most V_GROUP_BYTES (or one block), so this scratch grows with the batch as the
 * activations do. Each group beyond the first transforms the filters again: for 128 → 128 at 28×28
 * (F(4×4), batch 1: four 290 KiB blocks) two groups instead of one cost 0.17 ms of 5.7 (ResNet-18's
 * three such convs, measured in one process) and take ResNet-50's largest routine scratch from 1.39 to
 * 0.82 MiB; at batch 8 the 4 MiB bound keeps 256 → 256 at 14×14 and 512 → 512 at 7×7 to one or two
 * groups (768 KiB there costs 9 ms of 334).
 */
export const V_GROUP_BYTES_PER_IMAGE = 768 * 1024;
export const V_GROUP_BYTES = 4 * 1024 * 1024;
export const vGroupBudget = (images: number): number => Math.min(V_GROUP_BYTES, V_GROUP_BYTES_PER_IMAGE * images);
/** Inputs shared, pass 1: channels per unit, at least. */
const MIN_INPUT_CHANNELS = 16;
const PARALLEL_MIN_MACS = 1 << 18;


export interface WinogradBlocking {
  /** Which transformed operand the call holds whole (see the header). */
  readonly shared: 'filters' | 'inputs';
  /** Tiles per block (multiple of 8) and the number of blocks per image. */
  readonly Tp: number;
  readonly nTB: number;
  /** Output channels per GEMM row block. */
  readonly MB: number;
  /** Filters shared: output channels per unit (multiple of MB) and the number of chunks. */
  readonly MC: number;
  readonly nMC: number;
  /** Inputs shared: tile blocks per group (V holds one group). */
  readonly groupBlocks: number;
}

/**
 * The variant for `images` output images of OH×OW whose tiles form one sequence (1: blocks per image):
 * the one whose GEMM columns (the sequence's tiles rounded up to the 8-tile panel) times ξ are fewer
 * (ties: F(2×2), the more accurate). At 7×7, F(2×2) for one image (16 tiles × 16 against 4 → 8 × 36),
 * F(4×4) for 8 in one sequence (128 × 16 against 32 × 36).
 */
export function winogradVariant(OH: number, OW: number, images = 1): WinogradVariant {
  const cost = (v: WinogradVariant): number => roundUp(images * Math.ceil(OH / v.m) * Math.ceil(OW / v.m), PANEL) * v.xi;
  return cost(F4) < cost(F2) ? F4 : F2;
}

/**
 * Whether a call's tiles run as one sequence over its images (blocks may span images: no panel
 * padding per image) rather than image by image: always, except with a staged epilogue, whose stage
 * mirrors the output rows of one image's tile block (epilogue-stage.ts).
 */
const batchTiles = (images: number, staged: boolean): boolean => images > 1 && !staged;

/** The variant of a call, with or without a staged epilogue (options.variant, else by its tile sequence). */
function callVariant(call: Conv2dCall, staged: boolean, options: WinogradOptions): WinogradVariant {
  const [, , OH, OW] = call.outDims;
  const nb = call.xDims[0];
  return options.variant ?? winogradVariant(OH, OW, batchTiles(nb, staged) ? nb : 1);
}

const fn = (name: (typeof WINOGRAD_EXPORTS)[number]): number => WINOGRAD_EXPORTS.indexOf(name);
const isParallel = (call: Conv2dCall): boolean => sizeOf(call.outDims) * call.wDims[1] * 9 >= PARALLEL_MIN_MACS;

/** The 'weights' pass: U [M][ξ][Cp] (Cp = filterColumns(C)) of the filters w, into `into`. */
function transformFilters(ctx: WasmRoutineContext, call: Conv2dCall, mod: PoolModule, w: WasmBuffer, into: number): void {
  const [M, C] = call.wDims;
  ctx.pool.run(mod, fn('weights'), M, Math.max(1, Math.ceil(4096 / C)), ctx.params([w.offset, into, C, filterColumns(C)]), isParallel(call));
}

/** Where the kept U of constant filters w for variant v is (made now if not yet), or undefined (see the header). */
function keptFilters(ctx: WasmRoutineContext, call: Conv2dCall, w: WasmBuffer, v: WinogradVariant): number | undefined {
  const [M, C] = call.wDims;
  // The module is looked up only when U is made (the first request for these filters).
  const fill = (into: number): void => transformFilters(ctx, call, stagedModule(ctx, `winograd${v.name}`, (epilogue) => buildWinogradModule(v, epilogue), WINOGRAD_EXPORTS, undefined), w, into);
  return ctx.derivedConstant(w, `winograd${v.name}:${M}:${C}`, v.xi * M * filterColumns(C) * 4, fill);
}

/**
 * Transforms a call's constant filters now, for its runs to read (conv2d.ts's prepare step, while a
 * session is created): `staged` says whether its runs stage the epilogue, which decides the variant.
 */
export function keepWinogradFilters(ctx: WasmRoutineContext, call: Conv2dCall, w: WasmBuffer, staged: boolean): void {
  keptFilters(ctx, call, w, callVariant(call, staged, {}));
}

/**
 * Columns of a transformed filter row U[m][ξ] (winograd-module.ts): C rounded up to 4, plus 4 where
 * the row's bytes are a multiple of 2 KiB. The filter transform stores a channel group's ξ values a
 * row apart; at a 2 KiB stride all of them fall into two sets of the 12-way L1, which 36 F(4×4)
 * rows overflow (512 channels, 8 images of 7×7: 22.2 → 16.6 ms a call, measured in one process;
 * F(2×2)'s 16 rows fit, and one 7×7 image is unchanged at 3.9 ms).
 */
export function filterColumns(C: number): number {
  const Cp = roundUp(C, 4);
  return (Cp * 4) % (SET_SPAN / 2) === 0 ? Cp + 4 : Cp;
}

/**
 * Bytes from one ξ's slice of V or m to the next: `bytes`, plus a cache line where it is a multiple of
 * 2 KiB. The input transform stores its ξ values a slice apart and the output transform loads them so;
 * at a multiple of 2 KiB they fall into at most two sets of the 12-way L1 (64 → 64 channels at 56×56:
 * Tp = 16 tiles of 64 channels puts V's slices 4 KiB apart, one set for all 36 stores). Measured in
 * one process, bit-identical: 64 → 64 at 56×56 2.23 → 1.97 ms, 128 → 128 at 28×28 2.03 → 1.85 ms,
 * 256 → 256 at 14×14 2.36 → 2.26 ms.
 */
export function sliceStride(bytes: number): number {
  return bytes % (SET_SPAN / 2) === 0 ? bytes + ALIGN : bytes;
}

/** Bytes of one ξ slice of a tile block's V: Tp/8 panels of C rows of 8 floats, at sliceStride. */
const vSliceBytes = (C: number, Tp: number): number => sliceStride(4 * C * Tp);

/** Tile blocks sized for L2; the smaller transformed operand shared; M split only to give threads units. */
export function winogradBlocking(v: WinogradVariant, C: number, M: number, nTiles: number, images: number, threads: number, vGroupBytes = vGroupBudget(images)): WinogradBlocking {
  const XI = v.xi;
  const fit = Math.floor(V_TARGET_BYTES / (XI * 4 * C) / PANEL) * PANEL;
  const Tp = Math.min(roundUp(nTiles, PANEL), MAX_TILES, Math.max(MIN_TILES, fit));
  const nTB = Math.ceil(nTiles / Tp);
  const Cp = filterColumns(C);
  const blockBytes = XI * vSliceBytes(C, Tp);
  const blocks = images * nTB;
  if (XI * 4 * M * Cp <= blocks * blockBytes) {
    // Every chunk of a tile block repeats its input transform: split only for a second thread.
    const want = threads === 1 ? 1 : Math.ceil((4 * threads) / blocks);
    const nMCmax = Math.max(1, Math.floor(M / MIN_CHUNK));
    const MC = roundUp(Math.ceil(M / Math.min(want, nMCmax)), ROW_BLOCK);
    return { shared: 'filters', Tp, nTB, MB: ROW_BLOCK, MC, nMC: Math.ceil(M / MC), groupBlocks: 0 };
  }
  const MB = Math.min(MAX_ROWS, roundUp(M, MIN_ROWS), Math.max(MIN_ROWS, Math.floor(U_ROWS_BYTES / (XI * 4 * Cp) / MIN_ROWS) * MIN_ROWS));
  const groupBlocks = Math.min(blocks, Math.max(1, Math.floor(vGroupBytes / blockBytes)));
  return { shared: 'inputs', Tp, nTB, MB, MC: 0, nMC: 0, groupBlocks };
}

/** Bytes of the output rows a block of Tp tiles of side m spans (the epilogue's stage mirrors them). */
const stageBytes = (Tp: number, TW: number, OW: number, m: number): number => 4 * m * (Math.floor((Tp - 1) / TW) + 2) * OW;

/**
 * Test overrides: the variant (else winogradVariant's), a bound on the shared V (several groups on
 * small calls), and 'gather' to read F(4×4)'s edge windows by table even where vector rows could.
 */
export interface WinogradOptions {
  readonly variant?: WinogradVariant;
  readonly vGroupBytes?: number;
  readonly edgeReads?: 'gather';
}

/**
 * Whether F(4×4) may read edge windows as whole vector rows (winograd-tiles.ts, readExtent): every
 * such read of the N·C planes from `xOffset` stays inside memory of `memoryBytes`.
 */
export function vectorEdgeReads(v: WinogradVariant, geo: TileGeometry, planes: number, xOffset: number, memoryBytes: number): boolean {
  const reach = readExtent(v, geo);
  return xOffset - reach.below >= 0 && xOffset + (planes - 1) * geo.H * geo.W * 4 + reach.end <= memoryBytes;
}

/**
 * Runs the Winograd convolution into `out`: raw float32 results, or with `staged` (epilogue-stage.ts)
 * the fused epilogue's, each output element written after its epilogue operands are read (the output
 * may be an epilogue operand's own storage). Eligibility is conv2d.ts's.
 */
export function winogradConv(ctx: WasmRoutineContext, call: Conv2dCall, out: WasmBuffer, inputs: readonly WasmBuffer[], staged: StagedEpilogue | undefined, options: WinogradOptions = {}): void {
  const [x, w] = inputs;
  const bias = call.hasBias ? inputs[2] : undefined;
  const [nb, C, H, W] = call.xDims;
  const M = call.wDims[0];
  const [, , OH, OW] = call.outDims;
  const geo: TileGeometry = { H, W, OH, OW, padTop: call.pads[0], padLeft: call.pads[1] };
  // One tile sequence over the batch (the module then sees one image of nb·tiles tiles, the table's
  // offsets holding each tile's image), or blocks image by image.
  const sequence = batchTiles(nb, staged !== undefined);
  const v = callVariant(call, staged !== undefined, options);
  const XI = v.xi;
  const GROUP = groupLayout(v);
  const images = sequence ? 1 : nb;
  const nTiles = tileCount(geo, v.m) * (sequence ? nb : 1);
  const TW = tileCols(geo, v.m);
  const threads = ctx.pool.threads;
  const b = winogradBlocking(v, C, M, nTiles, images, threads, options.vGroupBytes ?? vGroupBudget(nb));
  const { Tp, nTB, MB } = b;
  const Cp = filterColumns(C);
  const heap = ctx.heap;
  const mod = stagedModule(ctx, `winograd${v.name}`, (epilogue) => buildWinogradModule(v, epilogue), WINOGRAD_EXPORTS, staged);
  const parallel = isParallel(call);
  const groups = (nTB * Tp) / 4;
  const filtersShared = b.shared === 'filters';
  const vXi = vSliceBytes(C, Tp);
  const mXi = sliceStride(MB * Tp * 4);
  const blockBytes = XI * vXi;
  // A constant's filters are transformed once, for every call (U is the same whichever pass reads it).
  const kept = keptFilters(ctx, call, w, v);
  // Per thread: [edge tile][V: one block if filters shared][m: ξ·mXi][U: MB rows if inputs shared and not kept][stage][epilogue params].
  if (SCRATCH_HEAD_BYTES < TILE_TMP_BYTES) throw new Error('scratch head smaller than the edge tile');
  const vAt = SCRATCH_HEAD_BYTES;
  const mAt = vAt + (filtersShared ? blockBytes : 0);
  const uAt = mAt + XI * mXi;
  const stageAt = roundUp(uAt + (filtersShared || kept !== undefined ? 0 : XI * 4 * MB * Cp), ALIGN);
  const epiParamsAt = stageAt + (staged === undefined ? 0 : stageBytes(Tp, TW, OW, v.m));
  const stride = roundUp(epiParamsAt + stagedParamsBytes(staged), ALIGN);
  const U = kept ?? (filtersShared ? heap.alloc(XI * M * Cp * 4) : 0);
  const V = filtersShared ? 0 : heap.alloc(b.groupBlocks * blockBytes);
  const table = heap.alloc(groups * GROUP.bytes);
  const scratch = heap.alloc(threads * stride);
  try {
    const batch = sequence ? { count: nb, inStride: C * H * W * 4, outStride: M * OH * OW * 4 } : undefined;
    heap.i32(table, (groups * GROUP.bytes) / 4).set(cachedGroupTable(v, geo, groups, batch));
    // The memory only grows, so its size after the allocations above holds for the whole call.
    // Only F(4×4) reads edge groups by rows (F(2×2) reads its 4×4 windows whole).
    const guarded = v === F4 && options.edgeReads !== 'gather' && vectorEdgeReads(v, geo, nb * C, x.offset, heap.buffer.byteLength) ? 1 : 0;
    const p = {
      x: x.offset, w: w.offset, U, V, bias: bias?.offset ?? 0, out: out.offset, C, H, W, M, OH, OW, TW, Cp, nTiles, nTB, nMC: b.nMC, MC: b.MC, MB, Tp, table,
      vXi, mXi, guarded, b0: 0, nBlk: 0, CC: C, nCC: 1, scratchBase: scratch, scratchStride: stride, vAt, mAt, uAt, stageAt, epiParamsAt,
      epiTemplate: staged?.template ?? 0, epiWords: staged?.words ?? 0,
    };
    if (filtersShared) {
      if (kept === undefined) transformFilters(ctx, call, mod, w, U);
      ctx.pool.run(mod, fn('tiles'), images * nTB * b.nMC, 1, ctx.params(winogradConvParams(p)), parallel);
      return;
    }
    const blocks = images * nTB;
    for (let b0 = 0; b0 < blocks; b0 += b.groupBlocks) {
      const nBlk = Math.min(b.groupBlocks, blocks - b0);
      // Pass 1 splits channels only as far as needed to give every thread a few units.
      const nCC = Math.max(1, Math.min(Math.ceil((4 * threads) / nBlk), Math.floor(C / MIN_INPUT_CHANNELS)));
      const CC = Math.ceil(C / nCC);
      const q = { ...p, b0, nBlk, CC, nCC: Math.ceil(C / CC) };
      ctx.pool.run(mod, fn('inputs'), nBlk * q.nCC, 1, ctx.params(winogradConvParams(q)), parallel);
      ctx.pool.run(mod, fn('rows'), Math.ceil(M / MB), 1, ctx.params(winogradConvParams(q)), parallel);
    }
  } finally {
    if (U !== 0 && kept === undefined) heap.release(U);
    if (V !== 0) heap.release(V);
    heap.release(table);
    heap.release(scratch);
  }
}
