// The Winograd F(2×2, 3×3) transform matrices (Lavin & Gray, "Fast Algorithms for Convolutional Neural
// Networks", CVPR 2016, §4.1) as rows of ±1 terms, and an emitter for the 2-D transform X·Z·Xᵀ of a
// tile held in locals (f32 scalars or f32x4 vectors of four tiles). Every 2-D transform is two passes
// of the 1-D one (first along each row, then along each column), always in the same order, so a tile's
// arithmetic never depends on where or by which thread it is computed.

import type { FunctionBuilder, Local } from '../encoder/index.js';

/** One output of a 1-D transform: Σ sign·x[index], then times `scale` (1 or ½, both exact). */
export interface TransformRow {
  readonly terms: readonly (readonly [index: number, sign: 1 | -1])[];
  readonly scale: number;
}

const row = (scale: number, ...terms: [number, 1 | -1][]): TransformRow => ({ terms, scale });

/** Bᵀ = [[1,0,−1,0], [0,1,1,0], [0,−1,1,0], [0,1,0,−1]]: input tile d (4×4) to V = Bᵀ d B. */
export const INPUT_ROWS: readonly TransformRow[] = [row(1, [0, 1], [2, -1]), row(1, [1, 1], [2, 1]), row(1, [2, 1], [1, -1]), row(1, [1, 1], [3, -1])];

/** G = [[1,0,0], [½,½,½], [½,−½,½], [0,0,1]]: 3×3 filter g to U = G g Gᵀ (4×4). */
export const WEIGHT_ROWS: readonly TransformRow[] = [row(1, [0, 1]), row(0.5, [0, 1], [2, 1], [1, 1]), row(0.5, [0, 1], [2, 1], [1, -1]), row(1, [2, 1])];

/** Aᵀ = [[1,1,1,0], [0,1,−1,−1]]: product tile m (4×4) to the 2×2 output Y = Aᵀ m A. */
export const OUTPUT_ROWS: readonly TransformRow[] = [row(1, [0, 1], [1, 1], [2, 1]), row(1, [1, 1], [2, -1], [3, -1])];

/** Float64 Σ over a 1-D transform (for tests: the exact matrices the code generator uses). */
export function apply1d(rows: readonly TransformRow[], x: readonly number[]): number[] {
  return rows.map((r) => r.scale * r.terms.reduce((s, [i, sign]) => s + sign * x[i], 0));
}

type Lanes = 'f32' | 'v128';

/** Push Σ sign·x[index] (· scale) of one transform row; the first term is always positive. */
function emitRow(f: FunctionBuilder, r: TransformRow, x: readonly Local[], lanes: Lanes): void {
  r.terms.forEach(([i, sign], k) => {
    if (k === 0 && sign !== 1) throw new Error('a transform row must start with a positive term');
    f.get(x[i]);
    if (k === 0) return;
    if (lanes === 'v128') f.simd(sign === 1 ? 'f32x4.add' : 'f32x4.sub');
    else f.op(sign === 1 ? 'f32.add' : 'f32.sub');
  });
  if (r.scale === 1) return;
  if (lanes === 'v128') f.f32x4(r.scale, r.scale, r.scale, r.scale).simd('f32x4.mul');
  else f.f32(r.scale).op('f32.mul');
}

/**
 * out[a][b] = Σ_i Σ_j X[a][i]·z[i][j]·X[b][j] for the tile z in locals (n×n), X given by `rows`.
 * `tmp` holds the row pass (n × rows.length locals); `sink(a, b, push)` emits the use of each output,
 * calling `push()` where the value goes on the stack (after an address, say).
 */
export function emitTransform2d(
  f: FunctionBuilder,
  rows: readonly TransformRow[],
  z: readonly (readonly Local[])[],
  tmp: readonly (readonly Local[])[],
  lanes: Lanes,
  sink: (a: number, b: number, push: () => void) => void,
): void {
  z.forEach((zr, i) => {
    rows.forEach((r, b) => {
      emitRow(f, r, zr, lanes);
      f.set(tmp[i][b]);
    });
  });
  rows.forEach((r, a) => {
    rows.forEach((_, b) => {
      sink(a, b, () => emitRow(f, r, tmp.map((t) => t[b]), lanes));
    });
  });
}
