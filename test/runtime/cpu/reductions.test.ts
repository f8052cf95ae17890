// The CPU reduce and moments routines walk axes that merge into [R0, K, R1] directly, and others
// through an index map. Both must equal, bit for bit, the float64 fold of each output's inputs in
// input order, written out here over an odometer's output index (test/helpers/kept-index.ts; NaN
// propagating through max and min; moments two-pass, weighted or not).

import { describe, expect, it } from 'vitest';
import { sizeOf } from '../../../core/shape.js';
import type { ReduceFn } from '../../../ops/kernel-ir.js';
import { moments } from '../../../runtime/cpu/routines/moments.js';
import { reduce } from '../../../runtime/cpu/routines/reduce.js';
import { reductionLayout } from '../../../runtime/cpu/routines/reduction-layout.js';
import { outputIndexOf } from '../../helpers/kept-index.js';
import { randomValues } from '../../helpers/random.js';

function expected(fn: ReduceFn, x: Float64Array, dims: readonly number[], axes: readonly number[]): number[] {
  const { index, outputs } = outputIndexOf(dims, axes);
  const acc = new Array<number>(outputs).fill(fn === 'max' ? -Infinity : fn === 'min' ? Infinity : 0);
  const counts = new Array<number>(outputs).fill(0);
  for (let i = 0; i < x.length; i++) {
    const o = index[i];
    const v = x[i];
    if (fn === 'sumSquare') acc[o] += v * v;
    else if (fn === 'max') acc[o] = Number.isNaN(v) || Number.isNaN(acc[o]) ? NaN : Math.max(acc[o], v);
    else if (fn === 'min') acc[o] = Number.isNaN(v) || Number.isNaN(acc[o]) ? NaN : Math.min(acc[o], v);
    else acc[o] += v;
    counts[o]++;
  }
  return acc.map((a, o) => (fn === 'mean' ? a / counts[o] : a));
}

const SHAPES: readonly [dims: number[], axes: number[], merges: boolean][] = [
  [[1, 512, 7, 7], [2, 3], true],
  [[3, 5, 4, 6], [0, 2, 3], true],
  [[4, 1, 6, 3], [0, 1], true],
  [[2, 3, 1, 4, 3], [0, 2, 4], true],
  [[5, 8], [0, 1], true],
  [[2, 3, 4, 5], [1, 3], false],
  [[3, 4, 5], [0, 2], true],
  [[3, 4, 5], [1], false],
  [[3, 4, 5], [0], true],
  [[2, 3, 4, 5], [0, 2], false],
];

describe('CPU reduce routine', () => {
  it.each(['sum', 'mean', 'sumSquare', 'max', 'min'] as const)('%s: the fold of each output in input order, bit for bit', (fn) => {
    for (const [dims, axes, merges] of SHAPES) {
      expect(reductionLayout(dims, axes) !== undefined, `${dims} ${axes} merges`).toBe(merges);
      // Magnitudes from 1e-9 to 1e9, so a different summation order changes the rounding.
      const x = randomValues(sizeOf(dims), { seed: 11, low: -3, high: 3 }).map((v, i) => v * 10 ** (((i * 5) % 7) * 3 - 9));
      x[7] = NaN;
      x[x.length - 2] = 1e300;
      const out = new Float64Array(sizeOf(dims.map((d, i) => (axes.includes(i) ? 1 : d))));
      reduce({ routine: 'reduce', fn, inDims: dims, axes }, [x], [out]);
      expect(Array.from(out), `${fn} ${dims} over ${axes}`).toEqual(expected(fn, x, dims, axes));
    }
  });
});

/** Two-pass weighted moments in input order: mean = Σw·x / (Σw + ε), variance = Σw·(x − mean)² / (Σw + ε). */
function expectedMoments(x: Float64Array, w: Float64Array | undefined, eps: number, dims: readonly number[], axes: readonly number[]): [number[], number[]] {
  const { index, outputs } = outputIndexOf(dims, axes);
  const sw = new Array<number>(outputs).fill(0);
  const sum = new Array<number>(outputs).fill(0);
  for (let i = 0; i < x.length; i++) {
    sw[index[i]] += w ? w[i] : 1;
    sum[index[i]] += w ? w[i] * x[i] : x[i];
  }
  const mean = sum.map((s, o) => s / (sw[o] + eps));
  const sq = new Array<number>(outputs).fill(0);
  for (let i = 0; i < x.length; i++) {
    const d = x[i] - mean[index[i]];
    sq[index[i]] += w ? w[i] * d * d : d * d;
  }
  return [mean, sq.map((q, o) => q / (sw[o] + eps))];
}

describe('CPU moments routine', () => {
  it.each([false, true])('weighted %s: two-pass mean and variance in input order, bit for bit', (weighted) => {
    for (const [dims, axes] of SHAPES) {
      // Offset data (1e4 + spread), so the second pass's order matters to the last bit.
      const x = randomValues(sizeOf(dims), { seed: 12, low: -3, high: 3 }).map((v, i) => 1e4 + v * 10 ** (((i * 3) % 5) - 2));
      const w = weighted ? randomValues(x.length, { seed: 13, low: 0, high: 2 }) : undefined;
      const eps = weighted ? 1e-3 : 0;
      const k = sizeOf(dims.map((d, i) => (axes.includes(i) ? 1 : d)));
      const mean = new Float64Array(k);
      const variance = new Float64Array(k);
      moments({ routine: 'moments', inDims: dims, axes, weighted, weightEpsilon: eps }, w ? [x, w] : [x], [mean, variance]);
      const [wantMean, wantVar] = expectedMoments(x, w, eps, dims, axes);
      expect(Array.from(mean), `mean ${dims} over ${axes}`).toEqual(wantMean);
      expect(Array.from(variance), `variance ${dims} over ${axes}`).toEqual(wantVar);
    }
  });
});
