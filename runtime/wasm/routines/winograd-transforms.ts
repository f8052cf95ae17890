// The Winograd F(m×m, 3×3) transform matrices (Lavin & Gray, "Fast Algorithms for Convolutional Neural
// Networks", CVPR 2016, §4.1–4.2) as rows of integer-weighted terms, for the two variants the wasm
// convolution uses — F(2×2, 3×3) (4×4 windows) and F(4×4, 3×3) (6×6 windows) — and an emitter for
// the 2-D transform X·Z·Xᵀ of a tile held in locals (f32 scalars or f32x4 vectors of four tiles).
// Every 2-D transform is two passes of the 1-D one (first along each row, then along each column),
// always in the same order, so a tile's arithmetic never depends on where or by which thread it is
// computed.

import type { FunctionBuilder, Local } from '../encoder/index.js';

/**
 * One output of a 1-D transform: (Σ coef·x[index]) · scale, summed left to right. Coefficients are
 * small integers (exact in float32); the first one must be positive (the sum starts from it). The
 * scale is 1 or ½ (exact) for F(2×2), and the float32 roundings of ¼, −⅙ and 1/24 for F(4×4)'s G.
 */
export interface TransformRow {
  readonly terms: readonly (readonly [index: number, coef: number])[];
  readonly scale: number;
}

/** One Winograd variant: output tiles of m×m from (m+2)×(m+2) input windows, ξ = (m+2)² products each. */
export interface WinogradVariant {
  /** Module and cache key. */
  readonly name: 'F2' | 'F4';
  /** Output tile side. */
  readonly m: number;
  /** Input window side (m + 2). */
  readonly a: number;
  /** Positions of the transformed tile, a². */
  readonly xi: number;
  /** Bᵀ (a rows over a inputs): input window d to V = Bᵀ d B. */
  readonly input: readonly TransformRow[];
  /** G (a rows over 3 taps): filter g to U = G g Gᵀ. */
  readonly weight: readonly TransformRow[];
  /** Aᵀ (m rows over a products): product tile to the output Y = Aᵀ (U ⊙ V) A. */
  readonly output: readonly TransformRow[];
}

const row = (scale: number, ...terms: [number, number][]): TransformRow => ({ terms, scale: Math.fround(scale) });

/** F(2×2, 3×3): Bᵀ = [[1,0,−1,0], [0,1,1,0], [0,−1,1,0], [0,1,0,−1]], G = [[1,0,0], [½,½,½], [½,−½,½], [0,0,1]], Aᵀ = [[1,1,1,0], [0,1,−1,−1]]. */
export const F2: WinogradVariant = {
  name: 'F2',
  m: 2,
  a: 4,
  xi: 16,
  input: [row(1, [0, 1], [2, -1]), row(1, [1, 1], [2, 1]), row(1, [2, 1], [1, -1]), row(1, [1, 1], [3, -1])],
  weight: [row(1, [0, 1]), row(0.5, [0, 1], [2, 1], [1, 1]), row(0.5, [0, 1], [2, 1], [1, -1]), row(1, [2, 1])],
  output: [row(1, [0, 1], [1, 1], [2, 1]), row(1, [1, 1], [2, -1], [3, -1])],
};

/**
 * F(4×4, 3×3) with the interpolation points 0, ±1, ±2, ∞ (Lavin & Gray §4.2):
 *   Bᵀ = [[4,0,−5,0,1,0], [0,−4,−4,1,1,0], [0,4,−4,−1,1,0], [0,−2,−1,2,1,0], [0,2,−1,−2,1,0], [0,4,0,−5,0,1]]
 *   G  = [[¼,0,0], [−⅙,−⅙,−⅙], [−⅙,⅙,−⅙], [1/24,1/12,⅙], [1/24,−1/12,⅙], [0,0,1]]
 *   Aᵀ = [[1,1,1,1,1,0], [0,1,−1,2,−2,0], [0,1,1,4,4,0], [0,1,−1,8,−8,1]]
 * 36 multiplies per 4×4 outputs and channel (2.25 per output, against F(2×2)'s 4 and direct's 9); its
 * float32 error is larger (the test bounds it). Each row is written with its positive terms first.
 */
export const F4: WinogradVariant = {
  name: 'F4',
  m: 4,
  a: 6,
  xi: 36,
  input: [
    row(1, [0, 4], [4, 1], [2, -5]),
    row(1, [3, 1], [4, 1], [1, -4], [2, -4]),
    row(1, [1, 4], [4, 1], [2, -4], [3, -1]),
    row(1, [3, 2], [4, 1], [1, -2], [2, -1]),
    row(1, [1, 2], [4, 1], [2, -1], [3, -2]),
    row(1, [1, 4], [5, 1], [3, -5]),
  ],
  weight: [row(1 / 4, [0, 1]), row(-1 / 6, [0, 1], [1, 1], [2, 1]), row(-1 / 6, [0, 1], [2, 1], [1, -1]), row(1 / 24, [0, 1], [1, 2], [2, 4]), row(1 / 24, [0, 1], [2, 4], [1, -2]), row(1, [2, 1])],
  output: [row(1, [0, 1], [1, 1], [2, 1], [3, 1], [4, 1]), row(1, [1, 1], [3, 2], [2, -1], [4, -2]), row(1, [1, 1], [2, 1], [3, 4], [4, 4]), row(1, [1, 1], [3, 8], [5, 1], [2, -1], [4, -8])],
};

/** Float64 Σ over a 1-D transform (for tests: the exact rows the code generator uses). */
export function apply1d(rows: readonly TransformRow[], x: readonly number[]): number[] {
  return rows.map((r) => r.scale * r.terms.reduce((s, [i, coef]) => s + coef * x[i], 0));
}

type Lanes = 'f32' | 'v128';

/** Push (Σ coef·x[index]) · scale of one transform row. */
function emitRow(f: FunctionBuilder, r: TransformRow, x: readonly Local[], lanes: Lanes): void {
  const mul = (c: number): void => {
    if (lanes === 'v128') f.f32x4(c, c, c, c).simd('f32x4.mul');
    else f.f32(c).op('f32.mul');
  };
  r.terms.forEach(([i, coef], k) => {
    if (k === 0 && !(coef > 0)) throw new Error('a transform row must start with a positive term');
    f.get(x[i]);
    const magnitude = Math.abs(coef);
    if (magnitude !== 1) mul(magnitude);
    if (k === 0) return;
    if (lanes === 'v128') f.simd(coef > 0 ? 'f32x4.add' : 'f32x4.sub');
    else f.op(coef > 0 ? 'f32.add' : 'f32.sub');
  });
  if (r.scale !== 1) mul(r.scale);
}

/**
 * out[a][b] = Σ_i Σ_j X[a][i]·z[i][j]·X[b][j] for the tile z (n×n), X given by `rows`. `zRow(i)` emits
 * whatever puts row i of z into locals and returns them (called once per row, in order, so the row pass
 * of row i runs right after its loads); `tmp` holds the row pass (n × rows.length locals);
 * `sink(a, b, push)` emits the use of each output, calling `push()` where the value goes on the stack
 * (after an address, say).
 */
export function emitTransform2d(
  f: FunctionBuilder,
  rows: readonly TransformRow[],
  n: number,
  zRow: (i: number) => readonly Local[],
  tmp: readonly (readonly Local[])[],
  lanes: Lanes,
  sink: (a: number, b: number, push: () => void) => void,
): void {
  for (let i = 0; i < n; i++) {
    const zr = zRow(i);
    rows.forEach((r, b) => {
      emitRow(f, r, zr, lanes);
      f.set(tmp[i][b]);
    });
  }
  rows.forEach((r, a) => {
    rows.forEach((_, b) => {
      sink(a, b, () => emitRow(f, r, tmp.slice(0, n).map((t) => t[b]), lanes));
    });
  });
}
