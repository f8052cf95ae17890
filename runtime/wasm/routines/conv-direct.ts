// Direct 2-D convolution in wasm, for convolutions whose GEMM form is degenerate (depthwise and other
// grouped convolutions with fewer than 4 output channels per group, where the 4×8 micro-kernel would
// mostly compute padding rows). One unit is one output plane (n, m): it starts from the bias and adds
// every tap (ci, ky, kx) over the output rows and columns whose input is inside X (ranges precomputed,
// as in the CPU routine), 4 columns per f32x4 step when the column stride is 1. Each output element
// accumulates in float32 in a fixed tap order, so the result does not depend on the thread count.
// With a fused epilogue (epilogue-stage.ts) the plane accumulates in the thread's scratch (the stage)
// and the epilogue stores it, so the output may share storage with an epilogue operand.

import { FunctionBuilder, ModuleBuilder } from '../encoder/index.js';
import { MEMORY_IMPORT } from '../elementwise.js';
import { addConst, loadNamedParams } from '../codegen-util.js';
import { emitCopyTemplate, emitEpilogueRun } from './epilogue-stage.js';

const NAMES = ['x', 'w', 'bias', 'out', 'C', 'H', 'W', 'M', 'cg', 'mg', 'kh', 'kw', 'OH', 'OW', 'sh', 'sw', 'dh', 'dw', 'pt', 'pl', 'rowLo', 'rowHi', 'colLo', 'colHi', 'scratchBase', 'scratchStride', 'epiParamsAt', 'epiTemplate', 'epiWords'] as const;
export type DirectConvParams = Readonly<Record<(typeof NAMES)[number], number>>;
export const directConvParams = (p: DirectConvParams): number[] => NAMES.map((k) => p[k]);

/** direct(start, end, tid, params): unit u = output plane (n, m). With `epi`, the thread's scratch is [stage: OH·OW floats][epilogue params]. */
function directConv(epi: number | undefined): FunctionBuilder {
  const f = new FunctionBuilder(['i32', 'i32', 'i32', 'i32']);
  const [start, end, tid, params] = [0, 1, 2, 3].map((i) => f.param(i));
  const P = loadNamedParams(f, params, NAMES);
  const u = f.local('i32');
  const nb = f.local('i32');
  const m = f.local('i32');
  const g = f.local('i32');
  const plane = f.local('i32');
  const planeEnd = f.local('i32');
  const p = f.local('i32');
  const ci = f.local('i32');
  const ky = f.local('i32');
  const kx = f.local('i32');
  const xPlane = f.local('i32');
  const rowShift = f.local('i32');
  const colShift = f.local('i32');
  const oy = f.local('i32');
  const oyEnd = f.local('i32');
  const c0 = f.local('i32');
  const c1 = f.local('i32');
  const ox = f.local('i32');
  const xr = f.local('i32');
  const orow = f.local('i32');
  const wScalar = f.local('f32');
  const wVec = f.local('v128');
  const init = f.local('v128');
  const initScalar = f.local('f32');
  const wAt = f.local('i32');
  const tabOff = f.local('i32');
  const stage = f.local('i32');
  const epiParams = f.local('i32');
  const at = f.local('i32');
  if (epi !== undefined) {
    f.get(P.scratchBase).get(tid).get(P.scratchStride).op('i32.mul').op('i32.add').tee(stage).get(P.epiParamsAt).op('i32.add').set(epiParams);
    emitCopyTemplate(f, P.epiTemplate, P.epiWords, epiParams, at);
  }
  f.get(start).set(u);
  f.block((exit) => {
    f.loop((again) => {
      f.get(u).get(end).op('i32.ge_u').brIf(exit);
      f.get(u).get(P.M).op('i32.div_u').set(nb);
      f.get(u).get(nb).get(P.M).op('i32.mul').op('i32.sub').set(m);
      f.get(m).get(P.mg).op('i32.div_u').set(g);
      // plane = out + u·OH·OW·4 (u = n·M + m), or the stage
      if (epi === undefined) f.get(P.out).get(u).get(P.OH).op('i32.mul').get(P.OW).op('i32.mul').i32(4).op('i32.mul').op('i32.add').set(plane);
      else f.get(stage).set(plane);
      f.get(plane).get(P.OH).get(P.OW).op('i32.mul').i32(4).op('i32.mul').op('i32.add').set(planeEnd);
      // Start from the bias (or 0).
      f.f32(0).set(initScalar);
      f.get(P.bias).if(() => void f.get(P.bias).get(m).i32(4).op('i32.mul').op('i32.add').mem('f32.load').set(initScalar));
      f.get(initScalar).simd('f32x4.splat').set(init);
      f.get(plane).set(p);
      f.block((d) => {
        f.loop((l) => {
          f.get(p).i32(16).op('i32.add').get(planeEnd).op('i32.gt_u').brIf(d);
          f.get(p).get(init).vmem('v128.store');
          addConst(f, p, 16);
          f.br(l);
        });
      });
      f.block((d) => {
        f.loop((l) => {
          f.get(p).get(planeEnd).op('i32.ge_u').brIf(d);
          f.get(p).get(initScalar).mem('f32.store');
          addConst(f, p, 4);
          f.br(l);
        });
      });
      f.i32(0).set(ci);
      f.block((cid) => {
        f.loop((cil) => {
          f.get(ci).get(P.cg).op('i32.ge_u').brIf(cid);
          f.get(P.x).get(nb).get(P.C).op('i32.mul').get(g).get(P.cg).op('i32.mul').op('i32.add').get(ci).op('i32.add');
          f.get(P.H).op('i32.mul').get(P.W).op('i32.mul').i32(4).op('i32.mul').op('i32.add').set(xPlane);
          // wAt = w + ((m·cg + ci)·kh·kw)·4, advanced tap by tap
          f.get(P.w).get(m).get(P.cg).op('i32.mul').get(ci).op('i32.add').get(P.kh).op('i32.mul').get(P.kw).op('i32.mul').i32(4).op('i32.mul').op('i32.add').set(wAt);
          f.i32(0).set(ky);
          f.block((kyd) => {
            f.loop((kyl) => {
              f.get(ky).get(P.kh).op('i32.ge_u').brIf(kyd);
              f.get(ky).get(P.dh).op('i32.mul').get(P.pt).op('i32.sub').set(rowShift);
              f.i32(0).set(kx);
              f.block((kxd) => {
                f.loop((kxl) => {
                  f.get(kx).get(P.kw).op('i32.ge_u').brIf(kxd);
                  f.get(kx).get(P.dw).op('i32.mul').get(P.pl).op('i32.sub').set(colShift);
                  f.get(wAt).mem('f32.load').tee(wScalar).simd('f32x4.splat').set(wVec);
                  f.get(kx).i32(4).op('i32.mul').set(tabOff);
                  f.get(P.colLo).get(tabOff).op('i32.add').mem('i32.load').set(c0);
                  f.get(P.colHi).get(tabOff).op('i32.add').mem('i32.load').set(c1);
                  f.get(ky).i32(4).op('i32.mul').set(tabOff);
                  f.get(P.rowLo).get(tabOff).op('i32.add').mem('i32.load').set(oy);
                  f.get(P.rowHi).get(tabOff).op('i32.add').mem('i32.load').set(oyEnd);
                  f.block((rd) => {
                    f.loop((rl) => {
                      f.get(oy).get(oyEnd).op('i32.ge_u').brIf(rd);
                      // xr = xPlane + ((oy·sh + rowShift)·W + colShift)·4: input of output column 0
                      f.get(xPlane).get(oy).get(P.sh).op('i32.mul').get(rowShift).op('i32.add').get(P.W).op('i32.mul').get(colShift).op('i32.add').i32(4).op('i32.mul').op('i32.add').set(xr);
                      f.get(plane).get(oy).get(P.OW).op('i32.mul').i32(4).op('i32.mul').op('i32.add').set(orow);
                      f.get(c0).set(ox);
                      f.get(P.sw).i32(1).op('i32.eq');
                      f.if(() => {
                        f.block((vd) => {
                          f.loop((vl) => {
                            f.get(ox).i32(4).op('i32.add').get(c1).op('i32.gt_u').brIf(vd);
                            f.get(orow).get(ox).i32(4).op('i32.mul').op('i32.add');
                            f.get(orow).get(ox).i32(4).op('i32.mul').op('i32.add').vmem('v128.load');
                            f.get(wVec).get(xr).get(ox).i32(4).op('i32.mul').op('i32.add').vmem('v128.load').simd('f32x4.mul');
                            f.simd('f32x4.add').vmem('v128.store');
                            addConst(f, ox, 4);
                            f.br(vl);
                          });
                        });
                      });
                      f.block((sd) => {
                        f.loop((sl) => {
                          f.get(ox).get(c1).op('i32.ge_u').brIf(sd);
                          f.get(orow).get(ox).i32(4).op('i32.mul').op('i32.add');
                          f.get(orow).get(ox).i32(4).op('i32.mul').op('i32.add').mem('f32.load');
                          f.get(wScalar).get(xr).get(ox).get(P.sw).op('i32.mul').i32(4).op('i32.mul').op('i32.add').mem('f32.load').op('f32.mul');
                          f.op('f32.add').mem('f32.store');
                          addConst(f, ox, 1);
                          f.br(sl);
                        });
                      });
                      addConst(f, oy, 1);
                      f.br(rl);
                    });
                  });
                  addConst(f, wAt, 4);
                  addConst(f, kx, 1);
                  f.br(kxl);
                });
              });
              addConst(f, ky, 1);
              f.br(kyl);
            });
          });
          addConst(f, ci, 1);
          f.br(cil);
        });
      });
      if (epi !== undefined) {
        emitEpilogueRun(
          f, epi, epiParams, tid,
          () => void f.get(stage),
          () => void f.get(u).get(P.OH).op('i32.mul').get(P.OW).op('i32.mul'),
          () => void f.get(P.OH).get(P.OW).op('i32.mul'),
          at,
        );
      }
      addConst(f, u, 1);
      f.br(again);
    });
  });
  return f;
}

/** The direct conv module; with `epilogue` (epilogue-stage.ts), it applies that fused epilogue as it stores. */
export function buildDirectConvModule(epilogue?: FunctionBuilder): Uint8Array {
  const m = new ModuleBuilder().importMemory(MEMORY_IMPORT);
  const epi = epilogue === undefined ? undefined : m.addFunction(epilogue);
  m.addFunction(directConv(epi), 'direct');
  return m.encode();
}

/** For each tap t: the output positions o in [lo[t], hi[t]) with 0 <= o·stride − pad + t·dilation < size. */
export function validRanges(outSize: number, size: number, taps: number, stride: number, pad: number, dilation: number): { lo: number[]; hi: number[] } {
  const lo: number[] = [];
  const hi: number[] = [];
  for (let t = 0; t < taps; t++) {
    const shift = t * dilation - pad;
    const first = Math.max(0, Math.ceil(-shift / stride));
    const last = Math.min(outSize - 1, Math.floor((size - 1 - shift) / stride));
    lo.push(first);
    hi.push(Math.max(first, last + 1));
  }
  return { lo, hi };
}
