// 2-D convolution in wasm: for each (image, group, block of output pixels) the im2col panels of the
// block are packed straight from the input into per-thread scratch (padding and dilation resolved
// while packing; four pixels per vector copy on rows of column stride 1, or two loads and a shuffle on
// stride 2: the 7×7/2 ResNet stem went from 9.3 to 6.6 ms), then the GEMM micro-kernel multiplies
// the group's weights [M/G × C/G·kH·kW] by them, starting from the bias. Groups with fewer than 4
// output channels (depthwise) use the direct kernel instead (conv-direct.ts); large enough 3×3
// stride-1 convolutions use Winograd F(4×4, 3×3) or F(2×2, 3×3) (winograd.ts). A fused epilogue runs
// on each staged block as the path stores it (epilogue-stage.ts), except where a second pass over raw
// results is legal and cheaper: Winograd with a float32 output that shares no storage with an epilogue
// operand, or a batch with small outputs (see wasmConv2d), and an epilogue without a wasm form. Non-float32 operands return false (the
// backend runs the CPU routine).

import type { RoutineCall } from '../../../ops/kernel-ir.js';
import { ALIGN, roundUp } from '../heap.js';
import { buildDirectConvModule, directConvParams, validRanges } from './conv-direct.js';
import { convParams, EPILOGUE_ROWS, gemmModule, PANEL, TILE_ROWS, TILE_TMP_BYTES } from './gemm.js';
import type { WasmBuffer, WasmRoutineContext } from './context.js';
import { epilogueKernel, RAW_DTYPES } from './epilogue.js';
import { overlaps, rawTarget, releaseStaged, stagedModule, stagedParamsBytes, stageEpilogue, type StagedEpilogue } from './epilogue-stage.js';
import { keepWinogradFilters, winogradConv } from './winograd.js';
import { sizeOf } from '../../../core/shape.js';

type Conv2dCall = Extract<RoutineCall, { routine: 'conv2d' }>;

/** Target bytes of one block's packed im2col panels (stays in L2 while the weights stream past). */
export const PACKED_TARGET_BYTES = 96 * 1024;
export const MAX_BLOCK = 256;
const PARALLEL_MIN_MACS = 1 << 18;
/**
 * Winograd needs at least this many input and output channels and F(2×2) output tiles per image
 * (measured single-threaded against im2col: C = M = 16 at 56×56 runs 1.9× faster; 7×7 outputs (16
 * tiles) 1.5× at 64 and 512 channels; 4 to 12 tiles, where the 8-tile panels are partly padding,
 * run 0.7–1.1×).
 */
const WINOGRAD_MIN_CHANNELS = 16;
const WINOGRAD_MIN_TILES = 16;
/**
 * A batched Winograd call whose output shares storage with an epilogue operand writes its raw results
 * to scratch of the output's size, up to this many bytes, and runs the epilogue as a second pass,
 * rather than staging it: staging keeps the tiles image by image (winograd.ts, batchTiles), which
 * costs ResNet-18's 7×7 layer at batch 8 F(4×4) (4 tiles an image, half a panel) — its outputs are
 * 0.8 MiB.
 */
const WINOGRAD_RAW_SCRATCH_BYTES = 1 << 20;

export type ConvAlgorithm = 'winograd' | 'im2col' | 'direct';

/** The algorithm the wasm conv2d routine uses for a float32 call (the others run the CPU routine). */
export function convAlgorithm(call: Conv2dCall): ConvAlgorithm {
  const [M, cg, kh, kw] = call.wDims;
  const mg = M / call.group;
  if (mg < TILE_ROWS) return 'direct';
  const [, , OH, OW] = call.outDims;
  const f23 = kh === 3 && kw === 3 && call.group === 1 && call.strides.every((s) => s === 1) && call.dilations.every((d) => d === 1);
  const big = cg >= WINOGRAD_MIN_CHANNELS && M >= WINOGRAD_MIN_CHANNELS && Math.ceil(OH / 2) * Math.ceil(OW / 2) >= WINOGRAD_MIN_TILES;
  return f23 && big ? 'winograd' : 'im2col';
}

/** Whether the wasm routine runs the call (float32 operands and raw results); else the CPU routine does. */
function wasmRuns(call: Conv2dCall, inputs: readonly WasmBuffer[], out: WasmBuffer): boolean {
  const [x, w] = inputs;
  const bias = call.hasBias ? inputs[2] : undefined;
  if (x.dtype !== 'float32' || w.dtype !== 'float32' || (bias !== undefined && bias.dtype !== 'float32')) return false;
  return call.epilogue === undefined ? out.dtype === 'float32' : RAW_DTYPES.has(call.epilogue.operands[0].dtype);
}

/**
 * Whether the path applies the fused epilogue as it stores (epilogue-stage.ts) rather than as a second
 * pass over raw results. Every path can stage, so the output may share storage with an epilogue operand
 * (the memory plan writes a conv over a residual that dies there). Winograd stages only then, or for a
 * non-float32 output (raw results would need an output-sized scratch), and not for a batch with small
 * outputs (WINOGRAD_RAW_SCRATCH_BYTES): its staged epilogue runs once per output channel and tile
 * block, and measured 1.5–3.5% slower than raw stores and one pass on 64 → 64 at 56×56 and 128 → 128
 * at 28×28 (1 thread, batch 1).
 */
function stagesEpilogue(call: Conv2dCall, algorithm: ConvAlgorithm, extras: readonly WasmBuffer[], out: WasmBuffer): boolean {
  if (call.epilogue === undefined) return false;
  if (algorithm !== 'winograd') return true;
  const [nb, M, OH, OW] = call.outDims;
  const rawScratch = nb > 1 && 4 * nb * M * OH * OW <= WINOGRAD_RAW_SCRATCH_BYTES;
  return (extras.some((e) => overlaps(e, out)) || out.dtype !== 'float32') && !rawScratch;
}

/**
 * Work the routine can do once for a plan's step, before its first run: a Winograd call keeps its
 * constant filters transformed (winograd.ts), as onnxruntime prepacks weights while creating a session.
 */
export function prepareWasmConv2d(ctx: WasmRoutineContext, call: Conv2dCall, inputs: readonly WasmBuffer[], outputs: readonly WasmBuffer[]): void {
  const out = outputs[0];
  if (!wasmRuns(call, inputs, out) || sizeOf(call.outDims) === 0) return;
  const algorithm = convAlgorithm(call);
  const extras = inputs.slice(call.hasBias ? 3 : 2);
  if (algorithm === 'winograd') keepWinogradFilters(ctx, call, inputs[1], stagesEpilogue(call, algorithm, extras, out));
}

export function wasmConv2d(ctx: WasmRoutineContext, call: Conv2dCall, inputs: readonly WasmBuffer[], outputs: readonly WasmBuffer[]): boolean {
  const out = outputs[0];
  const epilogue = call.epilogue;
  if (!wasmRuns(call, inputs, out)) return false;
  const nb = call.xDims[0];
  const [M, cg, kh, kw] = call.wDims;
  const [, , OH, OW] = call.outDims;
  const P = OH * OW;
  const K = cg * kh * kw;
  if (nb * M * P === 0) return epilogue === undefined;
  const parallel = nb * M * P * K >= PARALLEL_MIN_MACS;
  const algorithm = convAlgorithm(call);
  const extras = inputs.slice(call.hasBias ? 3 : 2);
  const staged = epilogue !== undefined && stagesEpilogue(call, algorithm, extras, out) ? stageEpilogue(ctx, epilogue, extras, out) : undefined;
  const raw = epilogue === undefined || staged !== undefined ? out : rawTarget(ctx, out, extras, nb * M * P);
  try {
    if (algorithm === 'direct') directConv(ctx, call, raw, inputs, parallel, staged);
    else if (algorithm === 'winograd') winogradConv(ctx, call, raw, inputs, staged);
    else gemmConv(ctx, call, raw, inputs, parallel, staged);
    if (epilogue !== undefined && staged === undefined) ctx.elementwise(epilogueKernel(epilogue, out.dtype), [raw, ...extras], out);
  } finally {
    if (raw !== out) ctx.releaseScratch(raw);
    releaseStaged(ctx, staged);
  }
  return true;
}

/** Depthwise-like convolutions (fewer than 4 output channels per group): each output plane directly. */
function directConv(ctx: WasmRoutineContext, call: Conv2dCall, out: WasmBuffer, inputs: readonly WasmBuffer[], parallel: boolean, staged: StagedEpilogue | undefined): void {
  const [x, w] = inputs;
  const bias = call.hasBias ? inputs[2] : undefined;
  const [nb, C, H, W] = call.xDims;
  const [M, cg, kh, kw] = call.wDims;
  const [, , OH, OW] = call.outDims;
  const mg = M / call.group;
  const [sh, sw] = call.strides;
  const [dh, dw] = call.dilations;
  const [pt, pl] = call.pads;
  const heap = ctx.heap;
  const rows = validRanges(OH, H, kh, sh, pt, dh);
  const cols = validRanges(OW, W, kw, sw, pl, dw);
  // With an epilogue, per thread: [stage: one output plane][epilogue params].
  const epiParamsAt = roundUp(4 * OH * OW, ALIGN);
  const stride = staged === undefined ? 0 : epiParamsAt + roundUp(stagedParamsBytes(staged), ALIGN);
  const tables = heap.alloc(4 * 2 * (kh + kw));
  const scratch = staged === undefined ? 0 : heap.alloc(ctx.pool.threads * stride);
  try {
    heap.i32(tables, 2 * (kh + kw)).set([...rows.lo, ...rows.hi, ...cols.lo, ...cols.hi]);
    const direct = stagedModule(ctx, 'convDirect', buildDirectConvModule, ['direct'], staged);
    const params = directConvParams({
      x: x.offset, w: w.offset, bias: bias?.offset ?? 0, out: out.offset, C, H, W, M, cg, mg, kh, kw, OH, OW, sh, sw, dh, dw, pt, pl,
      rowLo: tables, rowHi: tables + 4 * kh, colLo: tables + 8 * kh, colHi: tables + 8 * kh + 4 * kw,
      scratchBase: scratch, scratchStride: stride, epiParamsAt, epiTemplate: staged?.template ?? 0, epiWords: staged?.words ?? 0,
    });
    ctx.pool.run(direct, 0, nb * M, Math.max(1, Math.floor(4096 / Math.max(1, OH * OW))), ctx.params(params), parallel);
  } finally {
    heap.release(tables);
    if (scratch !== 0) heap.release(scratch);
  }
}

/**
 * im2col panels per block of output pixels, multiplied by the group's weights with the GEMM
 * micro-kernel: raw results into `out`, or with `staged`, the fused epilogue's results.
 */
function gemmConv(ctx: WasmRoutineContext, call: Conv2dCall, out: WasmBuffer, inputs: readonly WasmBuffer[], parallel: boolean, staged: StagedEpilogue | undefined): void {
  const [x, w] = inputs;
  const bias = call.hasBias ? inputs[2] : undefined;
  const [nb, C, H, W] = call.xDims;
  const [M, cg, kh, kw] = call.wDims;
  const [, , OH, OW] = call.outDims;
  const G = call.group;
  const mg = M / G;
  const P = OH * OW;
  const K = cg * kh * kw;
  const heap = ctx.heap;
  const mod = gemmModule(ctx, staged);
  const PB = Math.min(roundUp(P, PANEL), MAX_BLOCK, Math.max(PANEL, Math.floor(PACKED_TARGET_BYTES / (4 * Math.max(1, K)) / PANEL) * PANEL));
  const nPB = Math.ceil(P / PB);
  // Output channels split across units only where images × groups × pixel blocks leave a thread idle
  // (small late-stage maps: 512 → 256 1×1 at 7×7 is one pixel block), in EPILOGUE_ROWS multiples.
  const blocks = nb * G * nPB;
  const threads = ctx.pool.threads;
  const nMCwant = parallel && threads > 1 && blocks < 2 * threads ? Math.ceil((2 * threads) / blocks) : 1;
  const MC = roundUp(Math.ceil(mg / Math.min(nMCwant, Math.max(1, Math.floor(mg / EPILOGUE_ROWS)))), EPILOGUE_ROWS);
  const nMC = Math.ceil(mg / MC);
  // Per thread: [edge tile][tables][packed panels][stage: EPILOGUE_ROWS × PB floats][epilogue params].
  const stageAt = roundUp(TILE_TMP_BYTES + 9 * PB + (PB / PANEL) * K * PANEL * 4, ALIGN);
  const epiParamsAt = stageAt + (staged === undefined ? 0 : EPILOGUE_ROWS * PB * 4);
  const stride = roundUp(epiParamsAt + stagedParamsBytes(staged), ALIGN);
  const scratch = heap.alloc(threads * stride);
  try {
    const [sh, sw] = call.strides;
    const [dh, dw] = call.dilations;
    const [pt, pl] = call.pads;
    const params = convParams({
      x: x.offset, w: w.offset, bias: bias?.offset ?? 0, out: out.offset, C, H, W, M, G, cg, mg, kh, kw, OW, P, sh, sw, dh, dw, pt, pl, K, nPB, PB, nMC, MC,
      scratchBase: scratch, scratchStride: stride, stageAt, epiParamsAt, epiTemplate: staged?.template ?? 0, epiWords: staged?.words ?? 0,
    });
    ctx.pool.run(mod, 0, blocks * nMC, 1, ctx.params(params), parallel);
  } finally {
    heap.release(scratch);
  }
}
