// The Winograd F(m×m, 3×3) transform matrices (Lavin & Gray, "Fast Algorithms for Convolutional Neural
// Networks", CVPR 2016, §4.1–4.2) as rows of integer-weighted terms, for the two variants the wasm
// convolution uses — F(2×2, 3×3) (4×4 windows) and F(4×4, 3×3) (6×6 windows) — and an emitter for
// the 2-D transform X·Z·Xᵀ of a tile held in locals (f32 scalars or f32x4 vectors of four tiles).
// Every 2-D transform is two passes of the 1-D one (first along each row, then along each column),
// always in the same order, so a tile's arithmetic never depends on where or by which thread it is
// computed.

import type { FunctionBuilder, Local } from '../encoder/index.js';

/**
 * One step of a 1-D transform: (Σ coef·v[ref]) · scale, summed left to right, where v is the inputs
 * followed by the results of the earlier steps (ref < n: input ref; ref ≥ n: step ref − n). The
 * coefficients are small integers (exact in float32) and the first one is positive (the sum starts
 * from it); the scale is 1, ½, 2 (exact) or the float32 roundings of ¼, −⅙ and 1/24 (F(4×4)'s G).
 */
export interface TransformStep {
  readonly terms: readonly (readonly [ref: number, coef: number])[];
  readonly scale: number;
}

/** A 1-D transform of n inputs as a straight-line program: steps (sharing partial sums), then outputs as refs. */
export interface Transform1d {
  readonly n: number;
  readonly steps: readonly TransformStep[];
  readonly outputs: readonly number[];
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
  /** Bᵀ (a outputs of a inputs): input window d to V = Bᵀ d B. */
  readonly input: Transform1d;
  /** G (a outputs of 3 taps): filter g to U = G g Gᵀ. */
  readonly weight: Transform1d;
  /** Aᵀ (m outputs of a products): product tile to the output Y = Aᵀ (U ⊙ V) A. */
  readonly output: Transform1d;
}

const step = (scale: number, ...terms: [number, number][]): TransformStep => ({ terms, scale: Math.fround(scale) });

/** A program whose steps are its outputs, in order (each output its own sum). */
const rows = (n: number, ...steps: TransformStep[]): Transform1d => ({ n, steps, outputs: steps.map((_, i) => n + i) });

/**
 * F(2×2, 3×3): Bᵀ = [[1,0,−1,0], [0,1,1,0], [0,−1,1,0], [0,1,0,−1]], G = [[1,0,0], [½,½,½], [½,−½,½], [0,0,1]],
 * Aᵀ = [[1,1,1,0], [0,1,−1,−1]]. G's rows 1 and 2 share g0 + g2.
 */
export const F2: WinogradVariant = {
  name: 'F2',
  m: 2,
  a: 4,
  xi: 16,
  input: rows(4, step(1, [0, 1], [2, -1]), step(1, [1, 1], [2, 1]), step(1, [2, 1], [1, -1]), step(1, [1, 1], [3, -1])),
  weight: { n: 3, steps: [step(1, [0, 1], [2, 1]), step(0.5, [3, 1], [1, 1]), step(0.5, [3, 1], [1, -1])], outputs: [0, 4, 5, 2] },
  output: rows(4, step(1, [0, 1], [1, 1], [2, 1]), step(1, [1, 1], [2, -1], [3, -1])),
};

/**
 * F(4×4, 3×3) with the interpolation points 0, ±1, ±2, ∞ (Lavin & Gray §4.2):
 *   Bᵀ = [[4,0,−5,0,1,0], [0,−4,−4,1,1,0], [0,4,−4,−1,1,0], [0,−2,−1,2,1,0], [0,2,−1,−2,1,0], [0,4,0,−5,0,1]]
 *   G  = [[¼,0,0], [−⅙,−⅙,−⅙], [−⅙,⅙,−⅙], [1/24,1/12,⅙], [1/24,−1/12,⅙], [0,0,1]]
 *   Aᵀ = [[1,1,1,1,1,0], [0,1,−1,2,−2,0], [0,1,1,4,4,0], [0,1,−1,8,−8,1]]
 * 36 multiplies per 4×4 outputs and channel (2.25 per output, against F(2×2)'s 4 and direct's 9); its
 * float32 error is larger (the test bounds it). The programs share the partial sums the rows have in
 * common: Bᵀ rows 1–4 pair x1 ± x2, x3 ± x4, x4 − x2 and x1 − x3 (21 operations instead of 28), Aᵀ
 * x1 ± x2 and x3 ± x4 (13 instead of 20), G g0 + g2 and g0 + 4·g2.
 */
export const F4: WinogradVariant = {
  name: 'F4',
  m: 4,
  a: 6,
  xi: 36,
  input: {
    n: 6,
    steps: [
      /* 6  r0 */ step(1, [0, 4], [4, 1], [2, -5]),
      /* 7     */ step(1, [3, 1], [4, 1]),
      /* 8     */ step(1, [1, 1], [2, 1]),
      /* 9  r1 */ step(1, [7, 1], [8, -4]),
      /* 10    */ step(1, [4, 1], [3, -1]),
      /* 11    */ step(1, [1, 1], [2, -1]),
      /* 12 r2 */ step(1, [10, 1], [11, 4]),
      /* 13    */ step(1, [4, 1], [2, -1]),
      /* 14    */ step(2, [1, 1], [3, -1]),
      /* 15 r3 */ step(1, [13, 1], [14, -1]),
      /* 16 r4 */ step(1, [13, 1], [14, 1]),
      /* 17 r5 */ step(1, [1, 4], [5, 1], [3, -5]),
    ],
    outputs: [6, 9, 12, 15, 16, 17],
  },
  weight: {
    n: 3,
    steps: [
      /* 3  r0 */ step(1 / 4, [0, 1]),
      /* 4     */ step(1, [0, 1], [2, 1]),
      /* 5  r1 */ step(-1 / 6, [4, 1], [1, 1]),
      /* 6  r2 */ step(-1 / 6, [4, 1], [1, -1]),
      /* 7     */ step(1, [0, 1], [2, 4]),
      /* 8  r3 */ step(1 / 24, [7, 1], [1, 2]),
      /* 9  r4 */ step(1 / 24, [7, 1], [1, -2]),
    ],
    outputs: [3, 5, 6, 8, 9, 2],
  },
  output: {
    n: 6,
    steps: [
      /* 6     */ step(1, [1, 1], [2, 1]),
      /* 7     */ step(1, [1, 1], [2, -1]),
      /* 8     */ step(1, [3, 1], [4, 1]),
      /* 9     */ step(1, [3, 1], [4, -1]),
      /* 10 r0 */ step(1, [0, 1], [6, 1], [8, 1]),
      /* 11 r1 */ step(1, [7, 1], [9, 2]),
      /* 12 r2 */ step(1, [6, 1], [8, 4]),
      /* 13 r3 */ step(1, [7, 1], [9, 8], [5, 1]),
    ],
    outputs: [10, 11, 12, 13],
  },
};

/** The 1-D transform in float64 (for tests: the exact programs the code generator uses). */
export function apply1d(t: Transform1d, x: readonly number[]): number[] {
  const v = x.slice(0, t.n);
  for (const st of t.steps) v.push(st.scale * st.terms.reduce((s, [ref, coef]) => s + coef * v[ref], 0));
  return t.outputs.map((ref) => v[ref]);
}

type Lanes = 'f32' | 'v128';

/** Push (Σ coef·v[ref]) · scale of one step. */
function emitStep(f: FunctionBuilder, st: TransformStep, v: readonly Local[], lanes: Lanes): void {
  const mul = (c: number): void => {
    if (lanes === 'v128') f.f32x4(c, c, c, c).simd('f32x4.mul');
    else f.f32(c).op('f32.mul');
  };
  st.terms.forEach(([ref, coef], k) => {
    if (k === 0 && !(coef > 0)) throw new Error('a transform step must start with a positive term');
    f.get(v[ref]);
    const magnitude = Math.abs(coef);
    if (magnitude !== 1) mul(magnitude);
    if (k === 0) return;
    if (lanes === 'v128') f.simd(coef > 0 ? 'f32x4.add' : 'f32x4.sub');
    else f.op(coef > 0 ? 'f32.add' : 'f32.sub');
  });
  if (st.scale !== 1) mul(st.scale);
}

/** Run `t` on the locals x, its steps into `scratch`; returns the locals holding the outputs. */
function emitTransform1d(f: FunctionBuilder, t: Transform1d, x: readonly Local[], scratch: readonly Local[], lanes: Lanes): Local[] {
  const v = [...x.slice(0, t.n), ...scratch.slice(0, t.steps.length)];
  t.steps.forEach((st, i) => {
    emitStep(f, st, v, lanes);
    f.set(scratch[i]);
  });
  return t.outputs.map((ref) => v[ref]);
}

/**
 * out[a][b] = Σ_i Σ_j X[a][i]·z[i][j]·X[b][j] for the tile z (n×n), X the transform `t`. `zRow(i)`
 * emits whatever puts row i of z into locals and returns them (called once per row, in order, so the
 * row pass of row i runs right after its loads); `tmp` holds the row pass (n × outputs locals);
 * `sink(a, b, push)` emits the use of each output, calling `push()` where the value goes on the stack
 * (after an address, say).
 */
export function emitTransform2d(
  f: FunctionBuilder,
  t: Transform1d,
  zRow: (i: number) => readonly Local[],
  tmp: readonly (readonly Local[])[],
  lanes: Lanes,
  sink: (a: number, b: number, push: () => void) => void,
): void {
  const scratch = t.steps.map(() => f.local(lanes));
  for (let i = 0; i < t.n; i++) {
    const out = emitTransform1d(f, t, zRow(i), scratch, lanes);
    out.forEach((o, b) => {
      f.get(o).set(tmp[i][b]);
    });
  }
  t.outputs.forEach((_, b) => {
    const out = emitTransform1d(f, t, tmp.slice(0, t.n).map((r) => r[b]), scratch, lanes);
    out.forEach((o, a) => sink(a, b, () => void f.get(o)));
  });
}
