// The wasm module of the Winograd F(m×m, 3×3) convolution (Lavin & Gray 2016; one module per variant
// of winograd-transforms.ts, m = 2 or 4, windows of a = m + 2): the filter transform U = G g Gᵀ, the
// input transform of a block of tiles (V = Bᵀ d B, four tiles per f32x4), ξ = a² GEMMs
// U[ξ] [rows × C] · V[ξ] [C × tiles], one per position of the a×a transformed tile, with the GEMM
// micro-kernel (gemm.ts), and the output transform of each product tile back to m×m outputs
// (Y = Aᵀ m A) plus the bias. Which transformed operand is held whole is winograd.ts's choice. Layouts:
//   U       [M][ξ][Cp] float32 (Cp ≥ C: winograd.ts's filterColumns; the padding columns are never read): one
//           channel's ξ transformed filters together, so the transform writes one region per m
//           (all M shared, or one row block per thread)
//   V       [ξ][Tp/8 panels][C][8] per tile block, ξ-th at vXi bytes (winograd.ts's sliceStride) —
//           per ξ a B operand packed as gemm.ts packs B
//           (one block per thread, or a group of blocks shared)
//   m       [ξ][MB][Tp], ξ-th at mXi bytes — the products of one block of MB output channels (per thread)
// Each output element is computed by one unit in a fixed order (transform, a C-term dot product in
// channel order, transform), so results never depend on the blocking, the grouping or the thread count.

import { FunctionBuilder, Local, ModuleBuilder } from '../encoder/index.js';
import { MEMORY_IMPORT } from '../elementwise.js';
import { addConst, forUp, loadNamedParams, minU, touchLines } from '../codegen-util.js';
import { lanes32, microKernelBlock, PANEL, PANEL_ROW_BYTES } from './gemm.js';
import { emitCopyTemplate, emitEpilogueRun } from './epilogue-stage.js';
import { groupLayout } from './winograd-tiles.js';
import { emitTransform2d, type WinogradVariant } from './winograd-transforms.js';

/** Bytes before the per-thread V buffer (the micro-kernel's edge tile, rounded to a cache line). */
export const SCRATCH_HEAD_BYTES = 128;

const grid = (f: FunctionBuilder, rows: number, cols: number, type: 'v128' | 'f32'): Local[][] =>
  Array.from({ length: rows }, () => Array.from({ length: cols }, () => f.local(type)));

/**
 * A sink for emitTransform2d storing output (a, b) of a side×side tile at base + (a·side + b)·stride:
 * the transform yields a column b at a time, so each column starts at base + b·stride and steps by
 * strideSide = side·stride.
 */
function storeAt(f: FunctionBuilder, side: number, base: Local, stride: Local, strideSide: Local, ptr: Local): (a: number, b: number, push: () => void) => void {
  return (a, b, push) => {
    if (a >= side || b >= side) throw new Error(`storeAt: output (${a}, ${b}) outside a ${side}×${side} tile`);
    if (a === 0) {
      f.get(base);
      if (b > 0) f.get(stride).i32(b).op('i32.mul').op('i32.add');
    } else {
      f.get(ptr).get(strideSide).op('i32.add');
    }
    f.tee(ptr);
    push();
    f.vmem('v128.store');
  };
}

/** dst[l] = [src[0][l], src[1][l], src[2][l], src[3][l]] (a 4×4 transpose of f32 lanes; t: four temporaries). */
function transpose4(f: FunctionBuilder, src: readonly Local[], t: readonly Local[], dst: readonly Local[]): void {
  f.get(src[0]).get(src[1]).shuffle(lanes32([0, 4, 1, 5])).set(t[0]);
  f.get(src[2]).get(src[3]).shuffle(lanes32([0, 4, 1, 5])).set(t[1]);
  f.get(src[0]).get(src[1]).shuffle(lanes32([2, 6, 3, 7])).set(t[2]);
  f.get(src[2]).get(src[3]).shuffle(lanes32([2, 6, 3, 7])).set(t[3]);
  f.get(t[0]).get(t[1]).shuffle(lanes32([0, 1, 4, 5])).set(dst[0]);
  f.get(t[0]).get(t[1]).shuffle(lanes32([2, 3, 6, 7])).set(dst[1]);
  f.get(t[2]).get(t[3]).shuffle(lanes32([0, 1, 4, 5])).set(dst[2]);
  f.get(t[2]).get(t[3]).shuffle(lanes32([2, 3, 6, 7])).set(dst[3]);
}

/**
 * filters(w, u, mFrom, mTo, C, Cp): u[m − mFrom][ξ][c] = (G g Gᵀ)[ξ] for g = w[m, c], m in [mFrom, mTo)
 * — four channels per f32x4 (lanes past C repeat the last channel; they land in the padding columns).
 */
function filterTransform(v: WinogradVariant): FunctionBuilder {
  const f = new FunctionBuilder(Array<'i32'>(6).fill('i32'));
  const [w, uBase, mFrom, mTo, C, Cp] = Array.from({ length: 6 }, (_, i) => f.param(i));
  const m = f.local('i32');
  const c = f.local('i32');
  const last = f.local('i32');
  const ptr = f.local('i32');
  const xiStride = f.local('i32');
  const xiStrideSide = f.local('i32');
  const u0 = f.local('i32');
  const s0 = f.local('i32');
  const s1 = f.local('i32');
  const src = [0, 1, 2, 3].map(() => f.local('i32'));
  const g = grid(f, 3, 3, 'v128');
  const tmp = grid(f, 3, v.a, 'v128');
  const [head, mid, t] = [0, 1, 2].map(() => [0, 1, 2, 3].map(() => f.local('v128')));
  const taps = g.flat();
  /** Tap k of the four lanes' filters at src[l], gathered one float at a time. */
  const gatherTap = (k: number): void => {
    f.get(src[0]).mem('f32.load', 4 * k).simd('f32x4.splat');
    for (let l = 1; l < 4; l++) f.get(src[l]).mem('f32.load', 4 * k).lane('f32x4.replace_lane', l);
    f.set(taps[k]);
  };
  f.get(Cp).i32(4).op('i32.mul').tee(xiStride).i32(v.a).op('i32.mul').set(xiStrideSide);
  f.get(C).i32(1).op('i32.sub').set(last);
  forUp(f, m, () => void f.get(mFrom), () => void f.get(mTo), 1, () => {
    forUp(f, c, () => void f.i32(0), () => void f.get(C), 4, () => {
      f.get(c).i32(4).op('i32.add').get(C).op('i32.le_u');
      f.if(
        () => {
          // Four whole channels: their filters are 36 consecutive floats (9 per lane at w + (m·C + c + l)·36);
          // taps 0–3 and 4–7 of each lane are one vector load each, transposed across the lanes.
          f.get(w).get(m).get(C).op('i32.mul').get(c).op('i32.add').i32(36).op('i32.mul').op('i32.add').set(src[0]);
          for (let l = 1; l < 4; l++) f.get(src[0]).i32(36 * l).op('i32.add').set(src[l]);
          src.forEach((sl, l) => {
            f.get(sl).vmem('v128.load').set(head[l]);
            f.get(sl).vmem('v128.load', 16).set(mid[l]);
          });
          transpose4(f, head, t, taps.slice(0, 4));
          transpose4(f, mid, t, taps.slice(4, 8));
          gatherTap(8);
        },
        () => {
          // The last, partial group: lane l reads filter (m, min(c + l, C − 1)).
          src.forEach((sl, l) => {
            f.get(w).get(m).get(C).op('i32.mul');
            minU(f, () => void f.get(c).i32(l).op('i32.add'), () => void f.get(last), s0, s1);
            f.op('i32.add').i32(36).op('i32.mul').op('i32.add').set(sl);
          });
          for (let k = 0; k < 9; k++) gatherTap(k);
        },
      );
      f.get(uBase).get(m).get(mFrom).op('i32.sub').i32(v.xi).op('i32.mul').get(Cp).op('i32.mul').get(c).op('i32.add').i32(4).op('i32.mul').op('i32.add').set(u0);
      emitTransform2d(f, v.weight, (ky) => g[ky], tmp, 'v128', storeAt(f, v.a, u0, xiStride, xiStrideSide, ptr));
    });
  });
  return f;
}

/** weights(start, end, tid, params): unit = output channel m. params: w, U, C, Cp. Fills U rows [start, end). */
function weightsDriver(v: WinogradVariant, filters: number): FunctionBuilder {
  const f = new FunctionBuilder(['i32', 'i32', 'i32', 'i32']);
  const [start, end, , params] = [0, 1, 2, 3].map((i) => f.param(i));
  const P = loadNamedParams(f, params, ['w', 'U', 'C', 'Cp'] as const);
  f.get(P.w).get(P.U).get(start).i32(v.xi).op('i32.mul').get(P.Cp).op('i32.mul').i32(4).op('i32.mul').op('i32.add');
  f.get(start).get(end).get(P.C).get(P.Cp).call(filters);
  return f;
}

const CONV_PARAMS = [
  'x', 'w', 'U', 'V', 'bias', 'out', 'C', 'H', 'W', 'M', 'OH', 'OW', 'TW', 'Cp', 'nTiles', 'nTB', 'nMC', 'MC', 'MB', 'Tp', 'table',
  'vXi', 'mXi', 'guarded', 'b0', 'nBlk', 'CC', 'nCC', 'scratchBase', 'scratchStride', 'vAt', 'mAt', 'uAt', 'stageAt', 'epiParamsAt', 'epiTemplate', 'epiWords',
] as const;
export type WinogradConvParams = Readonly<Record<(typeof CONV_PARAMS)[number], number>>;
export const winogradConvParams = (p: WinogradConvParams): number[] => CONV_PARAMS.map((k) => p[k]);

/**
 * The three drivers share one body (fn(start, end, tid, params), params CONV_PARAMS; the thread's
 * scratch at scratchBase + tid·scratchStride holds [edge tile][V at vAt][m at mAt][U at uAt][stage at
 * stageAt][epilogue params at epiParamsAt]):
 *   'tiles'  filters shared (U holds all M filters): unit = (image, tile block, chunk of MC output
 *            channels); transforms the block's inputs into the thread's V, then per MB rows of the chunk
 *            ξ GEMMs and the output transform.
 *   'inputs' inputs shared, pass 1: unit = (tile block b0 + k, chunk cc of CC channels); transforms those
 *            channels of the block's inputs into V + k·vBlock (ξ slices vXi apart), shared by every thread.
 *   'rows'   inputs shared, pass 2: unit = block of MB output channels; transforms their filters into
 *            the thread's U, then for each of the nBlk tile blocks ξ GEMMs and the output transform.
 * With `epi` (epilogue-stage.ts), each output channel's transformed block goes to the stage (mirroring
 * the block's output rows) and the epilogue stores it, output row segment by segment.
 */
function convDriver(v: WinogradVariant, kind: 'tiles' | 'inputs' | 'rows', block: number, filters: number, epi: number | undefined): FunctionBuilder {
  const f = new FunctionBuilder(['i32', 'i32', 'i32', 'i32']);
  const [start, end, tid, params] = [0, 1, 2, 3].map((i) => f.param(i));
  const P = loadNamedParams(f, params, CONV_PARAMS);
  const i32 = (): Local => f.local('i32');
  const [u, n, rem, tb, mc, t0, valid, npanUsed, nGroups, rec0, rec, xImg, q, dst, plane, c, rp, ptr] = Array.from({ length: 18 }, i32);
  const [mEnd, m0, rows, xi, r, outPlane, src, off, bits, s0, s1, c0, c1, k, vBlk, vBlock, scratch] = Array.from({ length: 17 }, i32);
  const [tileTmp, mBuf, uBuf, vXiSide, uXi, rsA, ldc, planeBytes, outPlaneBytes, rowBytes, outRowBytes, perN, aBase] = Array.from({ length: 13 }, i32);
  const { vXi, mXi } = P;
  const [stage, epiParams, ty0, t, ty, tEnd, ox0, ox1, oy, at, rowBase, runStart, runLen] = Array.from({ length: 13 }, i32);
  const [lineFrom, lineTo, lineAt, lineXor] = Array.from({ length: 4 }, i32);
  const GROUP = groupLayout(v);
  const { a, m: tm, xi: XI } = v;
  /** log2 of the output tile side (2 or 4). */
  const tmShift = Math.log2(tm);
  const d = grid(f, a, a, 'v128');
  const tmp = grid(f, a, a, 'v128');
  const y = grid(f, tm, tm, 'v128');
  const [va, vb, ve, vf, biasV] = [0, 1, 2, 3, 4].map(() => f.local('v128'));
  const [lo, hi, tr] = [0, 1, 2].map(() => [0, 1, 2, 3].map(() => f.local('v128')));
  const lanePtr = [0, 1, 2, 3].map(i32);

  // Per-call constants.
  f.get(P.scratchBase).get(tid).get(P.scratchStride).op('i32.mul').op('i32.add').tee(scratch).set(tileTmp);
  f.get(scratch).get(P.mAt).op('i32.add').set(mBuf);
  f.get(scratch).get(P.uAt).op('i32.add').set(uBuf);
  f.get(vXi).i32(XI).op('i32.mul').set(vBlock);
  f.get(vXi).i32(a).op('i32.mul').set(vXiSide);
  f.get(P.Cp).i32(4).op('i32.mul').set(uXi);
  f.get(uXi).i32(XI).op('i32.mul').set(rsA);
  f.get(P.Tp).i32(4).op('i32.mul').set(ldc);
  f.get(P.W).i32(4).op('i32.mul').set(rowBytes);
  f.get(P.H).get(rowBytes).op('i32.mul').set(planeBytes);
  f.get(P.OW).i32(4).op('i32.mul').set(outRowBytes);
  f.get(P.OH).get(outRowBytes).op('i32.mul').set(outPlaneBytes);
  f.get(P.nTB).get(P.nMC).op('i32.mul').set(perN);
  if (epi !== undefined && kind !== 'inputs') {
    f.get(scratch).get(P.stageAt).op('i32.add').set(stage);
    f.get(scratch).get(P.epiParamsAt).op('i32.add').set(epiParams);
    emitCopyTemplate(f, P.epiTemplate, P.epiWords, epiParams, at);
  }

  /** Block variables of image n, tile block tb. */
  const setBlock = (): void => {
    f.get(tb).get(P.Tp).op('i32.mul').set(t0);
    minU(f, () => void f.get(P.Tp), () => void f.get(P.nTiles).get(t0).op('i32.sub'), s0, s1);
    f.set(valid);
    f.get(valid).i32(PANEL - 1).op('i32.add').i32(3).op('i32.shr_u').set(npanUsed);
    f.get(valid).i32(3).op('i32.add').i32(2).op('i32.shr_u').set(nGroups);
    f.get(P.table).get(t0).i32(2).op('i32.shr_u').i32(GROUP.bytes).op('i32.mul').op('i32.add').set(rec0);
    f.get(P.x).get(n).get(P.C).op('i32.mul').get(planeBytes).op('i32.mul').op('i32.add').set(xImg);
    f.get(t0).get(P.TW).op('i32.div_u').set(ty0);
  };
  /** Flat tile block b (local) → n, tb. */
  const splitBlock = (b: Local): void => {
    f.get(b).get(P.nTB).op('i32.div_u').set(n);
    f.get(b).get(n).get(P.nTB).op('i32.mul').op('i32.sub').set(tb);
  };

  /** Store V = Bᵀ d B of the four tiles whose window rows `dRow` loads: ξ-th at dst + ξ·vXi. */
  const inputTransform = (dRow: (rr: number) => readonly Local[]): void => {
    emitTransform2d(f, v.input, dRow, tmp, 'v128', storeAt(f, a, dst, vXi, vXiSide, ptr));
  };

  /**
   * The input transform of channels [c0, c1) of group rec, channel by channel: `body` with plane at the
   * channel's plane (plus `origin`'s offset, when given), then plane and dst moved to the next channel.
   */
  function eachChannel(origin: (() => void) | undefined, body: () => void): void {
    f.get(xImg).get(c0).get(planeBytes).op('i32.mul').op('i32.add');
    if (origin !== undefined) {
      origin();
      f.op('i32.add');
    }
    f.set(plane);
    forUp(f, c, () => void f.get(c0), () => void f.get(c1), 1, () => {
      body();
      f.get(plane).get(planeBytes).op('i32.add').set(plane);
      addConst(f, dst, PANEL_ROW_BYTES);
    });
  }

  /**
   * F(4×4): lane l's window row is 6 consecutive floats, read as a vector and a 64-bit load, and the
   * four lanes' rows are transposed into the tile rows. Unmasked: every window is inside the image
   * (from inOffset). Masked: from winOffset, the window origins even where outside the image (the reads
   * stay inside the memory: winograd.ts checks readExtent), and the outside zeroed by inMask.
   */
  function laneRows(masked: boolean): void {
    eachChannel(undefined, () => {
      lanePtr.forEach((lp, l) => void f.get(plane).get(rec).mem('i32.load', (masked ? GROUP.winOffset : GROUP.inOffset) + 4 * l).op('i32.add').set(lp));
      inputTransform((rr) => {
        const dr = d[rr];
        lanePtr.forEach((lp, l) => {
          if (rr > 0) f.get(lp).get(rowBytes).op('i32.add').set(lp);
          f.get(lp).vmem('v128.load').set(lo[l]);
          f.get(lp).vmem('v128.load64_zero', 16).set(hi[l]);
        });
        transpose4(f, lo, tr, dr.slice(0, 4));
        f.get(hi[0]).get(hi[1]).shuffle(lanes32([0, 4, 1, 5])).set(tr[0]);
        f.get(hi[2]).get(hi[3]).shuffle(lanes32([0, 4, 1, 5])).set(tr[1]);
        f.get(tr[0]).get(tr[1]).shuffle(lanes32([0, 1, 4, 5])).set(dr[4]);
        f.get(tr[0]).get(tr[1]).shuffle(lanes32([2, 3, 6, 7])).set(dr[5]);
        if (masked) dr.forEach((dv, k) => void f.get(dv).get(rec).vmem('v128.load', GROUP.inMask + 16 * (a * rr + k)).simd('v128.and').set(dv));
        return dr;
      });
    });
  }

  /** Input transform of channels [c0, c1) of every group in the used panels into vBlk (padding tiles come out as zeros). */
  const inputBlock = (): void => {
    forUp(f, q, () => void f.i32(0), () => void f.get(npanUsed).i32(1).op('i32.shl'), 1, () => {
      f.get(rec0).get(q).i32(GROUP.bytes).op('i32.mul').op('i32.add').set(rec);
      // dst = V + (q >> 1)·C·32 + (q & 1)·16 + c0·32: lanes 0–3 or 4–7 of the panel's rows.
      f.get(vBlk).get(q).i32(1).op('i32.shr_u').get(P.C).op('i32.mul').get(c0).op('i32.add').i32(PANEL_ROW_BYTES).op('i32.mul').op('i32.add');
      f.get(q).i32(1).op('i32.and').i32(4).op('i32.shl').op('i32.add').set(dst);
      f.get(rec).mem('i32.load', GROUP.fastIn);
      f.if(
        () => {
          if (v.name === 'F2') {
            // Four windows side by side, inside the image: window row r spans 10 consecutive floats;
            // lane t takes floats 2t + k (k = 0..3), picked from overlapping loads by shuffles.
            eachChannel(() => void f.get(rec).mem('i32.load', GROUP.inOffset), () => {
              f.get(plane).set(rp);
              inputTransform((rr) => {
                const dr = d[rr];
                if (rr > 0) f.get(rp).get(rowBytes).op('i32.add').set(rp);
                f.get(rp).vmem('v128.load').set(va);
                f.get(rp).vmem('v128.load', 16).set(vb);
                f.get(rp).vmem('v128.load', 8).set(ve);
                f.get(rp).vmem('v128.load', 24).set(vf);
                f.get(va).get(vb).shuffle(lanes32([0, 2, 4, 6])).set(dr[0]);
                f.get(va).get(vb).shuffle(lanes32([1, 3, 5, 7])).set(dr[1]);
                f.get(ve).get(vf).shuffle(lanes32([0, 2, 4, 6])).set(dr[2]);
                f.get(ve).get(vf).shuffle(lanes32([1, 3, 5, 7])).set(dr[3]);
                return dr;
              });
            });
            return;
          }
          laneRows(false);
        },
        () => {
          if (v.name === 'F4') {
            // Windows reaching outside the image, where the memory around the input has room for it.
            f.get(P.guarded);
            f.if(() => laneRows(true), gather);
            return;
          }
          gather();
        },
      );
    });
  };

  /** Edge or straddling group: gather each lane's inputs by table, zero the padding by mask. */
  function gather(): void {
    eachChannel(undefined, () => {
      inputTransform((rr) => {
        d[rr].forEach((dv, cc) => {
          const pos = 16 * (a * rr + cc);
          f.get(plane).get(rec).mem('i32.load', GROUP.inOffset + pos).op('i32.add').mem('f32.load').simd('f32x4.splat');
          for (let l = 1; l < 4; l++) f.get(plane).get(rec).mem('i32.load', GROUP.inOffset + pos + 4 * l).op('i32.add').mem('f32.load').lane('f32x4.replace_lane', l);
          f.get(rec).vmem('v128.load', GROUP.inMask + pos).simd('v128.and').set(dv);
        });
        return d[rr];
      });
    });
  }

  /** m[ξ] [rows × 8·npanUsed] = A[ξ] (rows × C at aBase, row stride rsA) · vBlk[ξ] [C × 8·npanUsed]. */
  const gemms = (): void => {
    forUp(f, xi, () => void f.i32(0), () => void f.i32(XI), 1, () => {
      f.get(aBase).get(xi).get(uXi).op('i32.mul').op('i32.add');
      f.get(rsA).i32(4).get(rows);
      f.get(vBlk).get(xi).get(vXi).op('i32.mul').op('i32.add');
      f.get(npanUsed).get(P.C);
      f.get(mBuf).get(xi).get(mXi).op('i32.mul').op('i32.add');
      f.get(ldc).get(npanUsed).i32(PANEL).op('i32.mul');
      f.i32(0).get(tileTmp).i32(0);
      f.call(block);
    });
  };

  /**
   * The epilogue over the block's outputs of channel m0 + r, from the stage: the output row segments
   * the block's tiles cover, consecutive segments merged into one run where they touch (whole output
   * rows), so a block of whole tile rows is one call.
   */
  const epilogueRows = (fn: number): void => {
    const runAt = (): void => void f.get(rowBase).get(oy).get(P.OW).op('i32.mul').op('i32.add').get(ox0).op('i32.add');
    const flush = (): void => {
      f.get(runLen).if(() =>
        emitEpilogueRun(
          f, fn, epiParams, tid,
          () => void f.get(stage).get(runStart).get(rowBase).op('i32.sub').get(ty0).i32(tmShift).op('i32.shl').get(P.OW).op('i32.mul').op('i32.sub').i32(2).op('i32.shl').op('i32.add'),
          () => void f.get(runStart),
          () => void f.get(runLen),
          at,
        ),
      );
    };
    // rowBase: flat index of the channel plane's first output.
    f.get(n).get(P.M).op('i32.mul').get(m0).op('i32.add').get(r).op('i32.add').get(P.OH).op('i32.mul').get(P.OW).op('i32.mul').set(rowBase);
    f.i32(0).set(runLen);
    f.get(t0).set(t);
    f.get(t0).get(valid).op('i32.add').set(tEnd);
    f.block((done) => {
      f.loop((again) => {
        f.get(t).get(tEnd).op('i32.ge_u').brIf(done);
        f.get(t).get(P.TW).op('i32.div_u').set(ty);
        f.get(t).get(ty).get(P.TW).op('i32.mul').op('i32.sub').i32(tmShift).op('i32.shl').set(ox0);
        // This tile row's tiles end at min(tEnd, (ty + 1)·TW); their outputs at min(OW, m·that tile's x).
        minU(f, () => void f.get(tEnd), () => void f.get(ty).i32(1).op('i32.add').get(P.TW).op('i32.mul'), s0, s1);
        f.set(t);
        minU(f, () => void f.get(P.OW), () => void f.get(t).get(ty).get(P.TW).op('i32.mul').op('i32.sub').i32(tmShift).op('i32.shl'), s0, s1);
        f.set(ox1);
        for (let i = 0; i < tm; i++) {
          f.get(ty).i32(tmShift).op('i32.shl').i32(i).op('i32.add').tee(oy).get(P.OH).op('i32.lt_u');
          f.if(() => {
            // Extend the pending run when this segment starts where it ends, else flush it and start anew.
            runAt();
            f.get(runStart).get(runLen).op('i32.add').op('i32.ne');
            f.if(() => {
              flush();
              runAt();
              f.set(runStart);
              f.i32(0).set(runLen);
            });
            f.get(runLen).get(ox1).op('i32.add').get(ox0).op('i32.sub').set(runLen);
          });
        }
        f.br(again);
      });
    });
    flush();
  };

  /** Output transform (+ bias) of rows [0, rows) of m, channels m0 + r: into out, or through the stage and the epilogue. */
  const outputRows = (): void => {
    forUp(f, r, () => void f.i32(0), () => void f.get(rows), 1, () => {
      if (epi === undefined) f.get(P.out).get(n).get(P.M).op('i32.mul').get(m0).op('i32.add').get(r).op('i32.add').get(outPlaneBytes).op('i32.mul').op('i32.add').set(outPlane);
      // The stage mirrors output rows m·ty0 onwards (addresses wrap as i32; only rows of the block are stored).
      else f.get(stage).get(ty0).i32(tmShift).op('i32.shl').get(outRowBytes).op('i32.mul').op('i32.sub').set(outPlane);
      f.get(P.bias).if(
        () => void f.get(P.bias).get(m0).get(r).op('i32.add').i32(4).op('i32.mul').op('i32.add').vmem('v128.load32_splat').set(biasV),
        () => void f.f32x4(0, 0, 0, 0).set(biasV),
      );
      forUp(f, q, () => void f.i32(0), () => void f.get(nGroups), 1, () => {
        // The ξ products of four tiles: m[ξ][r][4q .. 4q + 3].
        f.get(mBuf).get(r).get(P.Tp).op('i32.mul').get(q).i32(2).op('i32.shl').op('i32.add').i32(4).op('i32.mul').op('i32.add').set(src);
        const productRow = (i: number): Local[] => {
          d[i].forEach((dv) => {
            f.get(src).vmem('v128.load').set(dv);
            f.get(src).get(mXi).op('i32.add').set(src);
          });
          return d[i];
        };
        emitTransform2d(f, v.output, productRow, tmp, 'v128', (i, kk, push) => {
          push();
          f.get(biasV).simd('f32x4.add').set(y[i][kk]);
        });
        f.get(rec0).get(q).i32(GROUP.bytes).op('i32.mul').op('i32.add').set(rec);
        f.get(rec).mem('i32.load', GROUP.fastOut);
        f.if(
          () => {
            if (v.name === 'F2') {
              // Four tiles side by side: each output row is 8 consecutive floats (lanes interleaved).
              f.get(outPlane).get(rec).mem('i32.load', GROUP.outOffset).op('i32.add').set(ptr);
              y.forEach((yr, i) => {
                f.get(ptr).get(yr[0]).get(yr[1]).shuffle(lanes32([0, 4, 1, 5])).vmem('v128.store');
                f.get(ptr).get(yr[0]).get(yr[1]).shuffle(lanes32([2, 6, 3, 7])).vmem('v128.store', 16);
                if (i === 0) f.get(ptr).get(outRowBytes).op('i32.add').set(ptr);
              });
              return;
            }
            // Every tile whole: output row i of lane l's tile is the transpose's lane-l vector.
            lanePtr.forEach((lp, l) => void f.get(outPlane).get(rec).mem('i32.load', GROUP.outOffset + 4 * l).op('i32.add').set(lp));
            y.forEach((yr, i) => {
              transpose4(f, yr, tr, lo);
              lanePtr.forEach((lp, l) => {
                f.get(lp).get(lo[l]).vmem('v128.store');
                if (i < tm - 1) f.get(lp).get(outRowBytes).op('i32.add').set(lp);
              });
            });
          },
          () => {
            for (let l = 0; l < 4; l++) {
              f.get(outPlane).get(rec).mem('i32.load', GROUP.outOffset + 4 * l).op('i32.add').set(off);
              f.get(rec).mem('i32.load', GROUP.outBits + 4 * l).set(bits);
              y.forEach((yr, i) => {
                yr.forEach((yv, kk) => {
                  f.get(bits).i32(1 << (tm * i + kk)).op('i32.and');
                  f.if(() => {
                    f.get(off);
                    f.get(yv).storeLane('v128.store32_lane', 4 * kk, l);
                  });
                });
                if (i < tm - 1) f.get(off).get(outRowBytes).op('i32.add').set(off);
              });
            }
          },
        );
      });
      if (epi !== undefined) epilogueRows(epi);
    });
  };

  forUp(f, u, () => void f.get(start), () => void f.get(end), 1, () => {
    if (kind === 'tiles') {
      f.get(u).get(perN).op('i32.div_u').set(n);
      f.get(u).get(n).get(perN).op('i32.mul').op('i32.sub').set(rem);
      f.get(rem).get(P.nMC).op('i32.div_u').set(tb);
      f.get(rem).get(tb).get(P.nMC).op('i32.mul').op('i32.sub').set(mc);
      setBlock();
      f.get(scratch).get(P.vAt).op('i32.add').set(vBlk);
      f.i32(0).set(c0);
      f.get(P.C).set(c1);
      inputBlock();
      // Output channels [mc·MC, min(M, mc·MC + MC)) in blocks of MB: ξ GEMMs, then the output transform.
      f.get(mc).get(P.MC).op('i32.mul').set(m0);
      minU(f, () => void f.get(P.M), () => void f.get(m0).get(P.MC).op('i32.add'), s0, s1);
      f.set(mEnd);
      f.block((mDone) => {
        f.loop((mLoop) => {
          f.get(m0).get(mEnd).op('i32.ge_u').brIf(mDone);
          minU(f, () => void f.get(P.MB), () => void f.get(mEnd).get(m0).op('i32.sub'), s0, s1);
          f.set(rows);
          f.get(P.U).get(m0).get(rsA).op('i32.mul').op('i32.add').set(aBase);
          gemms();
          outputRows();
          f.get(m0).get(P.MB).op('i32.add').set(m0);
          f.br(mLoop);
        });
      });
    } else if (kind === 'inputs') {
      f.get(u).get(P.nCC).op('i32.div_u').set(k);
      f.get(u).get(k).get(P.nCC).op('i32.mul').op('i32.sub').get(P.CC).op('i32.mul').set(c0);
      minU(f, () => void f.get(P.C), () => void f.get(c0).get(P.CC).op('i32.add'), s0, s1);
      f.set(c1);
      f.get(P.b0).get(k).op('i32.add').set(rem);
      splitBlock(rem);
      setBlock();
      f.get(P.V).get(k).get(vBlock).op('i32.mul').op('i32.add').set(vBlk);
      inputBlock();
    } else {
      f.get(u).get(P.MB).op('i32.mul').set(m0);
      minU(f, () => void f.get(P.MB), () => void f.get(P.M).get(m0).op('i32.sub'), s0, s1);
      f.set(rows);
      f.get(P.U).if(
        // Filters transformed once for every call (a constant's, winograd.ts): the block's rows of U.
        () => void f.get(P.U).get(m0).get(rsA).op('i32.mul').op('i32.add').set(aBase),
        () => {
          // The row block's filters (consecutive rows·C·36 bytes) come from DRAM (a model's weights do not fit
          // the caches); touched first, they arrive several lines at a time, then the transform reads them
          // from L2 (512 → 512 at 7×7, 9 MiB of filters: 4.50 → 4.00 ms, measured in one process).
          f.get(P.w).get(m0).get(P.C).op('i32.mul').i32(36).op('i32.mul').op('i32.add').tee(lineFrom);
          f.get(rows).get(P.C).op('i32.mul').i32(36).op('i32.mul').op('i32.add').set(lineTo);
          touchLines(f, lineFrom, lineTo, lineAt, lineXor, tileTmp);
          f.get(P.w).get(uBuf).get(m0).get(m0).get(rows).op('i32.add').get(P.C).get(P.Cp).call(filters);
          f.get(uBuf).set(aBase);
        },
      );
      forUp(f, k, () => void f.i32(0), () => void f.get(P.nBlk), 1, () => {
        f.get(P.b0).get(k).op('i32.add').set(rem);
        splitBlock(rem);
        setBlock();
        f.get(P.V).get(k).get(vBlock).op('i32.mul').op('i32.add').set(vBlk);
        gemms();
        outputRows();
      });
    }
  });
  return f;
}

export const WINOGRAD_EXPORTS = ['weights', 'tiles', 'inputs', 'rows'] as const;

/** The module of variant `v`; with `epilogue` (epilogue-stage.ts), its drivers apply that fused epilogue as they store. */
export function buildWinogradModule(v: WinogradVariant, epilogue?: FunctionBuilder): Uint8Array {
  const m = new ModuleBuilder().importMemory(MEMORY_IMPORT);
  const block = m.addFunction(microKernelBlock());
  const filters = m.addFunction(filterTransform(v));
  const epi = epilogue === undefined ? undefined : m.addFunction(epilogue);
  m.addFunction(weightsDriver(v, filters), 'weights');
  m.addFunction(convDriver(v, 'tiles', block, filters, epi), 'tiles');
  m.addFunction(convDriver(v, 'inputs', block, filters, epi), 'inputs');
  m.addFunction(convDriver(v, 'rows', block, filters, epi), 'rows');
  return m.encode();
}
