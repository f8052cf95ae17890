// The wasm matmul module: B packed block by block into per-thread scratch (GotoBLAS/BLIS-style, Goto &
// van de Geijn, "Anatomy of High-Performance Matrix Multiplication", TOMS 2008: a KC × NC block of B,
// packed once and reused by every row of the unit while it sits in L2), then the 4×8 micro-kernel of
// gemm.ts over the unit's rows. Scratch is bounded by the block sizes whatever B's size (a batch-1
// classifier's 2048 × 1000 weights were packed whole per call: 7.8 MiB above the memory plan).
// Each output element is still one float32 sum in k order: the K-blocks continue the sum from the
// stored float32 partial (micro-kernel `accum`), so blocking, chunking and thread count never change a bit.

import { FunctionBuilder, Local, ModuleBuilder } from '../encoder/index.js';
import { MEMORY_IMPORT } from '../elementwise.js';
import { addConst, forUp, loadNamedParams, minU } from '../codegen-util.js';
import type { PoolModule } from '../pool.js';
import type { WasmRoutineContext } from './context.js';
import { emitCopyTemplate, emitEpilogueRun, stagedModule, type StagedEpilogue } from './epilogue-stage.js';
import { lanes32, microKernelBlock, PANEL, PANEL_ROW_BYTES } from './gemm.js';

/**
 * packPanel(src, K, N, transB, n0, k0, kEnd, d): one 8-column panel of rows k0 .. kEnd of the matrix
 * B at src (B(k, n) = transB ? src[n·K + k] : src[k·N + n]) into d: d[(k − k0)·8 + c] = B(k, n0 + c),
 * 0 past N.
 */
function packPanel(): FunctionBuilder {
  const f = new FunctionBuilder(Array<'i32'>(8).fill('i32'));
  const [src, K, N, transB, n0, k0, kEnd, d] = Array.from({ length: 8 }, (_, i) => f.param(i));
  const k = f.local('i32');
  const c = f.local('i32');
  const n = f.local('i32');
  const full = f.local('i32');
  const val = f.local('f32');
  const rows = Array.from({ length: PANEL }, () => f.local('v128'));
  const t = Array.from({ length: 4 }, () => f.local('v128'));
  f.get(n0).i32(PANEL).op('i32.add').get(N).op('i32.le_u').get(transB).op('i32.eqz').op('i32.and').set(full);
  f.get(k0).set(k);
  // transB with 8 whole rows: four k at a time, two 4×4 transposes per step.
  f.get(transB).get(n0).i32(PANEL).op('i32.add').get(N).op('i32.le_u').op('i32.and');
  f.if(() => {
    f.block((td) => {
      f.loop((tl) => {
        f.get(k).i32(4).op('i32.add').get(kEnd).op('i32.gt_u').brIf(td);
        rows.forEach((r, cc) => {
          f.get(src).get(n0).i32(cc).op('i32.add').get(K).op('i32.mul').get(k).op('i32.add').i32(4).op('i32.mul').op('i32.add').vmem('v128.load').set(r);
        });
        for (const half of [0, 1]) {
          const [r0, r1, r2, r3] = rows.slice(4 * half, 4 * half + 4);
          f.get(r0).get(r1).shuffle(lanes32([0, 4, 1, 5])).set(t[0]);
          f.get(r0).get(r1).shuffle(lanes32([2, 6, 3, 7])).set(t[1]);
          f.get(r2).get(r3).shuffle(lanes32([0, 4, 1, 5])).set(t[2]);
          f.get(r2).get(r3).shuffle(lanes32([2, 6, 3, 7])).set(t[3]);
          // Row k + q of the panel, columns 4·half .. 4·half + 3.
          const store = (q: number, a: Local, bb: Local, lanes: readonly number[]): void => {
            f.get(d).get(a).get(bb).shuffle(lanes32(lanes)).vmem('v128.store', q * PANEL_ROW_BYTES + 16 * half);
          };
          store(0, t[0], t[2], [0, 1, 4, 5]);
          store(1, t[0], t[2], [2, 3, 6, 7]);
          store(2, t[1], t[3], [0, 1, 4, 5]);
          store(3, t[1], t[3], [2, 3, 6, 7]);
        }
        addConst(f, d, 4 * PANEL_ROW_BYTES);
        addConst(f, k, 4);
        f.br(tl);
      });
    });
  });
  f.block((kd) => {
    f.loop((kl) => {
      f.get(k).get(kEnd).op('i32.ge_u').brIf(kd);
      f.get(full).if(
        () => {
          // A whole row of the panel: two vector copies from B's row k.
          const at = (): void => void f.get(src).get(k).get(N).op('i32.mul').get(n0).op('i32.add').i32(4).op('i32.mul').op('i32.add');
          f.get(d);
          at();
          f.vmem('v128.load').vmem('v128.store');
          f.get(d);
          at();
          f.vmem('v128.load', 16).vmem('v128.store', 16);
        },
        () => {
          forUp(f, c, () => void f.i32(0), () => void f.i32(PANEL), 1, () => {
            f.get(n0).get(c).op('i32.add').set(n);
            f.f32(0).set(val);
            f.get(n).get(N).op('i32.lt_u');
            f.if(() => {
              f.get(transB);
              f.if(
                () => void f.get(src).get(n).get(K).op('i32.mul').get(k).op('i32.add').i32(4).op('i32.mul').op('i32.add').set(n),
                () => void f.get(src).get(k).get(N).op('i32.mul').get(n).op('i32.add').i32(4).op('i32.mul').op('i32.add').set(n),
              );
              f.get(n).mem('f32.load').set(val);
            });
            f.get(d).get(c).i32(4).op('i32.mul').op('i32.add').get(val).mem('f32.store');
          });
        },
      );
      addConst(f, d, PANEL_ROW_BYTES);
      addConst(f, k, 1);
      f.br(kl);
    });
  });
  return f;
}

export const MATMUL_PARAMS = [
  'a', 'rsA', 'ksA', 'M', 'K', 'N', 'b', 'transB', 'nPanels', 'out', 'aOffTab', 'bOffTab', 'nRG', 'nCB', 'MC', 'CBP', 'KC',
  'tmpBase', 'tmpStride', 'packAt', 'stageAt', 'epiParamsAt', 'epiTemplate', 'epiWords',
] as const;
export type MatmulParams = Readonly<Record<(typeof MATMUL_PARAMS)[number], number>>;
export const matmulParams = (p: MatmulParams): number[] => MATMUL_PARAMS.map((k) => p[k]);

/**
 * matmul(start, end, tid, params): unit u = (batch p, row group rg of MC rows, column block cb of CBP
 * panels). For each K-block of KC rows of B: pack the block's panels into the thread's scratch, then
 * the micro-kernel over the unit's rows, continuing the sums of the previous K-block. params:
 * MATMUL_PARAMS; aOffTab[p] and bOffTab[p] are byte offsets of batch p's A and B matrices; the thread's
 * scratch is tmpBase + tid·tmpStride: [edge tile][packed block at packAt][stage at stageAt][epilogue
 * params at epiParamsAt]. With an embedded epilogue `epi` (epilogue-stage.ts) the sums build up in the
 * stage (rows of CBP·8 floats) and the epilogue stores its rows into out once the last K-block is in.
 */
function matmulDriver(block: number, pack: number, epi: number | undefined): FunctionBuilder {
  const f = new FunctionBuilder(['i32', 'i32', 'i32', 'i32']);
  const [start, end, tid, params] = [0, 1, 2, 3].map((i) => f.param(i));
  const P = loadNamedParams(f, params, MATMUL_PARAMS);
  const [u, p, rem, rg, cb, r0, j0, per, s0, s1, tmp, rows, cols, panels, rr, q, at, epiParams, stage, ldc, packed, aRow, bMat, cPtr, k0, kc] =
    Array.from({ length: 26 }, () => f.local('i32'));
  f.get(P.nRG).get(P.nCB).op('i32.mul').set(per);
  f.get(P.tmpBase).get(tid).get(P.tmpStride).op('i32.mul').op('i32.add').set(tmp);
  f.get(tmp).get(P.packAt).op('i32.add').set(packed);
  if (epi !== undefined) {
    f.get(tmp).get(P.stageAt).op('i32.add').set(stage);
    f.get(tmp).get(P.epiParamsAt).op('i32.add').set(epiParams);
    emitCopyTemplate(f, P.epiTemplate, P.epiWords, epiParams, rr);
  }
  forUp(f, u, () => void f.get(start), () => void f.get(end), 1, () => {
    f.get(u).get(per).op('i32.div_u').set(p);
    f.get(u).get(p).get(per).op('i32.mul').op('i32.sub').set(rem);
    f.get(rem).get(P.nCB).op('i32.div_u').set(rg);
    f.get(rem).get(rg).get(P.nCB).op('i32.mul').op('i32.sub').set(cb);
    f.get(rg).get(P.MC).op('i32.mul').set(r0);
    f.get(cb).get(P.CBP).op('i32.mul').set(j0);
    minU(f, () => void f.get(P.MC), () => void f.get(P.M).get(r0).op('i32.sub'), s0, s1);
    f.set(rows);
    minU(f, () => void f.get(P.CBP), () => void f.get(P.nPanels).get(j0).op('i32.sub'), s0, s1);
    f.set(panels);
    // Valid columns from the block's first: N − 8·j0 (the micro-kernel clips each panel to it).
    f.get(P.N).get(j0).i32(PANEL).op('i32.mul').op('i32.sub').set(cols);
    // aRow = a + aOffTab[p] + r0·rsA; bMat = b + bOffTab[p]
    f.get(P.a).get(P.aOffTab).get(p).i32(2).op('i32.shl').op('i32.add').mem('i32.load').op('i32.add').get(r0).get(P.rsA).op('i32.mul').op('i32.add').set(aRow);
    f.get(P.b).get(P.bOffTab).get(p).i32(2).op('i32.shl').op('i32.add').mem('i32.load').op('i32.add').set(bMat);
    // cPtr, ldc: the stage (rows of CBP·8 floats), or out + ((p·M + r0)·N + 8·j0)·4 with rows of N.
    if (epi !== undefined) {
      f.get(stage).set(cPtr);
      f.get(P.CBP).i32(PANEL_ROW_BYTES).op('i32.mul').set(ldc);
    } else {
      f.get(P.out).get(p).get(P.M).op('i32.mul').get(r0).op('i32.add').get(P.N).op('i32.mul').get(j0).i32(PANEL).op('i32.mul').op('i32.add').i32(2).op('i32.shl').op('i32.add').set(cPtr);
      f.get(P.N).i32(2).op('i32.shl').set(ldc);
    }
    // K-blocks (at least one, so K = 0 still stores zeros).
    f.i32(0).set(k0);
    f.loop((kLoop) => {
      minU(f, () => void f.get(P.KC), () => void f.get(P.K).get(k0).op('i32.sub'), s0, s1);
      f.set(kc);
      forUp(f, q, () => void f.i32(0), () => void f.get(panels), 1, () => {
        f.get(bMat).get(P.K).get(P.N).get(P.transB);
        f.get(j0).get(q).op('i32.add').i32(PANEL).op('i32.mul');
        f.get(k0).get(k0).get(kc).op('i32.add');
        f.get(packed).get(q).get(kc).op('i32.mul').i32(PANEL_ROW_BYTES).op('i32.mul').op('i32.add');
        f.call(pack);
      });
      f.get(aRow).get(k0).get(P.ksA).op('i32.mul').op('i32.add');
      f.get(P.rsA).get(P.ksA).get(rows).get(packed).get(panels).get(kc);
      f.get(cPtr).get(ldc).get(cols).i32(0).get(tmp);
      f.get(k0).i32(0).op('i32.ne');
      f.call(block);
      f.get(k0).get(kc).op('i32.add').tee(k0).get(P.K).op('i32.lt_u').brIf(kLoop);
    });
    if (epi !== undefined) {
      // Each row of the block: out[(p·M + r0 + rr)·N + 8·j0 + c] for c < min(CBP·8, N − 8·j0).
      minU(f, () => void f.get(P.CBP).i32(PANEL).op('i32.mul'), () => void f.get(cols), s0, s1);
      f.set(cols);
      forUp(f, rr, () => void f.i32(0), () => void f.get(rows), 1, () => {
        emitEpilogueRun(
          f, epi, epiParams, tid,
          () => void f.get(stage).get(rr).get(ldc).op('i32.mul').op('i32.add'),
          () => void f.get(p).get(P.M).op('i32.mul').get(r0).op('i32.add').get(rr).op('i32.add').get(P.N).op('i32.mul').get(j0).i32(PANEL).op('i32.mul').op('i32.add'),
          () => void f.get(cols),
          at,
        );
      });
    }
  });
  return f;
}

export const MATMUL_EXPORTS = ['matmul'] as const;

/** The module; with `epilogue` (epilogue-stage.ts), its driver applies that fused epilogue as it stores. */
export function buildMatmulModule(epilogue?: FunctionBuilder): Uint8Array {
  const m = new ModuleBuilder().importMemory(MEMORY_IMPORT);
  const block = m.addFunction(microKernelBlock());
  const pack = m.addFunction(packPanel());
  const epi = epilogue === undefined ? undefined : m.addFunction(epilogue);
  m.addFunction(matmulDriver(block, pack, epi), 'matmul');
  return m.encode();
}

/** The module instance for a call: plain, or with its staged epilogue embedded (one module per epilogue kernel). */
export function matmulModule(ctx: WasmRoutineContext, staged: StagedEpilogue | undefined): PoolModule {
  return stagedModule(ctx, 'matmul', buildMatmulModule, MATMUL_EXPORTS, staged);
}
