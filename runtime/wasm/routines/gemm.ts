// The wasm GEMM building blocks shared by matmul, conv2d and Winograd: a 4×8 f32x4 register-blocked
// micro-kernel over a B packed in panels of 8 columns ([panel][k][8], zero-padded), and the conv2d
// driver that packs im2col panels straight from the input into per-thread scratch (the matmul driver
// and its blocked B packing are in matmul-module.ts). Accumulation is float32 (as in every float32
// BLAS): each output element is one dot product in k order, computed entirely by one unit of work, so
// results never depend on the chunking or the thread count. The CPU backend accumulates in float64;
// the difference is within float32 tolerance (measured in the tests).

import { FunctionBuilder, Local, ModuleBuilder } from '../encoder/index.js';
import { MEMORY_IMPORT } from '../elementwise.js';
import { addConst, forUp, loadNamedParams, loadParam, minU } from '../codegen-util.js';
import type { PoolModule } from '../pool.js';
import type { WasmRoutineContext } from './context.js';
import { emitCopyTemplate, emitEpilogueRun, stagedModule, type StagedEpilogue } from './epilogue-stage.js';

/** Rows × columns of the register block. */
export const TILE_ROWS = 4;
export const PANEL = 8;
/** Bytes of one packed panel row (8 float32). */
export const PANEL_ROW_BYTES = PANEL * 4;
/** i8x16.shuffle byte lanes selecting 32-bit lanes `l` (0–3 from a, 4–7 from b). */
export function lanes32(l: readonly number[]): number[] {
  return l.flatMap((x) => [4 * x, 4 * x + 1, 4 * x + 2, 4 * x + 3]);
}

/** Per-thread scratch bytes the micro-kernel uses for edge tiles (4 × 8 float32). */
export const TILE_TMP_BYTES = TILE_ROWS * PANEL_ROW_BYTES;

/** Codegen: body() for r < rows, c < cols (an edge tile's valid elements). */
function forTileElements(f: FunctionBuilder, r: Local, c: Local, rows: Local, cols: Local, body: () => void): void {
  forUp(f, r, () => void f.i32(0), () => void f.get(rows), 1, () => {
    forUp(f, c, () => void f.i32(0), () => void f.get(cols), 1, body);
  });
}

/**
 * block(aPtr, rsA, ksA, rows, bp, panels, K, cPtr, ldc, nCols, bias, tmp, accum):
 * C[r, c] = Σ_k A[r, k]·Bp[k, c] (+ bias[r]) for r < rows, c < nCols, where A[r, k] is the float32 at
 * aPtr + r·rsA + k·ksA (bytes; row-major, transposed and conv weights alike), Bp is `panels` packed
 * panels at bp, and C[r, c] is at cPtr + r·ldc + 4c. bias = 0: none. accum ≠ 0: the sum starts from
 * C's current values instead of the bias or 0 (the next K-block of a blocked product, matmul-module.ts;
 * the float32 partial sum is stored and reloaded exactly, so a K-blocked product equals the unblocked
 * one bit for bit). Also the GEMM stage of the Winograd convolution (winograd-module.ts).
 */
export function microKernelBlock(): FunctionBuilder {
  const f = new FunctionBuilder(Array<'i32'>(13).fill('i32'));
  const [aPtr, rsA, ksA, rows, bp, panels, K, cPtr, ldc, nCols, bias, tmp, accum] = Array.from({ length: 13 }, (_, i) => f.param(i));
  const j = f.local('i32');
  const i = f.local('i32');
  const k = f.local('i32');
  const pb = f.local('i32');
  const cp = f.local('i32');
  const colsValid = f.local('i32');
  const rowsValid = f.local('i32');
  const s0 = f.local('i32');
  const s1 = f.local('i32');
  const r = f.local('i32');
  const c = f.local('i32');
  const pa = [0, 1, 2, 3].map(() => f.local('i32'));
  const acc = Array.from({ length: 8 }, () => f.local('v128'));
  const b0 = f.local('v128');
  const b1 = f.local('v128');
  const av = f.local('v128');
  const panelBytes = f.local('i32');
  const fullTile = f.local('i32');
  f.get(K).i32(PANEL_ROW_BYTES).op('i32.mul').set(panelBytes);
  // Row index clamped to the last valid row (edge tiles compute duplicates and store only valid rows).
  const clampedRow = (rr: number): void => {
    minU(f, () => void f.get(i).i32(rr).op('i32.add'), () => void f.get(rows).i32(1).op('i32.sub'), s0, s1);
  };
  f.i32(0).set(j);
  f.block((panelsDone) => {
    f.loop((panelLoop) => {
      f.get(j).get(panels).op('i32.ge_u').brIf(panelsDone);
      minU(f, () => void f.i32(PANEL), () => void f.get(nCols).get(j).i32(PANEL).op('i32.mul').op('i32.sub'), s0, s1);
      f.set(colsValid);
      f.i32(0).set(i);
      f.block((rowsDone) => {
        f.loop((rowLoop) => {
          f.get(i).get(rows).op('i32.ge_u').brIf(rowsDone);
          minU(f, () => void f.i32(TILE_ROWS), () => void f.get(rows).get(i).op('i32.sub'), s0, s1);
          f.set(rowsValid);
          for (let rr = 0; rr < TILE_ROWS; rr++) {
            f.get(aPtr);
            clampedRow(rr);
            f.get(rsA).op('i32.mul').op('i32.add').set(pa[rr]);
          }
          // cp = cPtr + i·ldc + 32·j
          f.get(cPtr).get(i).get(ldc).op('i32.mul').op('i32.add').get(j).i32(PANEL_ROW_BYTES).op('i32.mul').op('i32.add').set(cp);
          f.get(rowsValid).i32(TILE_ROWS).op('i32.eq').get(colsValid).i32(PANEL).op('i32.eq').op('i32.and').set(fullTile);
          f.get(accum).if(
            () => {
              // Edge tile: its valid elements into the tmp tile first (the rest are never stored).
              f.get(fullTile).op('i32.eqz').if(() => forTileElements(f, r, c, rowsValid, colsValid, () => {
                f.get(tmp).get(r).i32(PANEL_ROW_BYTES).op('i32.mul').op('i32.add').get(c).i32(4).op('i32.mul').op('i32.add');
                f.get(cp).get(r).get(ldc).op('i32.mul').op('i32.add').get(c).i32(4).op('i32.mul').op('i32.add').mem('f32.load');
                f.mem('f32.store');
              }));
              for (let rr = 0; rr < TILE_ROWS; rr++) {
                f.get(fullTile).if(
                  () => void f.get(cp).get(ldc).i32(rr).op('i32.mul').op('i32.add').set(s0),
                  () => void f.get(tmp).i32(rr * PANEL_ROW_BYTES).op('i32.add').set(s0),
                );
                f.get(s0).vmem('v128.load').set(acc[2 * rr]);
                f.get(s0).vmem('v128.load', 16).set(acc[2 * rr + 1]);
              }
            },
            () => {
              f.get(bias).if(
                () => {
                  for (let rr = 0; rr < TILE_ROWS; rr++) {
                    f.get(bias);
                    clampedRow(rr);
                    f.i32(4).op('i32.mul').op('i32.add').vmem('v128.load32_splat').tee(acc[2 * rr]).set(acc[2 * rr + 1]);
                  }
                },
                () => {
                  for (const a of acc) f.f32x4(0, 0, 0, 0).set(a);
                },
              );
            },
          );
          f.get(bp).get(j).get(panelBytes).op('i32.mul').op('i32.add').set(pb);
          f.get(K).set(k);
          f.block((kDone) => {
            f.loop((kLoop) => {
              f.get(k).op('i32.eqz').brIf(kDone);
              f.get(pb).vmem('v128.load').set(b0);
              f.get(pb).vmem('v128.load', 16).set(b1);
              for (let rr = 0; rr < TILE_ROWS; rr++) {
                f.get(pa[rr]).vmem('v128.load32_splat').set(av);
                f.get(acc[2 * rr]).get(av).get(b0).simd('f32x4.mul').simd('f32x4.add').set(acc[2 * rr]);
                f.get(acc[2 * rr + 1]).get(av).get(b1).simd('f32x4.mul').simd('f32x4.add').set(acc[2 * rr + 1]);
                f.get(pa[rr]).get(ksA).op('i32.add').set(pa[rr]);
              }
              addConst(f, pb, PANEL_ROW_BYTES);
              f.get(k).i32(1).op('i32.sub').set(k);
              f.br(kLoop);
            });
          });
          f.get(fullTile).if(
            () => {
              for (let rr = 0; rr < TILE_ROWS; rr++) {
                f.get(cp).get(acc[2 * rr]).vmem('v128.store');
                f.get(cp).get(acc[2 * rr + 1]).vmem('v128.store', 16);
                if (rr < TILE_ROWS - 1) f.get(cp).get(ldc).op('i32.add').set(cp);
              }
            },
            () => {
              // Edge tile: through the per-thread tmp tile, then only the valid elements.
              for (let rr = 0; rr < TILE_ROWS; rr++) {
                f.get(tmp).get(acc[2 * rr]).vmem('v128.store', rr * PANEL_ROW_BYTES);
                f.get(tmp).get(acc[2 * rr + 1]).vmem('v128.store', rr * PANEL_ROW_BYTES + 16);
              }
              forTileElements(f, r, c, rowsValid, colsValid, () => {
                f.get(cp).get(r).get(ldc).op('i32.mul').op('i32.add').get(c).i32(4).op('i32.mul').op('i32.add');
                f.get(tmp).get(r).i32(PANEL_ROW_BYTES).op('i32.mul').op('i32.add').get(c).i32(4).op('i32.mul').op('i32.add').mem('f32.load');
                f.mem('f32.store');
              });
            },
          );
          addConst(f, i, TILE_ROWS);
          f.br(rowLoop);
        });
      });
      addConst(f, j, 1);
      f.br(panelLoop);
    });
  });
  return f;
}

export const CONV_PARAMS = ['x', 'w', 'bias', 'out', 'C', 'H', 'W', 'M', 'G', 'cg', 'mg', 'kh', 'kw', 'OW', 'P', 'sh', 'sw', 'dh', 'dw', 'pt', 'pl', 'K', 'nPB', 'PB', 'nMC', 'MC', 'scratchBase', 'scratchStride', 'stageAt', 'epiParamsAt', 'epiTemplate', 'epiWords'] as const;
export type ConvParams = Readonly<Record<(typeof CONV_PARAMS)[number], number>>;
export const convParams = (p: ConvParams): number[] => CONV_PARAMS.map((k) => p[k]);

/** Output channels per staged block of the conv driver with an embedded epilogue (the stage holds EPILOGUE_ROWS × PB floats). */
export const EPILOGUE_ROWS = 32;

/**
 * conv(start, end, tid, params): unit u = (image n, group g, column block pb of PB output pixels,
 * output-channel chunk mc of MC: nMC = 1 unless the blocks are too few for the threads). Packs the
 * block's im2col panels into per-thread scratch, then runs the micro-kernel with the chunk's rows of
 * the group's weights as A. params: CONV_PARAMS; the thread's scratch (scratchBase + tid·scratchStride) is
 * [edge tile][iy, ix, fast tables][packed panels][stage at stageAt][epilogue params at epiParamsAt].
 * With an embedded epilogue `epi` (epilogue-stage.ts), EPILOGUE_ROWS output channels at a time go to
 * the stage (rows of PB floats), and the epilogue stores each row into out.
 */
function convDriver(block: number, epi: number | undefined): FunctionBuilder {
  const f = new FunctionBuilder(['i32', 'i32', 'i32', 'i32']);
  const [start, end, tid, params] = [0, 1, 2, 3].map((i) => f.param(i));
  const P = loadNamedParams(f, params, CONV_PARAMS);
  const u = f.local('i32');
  const nb = f.local('i32');
  const g = f.local('i32');
  const pb = f.local('i32');
  const rem = f.local('i32');
  const p0 = f.local('i32');
  const pw = f.local('i32');
  const npan = f.local('i32');
  const scratch = f.local('i32');
  const iyTab = f.local('i32');
  const ixTab = f.local('i32');
  const packed = f.local('i32');
  const c = f.local('i32');
  const p = f.local('i32');
  const oy = f.local('i32');
  const ci = f.local('i32');
  const ky = f.local('i32');
  const kx = f.local('i32');
  const fastGroup = f.local('i32');
  /** The group's first column's window origin (input row and column). */
  const iy0 = f.local('i32');
  const ix0 = f.local('i32');
  const src = f.local('i32');
  const srcX = f.local('i32');
  const plane = f.local('i32');
  const dy = f.local('i32');
  const dx = f.local('i32');
  const iy = f.local('i32');
  const ix = f.local('i32');
  const inside = f.local('i32');
  const dst = f.local('i32');
  const cols = f.local('i32');
  const s0 = f.local('i32');
  const s1 = f.local('i32');
  const perN = f.local('i32');
  const m0 = f.local('i32');
  const mEnd = f.local('i32');
  const fastTab = f.local('i32');
  const t = f.local('i32');
  const ct = f.local('i32');
  const pixels = f.local('v128');
  const colsInside = f.local('i32');
  const dwBytes = f.local('i32');
  const r0 = f.local('i32');
  const rows = f.local('i32');
  const rr = f.local('i32');
  const at = f.local('i32');
  const stage = f.local('i32');
  const epiParams = f.local('i32');
  const ldc = f.local('i32');
  f.get(P.scratchBase).get(tid).get(P.scratchStride).op('i32.mul').op('i32.add').set(scratch);
  if (epi !== undefined) {
    f.get(scratch).get(P.stageAt).op('i32.add').set(stage);
    f.get(scratch).get(P.epiParamsAt).op('i32.add').set(epiParams);
    f.get(P.PB).i32(4).op('i32.mul').set(ldc);
    emitCopyTemplate(f, P.epiTemplate, P.epiWords, epiParams, rr);
  }
  f.get(P.dw).i32(4).op('i32.mul').set(dwBytes);
  // Scratch layout: [edge tile][iy table PB·4][ix table PB·4][fast flags PB][packed panels].
  f.get(scratch).i32(TILE_TMP_BYTES).op('i32.add').set(iyTab);
  f.get(iyTab).get(P.PB).i32(4).op('i32.mul').op('i32.add').set(ixTab);
  f.get(ixTab).get(P.PB).i32(4).op('i32.mul').op('i32.add').set(fastTab);
  f.get(fastTab).get(P.PB).op('i32.add').set(packed);
  f.get(P.G).get(P.nPB).op('i32.mul').set(perN);
  f.get(start).set(u);
  f.block((exit) => {
    f.loop((again) => {
      f.get(u).get(end).op('i32.ge_u').brIf(exit);
      // u = ((n·G + g)·nPB + pb)·nMC + mc: output channels [mc·MC, min(mg, mc·MC + MC)) of group g.
      f.get(u).get(P.nMC).op('i32.div_u').set(t);
      f.get(u).get(t).get(P.nMC).op('i32.mul').op('i32.sub').get(P.MC).op('i32.mul').set(m0);
      minU(f, () => void f.get(m0).get(P.MC).op('i32.add'), () => void f.get(P.mg), s0, s1);
      f.set(mEnd);
      f.get(t).get(perN).op('i32.div_u').set(nb);
      f.get(t).get(nb).get(perN).op('i32.mul').op('i32.sub').set(rem);
      f.get(rem).get(P.nPB).op('i32.div_u').set(g);
      f.get(rem).get(g).get(P.nPB).op('i32.mul').op('i32.sub').set(pb);
      f.get(pb).get(P.PB).op('i32.mul').set(p0);
      minU(f, () => void f.get(P.PB), () => void f.get(P.P).get(p0).op('i32.sub'), s0, s1);
      f.set(pw);
      f.get(pw).i32(PANEL - 1).op('i32.add').i32(3).op('i32.shr_u').set(npan);
      f.get(npan).i32(PANEL).op('i32.mul').set(cols);
      // Input coordinates of each column's window origin; padding columns get an origin far outside.
      f.i32(0).set(c);
      f.block((td) => {
        f.loop((tl) => {
          f.get(c).get(cols).op('i32.ge_u').brIf(td);
          f.get(c).get(pw).op('i32.lt_u');
          f.if(
            () => {
              f.get(p0).get(c).op('i32.add').set(p);
              f.get(p).get(P.OW).op('i32.div_u').set(oy);
              f.get(iyTab).get(c).i32(4).op('i32.mul').op('i32.add');
              f.get(oy).get(P.sh).op('i32.mul').get(P.pt).op('i32.sub').mem('i32.store');
              f.get(ixTab).get(c).i32(4).op('i32.mul').op('i32.add');
              f.get(p).get(oy).get(P.OW).op('i32.mul').op('i32.sub').get(P.sw).op('i32.mul').get(P.pl).op('i32.sub').mem('i32.store');
            },
            () => {
              f.get(iyTab).get(c).i32(4).op('i32.mul').op('i32.add').i32(-0x40000000).mem('i32.store');
              f.get(ixTab).get(c).i32(4).op('i32.mul').op('i32.add').i32(-0x40000000).mem('i32.store');
            },
          );
          addConst(f, c, 1);
          f.br(tl);
        });
      });
      // fast[c/4] (at fastTab + c): columns c..c+3 are valid and on one output row of a conv with column
      // stride 1 or 2 (their inputs are then 4 consecutive pixels, or 4 of 7 taken by a shuffle).
      f.i32(0).set(c);
      f.block((fd) => {
        f.loop((fl) => {
          f.get(c).get(cols).op('i32.ge_u').brIf(fd);
          f.get(fastTab).get(c).op('i32.add');
          f.get(P.sw).i32(2).op('i32.le_u');
          f.get(c).i32(3).op('i32.add').get(pw).op('i32.lt_u').op('i32.and');
          f.get(iyTab).get(c).i32(4).op('i32.mul').op('i32.add').mem('i32.load');
          f.get(iyTab).get(c).i32(4).op('i32.mul').op('i32.add').mem('i32.load', 12);
          f.op('i32.eq').op('i32.and');
          f.mem('i32.store');
          addConst(f, c, 4);
          f.br(fl);
        });
      });
      // im2col: packed[(c>>3)·K + (ci·kh + ky)·kw + kx][c&7] = x[n, g·cg + ci, iy, ix] or 0 outside,
      // four columns at a time (c a multiple of 4, so they share one panel row), each group down its
      // whole K: a group on one output row checks each window row once and walks it by address (the
      // ResNet stem's 7×7/2 packing went from 38% of its GEMM's time to 20%: 7.1 → 6.2 ms per call), and
      // a group whose every tap is inside X copies its taps with no per-tap checks (packing alone, the
      // stem with 4 output channels: 1.39 → 1.00 ms; the stem 6.50 → 6.14 ms, 64 → 128 at 56×56 stride 2
      // 3.31 → 2.86 ms, in one process).
      forUp(f, c, () => void f.i32(0), () => void f.get(cols), 4, () => {
        f.get(packed).get(c).i32(3).op('i32.shr_u').get(P.K).op('i32.mul').i32(PANEL_ROW_BYTES).op('i32.mul').op('i32.add');
        f.get(c).i32(7).op('i32.and').i32(4).op('i32.mul').op('i32.add').set(dst);
        f.get(iyTab).get(c).i32(4).op('i32.mul').op('i32.add').mem('i32.load').set(iy0);
        f.get(ixTab).get(c).i32(4).op('i32.mul').op('i32.add').mem('i32.load').set(ix0);
        f.get(fastTab).get(c).op('i32.add').mem('i32.load').set(fastGroup);
        // The group's window columns, first tap's pixel 0 to last tap's pixel 3, all inside X.
        f.get(fastGroup).get(ix0).get(P.W).op('i32.lt_u').op('i32.and');
        f.get(ix0).get(P.kw).i32(1).op('i32.sub').get(P.dw).op('i32.mul').op('i32.add').get(P.sw).i32(3).op('i32.mul').op('i32.add').get(P.W).op('i32.lt_u');
        f.op('i32.and').set(colsInside);
        /** The generic form of one tap for the group's 4 columns: each lane's (iy, ix) from the tables, 0 outside. */
        const tapByLane = (): void => {
          forUp(f, t, () => void f.i32(0), () => void f.i32(4), 1, () => {
            f.get(c).get(t).op('i32.add').i32(4).op('i32.mul').set(ct);
            f.get(iyTab).get(ct).op('i32.add').mem('i32.load').get(dy).op('i32.add').set(iy);
            f.get(ixTab).get(ct).op('i32.add').mem('i32.load').get(dx).op('i32.add').set(ix);
            f.get(iy).get(P.H).op('i32.lt_u').get(ix).get(P.W).op('i32.lt_u').op('i32.and').set(inside);
            // Branch-free: read a valid address (the plane start) when outside, then select 0.
            f.get(dst).get(t).i32(4).op('i32.mul').op('i32.add');
            f.get(plane).get(iy).get(P.W).op('i32.mul').get(ix).op('i32.add').i32(4).op('i32.mul').op('i32.add');
            f.get(plane).get(inside).op('select').mem('f32.load');
            f.f32(0).get(inside).op('select');
            f.mem('f32.store');
          });
        };
        forUp(f, ci, () => void f.i32(0), () => void f.get(P.cg), 1, () => {
          // plane = x + ((n·C + g·cg + ci)·H·W)·4
          f.get(P.x).get(nb).get(P.C).op('i32.mul').get(g).get(P.cg).op('i32.mul').op('i32.add').get(ci).op('i32.add');
          f.get(P.H).op('i32.mul').get(P.W).op('i32.mul').i32(4).op('i32.mul').op('i32.add').set(plane);
          forUp(f, ky, () => void f.i32(0), () => void f.get(P.kh), 1, () => {
            f.get(ky).get(P.dh).op('i32.mul').set(dy);
            f.get(iy0).get(dy).op('i32.add').set(iy);
            f.get(fastGroup).get(iy).get(P.H).op('i32.lt_u').op('i32.and');
            f.if(
              () => {
                // One output row whose window row is inside: the taps walk the input row (srcX, the
                // first column's input column, and its address src advance by the dilation); a tap
                // whose 4 pixels are all inside is one vector (stride 1), or pixels 0, 2, 4, 6 of the
                // seven from the first (stride 2: lanes 0, 2 of one load and 1, 3 of a load three
                // pixels on, so nothing past them is read).
                f.get(ix0).set(srcX);
                f.get(plane).get(iy).get(P.W).op('i32.mul').get(ix0).op('i32.add').i32(4).op('i32.mul').op('i32.add').set(src);
                // Every tap's 4 pixels inside (most groups): no per-tap checks, one loop per stride.
                f.get(colsInside).if(() => {
                  const unchecked = (stride2: boolean): void => forUp(f, kx, () => void f.i32(0), () => void f.get(P.kw), 1, () => {
                    f.get(dst).get(src).vmem('v128.load');
                    if (stride2) f.get(src).vmem('v128.load', 12).shuffle(lanes32([0, 2, 5, 7]));
                    f.vmem('v128.store');
                    f.get(src).get(dwBytes).op('i32.add').set(src);
                    addConst(f, dst, PANEL_ROW_BYTES);
                  });
                  f.get(P.sw).i32(1).op('i32.eq').if(() => unchecked(false), () => unchecked(true));
                }, () => {
                  forUp(f, kx, () => void f.i32(0), () => void f.get(P.kw), 1, () => {
                    f.get(srcX).get(P.W).op('i32.lt_u');
                    f.get(srcX).get(P.sw).i32(3).op('i32.mul').op('i32.add').get(P.W).op('i32.lt_u').op('i32.and');
                    f.if(
                      () => {
                        f.get(src).vmem('v128.load').set(pixels);
                        f.get(P.sw).i32(2).op('i32.eq').if(() => void f.get(pixels).get(src).vmem('v128.load', 12).shuffle(lanes32([0, 2, 5, 7])).set(pixels));
                        f.get(dst).get(pixels).vmem('v128.store');
                      },
                      () => {
                        f.get(kx).get(P.dw).op('i32.mul').set(dx);
                        tapByLane();
                      },
                    );
                    f.get(srcX).get(P.dw).op('i32.add').set(srcX);
                    f.get(src).get(P.dw).i32(2).op('i32.shl').op('i32.add').set(src);
                    addConst(f, dst, PANEL_ROW_BYTES);
                  });
                });
              },
              () => {
                forUp(f, kx, () => void f.i32(0), () => void f.get(P.kw), 1, () => {
                  f.get(kx).get(P.dw).op('i32.mul').set(dx);
                  tapByLane();
                  addConst(f, dst, PANEL_ROW_BYTES);
                });
              },
            );
          });
        });
      });
      if (epi === undefined) {
        // C block = W_g rows [m0, mEnd) [· × K] · packed [K × pw]
        f.get(P.w).get(g).get(P.mg).op('i32.mul').get(m0).op('i32.add').get(P.K).op('i32.mul').i32(4).op('i32.mul').op('i32.add');
        f.get(P.K).i32(4).op('i32.mul');
        f.i32(4);
        f.get(mEnd).get(m0).op('i32.sub');
        f.get(packed);
        f.get(npan);
        f.get(P.K);
        f.get(P.out).get(nb).get(P.M).op('i32.mul').get(g).get(P.mg).op('i32.mul').op('i32.add').get(m0).op('i32.add').get(P.P).op('i32.mul').get(p0).op('i32.add').i32(4).op('i32.mul').op('i32.add');
        f.get(P.P).i32(4).op('i32.mul');
        f.get(pw);
        // bias + (g·mg + m0)·4, or 0 (none)
        f.get(P.bias).get(g).get(P.mg).op('i32.mul').get(m0).op('i32.add').i32(4).op('i32.mul').op('i32.add').i32(0).get(P.bias).op('select');
        f.get(scratch);
        f.i32(0);
        f.call(block);
      } else {
        // Rows r0 .. r0 + rows of W_g · packed into the stage, then the epilogue over each row:
        // out[(n·M + g·mg + r0 + rr)·P + p0 + c] for c < pw.
        forUp(f, r0, () => void f.get(m0), () => void f.get(mEnd), EPILOGUE_ROWS, () => {
          minU(f, () => void f.i32(EPILOGUE_ROWS), () => void f.get(mEnd).get(r0).op('i32.sub'), s0, s1);
          f.set(rows);
          f.get(P.w).get(g).get(P.mg).op('i32.mul').get(r0).op('i32.add').get(P.K).op('i32.mul').i32(4).op('i32.mul').op('i32.add');
          f.get(P.K).i32(4).op('i32.mul');
          f.i32(4);
          f.get(rows);
          f.get(packed);
          f.get(npan);
          f.get(P.K);
          f.get(stage);
          f.get(ldc);
          f.get(pw);
          f.get(P.bias).get(g).get(P.mg).op('i32.mul').get(r0).op('i32.add').i32(4).op('i32.mul').op('i32.add').i32(0).get(P.bias).op('select');
          f.get(scratch);
          f.i32(0);
          f.call(block);
          forUp(f, rr, () => void f.i32(0), () => void f.get(rows), 1, () => {
            emitEpilogueRun(
              f, epi, epiParams, tid,
              () => void f.get(stage).get(rr).get(ldc).op('i32.mul').op('i32.add'),
              () => void f.get(nb).get(P.M).op('i32.mul').get(g).get(P.mg).op('i32.mul').op('i32.add').get(r0).op('i32.add').get(rr).op('i32.add').get(P.P).op('i32.mul').get(p0).op('i32.add'),
              () => void f.get(pw),
              at,
            );
          });
        });
      }
      addConst(f, u, 1);
      f.br(again);
    });
  });
  return f;
}

export const GEMM_EXPORTS = ['conv'] as const;

/** The im2col conv module; with `epilogue` (epilogue-stage.ts), its driver applies that fused epilogue as it stores. */
export function buildGemmModule(epilogue?: FunctionBuilder): Uint8Array {
  const m = new ModuleBuilder().importMemory(MEMORY_IMPORT);
  const block = m.addFunction(microKernelBlock());
  const epi = epilogue === undefined ? undefined : m.addFunction(epilogue);
  m.addFunction(convDriver(block, epi), 'conv');
  return m.encode();
}

/** The conv module instance for a call: plain, or with its staged epilogue embedded (one module per epilogue kernel). */
export function gemmModule(ctx: WasmRoutineContext, staged: StagedEpilogue | undefined): PoolModule {
  return stagedModule(ctx, 'gemm', buildGemmModule, GEMM_EXPORTS, staged);
}
