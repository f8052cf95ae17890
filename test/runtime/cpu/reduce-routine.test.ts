// The CPU reduce routine walks axes that merge into [R0, K, R1] directly, and others through an index
// map. Both must equal, bit for bit, the float64 fold of each output's inputs in input order, written
// out here with an odometer over the full index (NaN propagating through max and min).

import { describe, expect, it } from 'vitest';
import { sizeOf } from '../../../core/shape.js';
import type { ReduceFn } from '../../../ops/kernel-ir.js';
import { reduce } from '../../../runtime/cpu/routines/reduce.js';
import { reductionLayout } from '../../../runtime/cpu/routines/reduction-layout.js';
import { randomValues } from '../../helpers/random.js';

function expected(fn: ReduceFn, x: Float64Array, dims: readonly number[], axes: readonly number[]): number[] {
  const keptDims = dims.map((d, i) => (axes.includes(i) ? 1 : d));
  const acc = new Array<number>(sizeOf(keptDims)).fill(fn === 'max' ? -Infinity : fn === 'min' ? Infinity : 0);
  const counts = new Array<number>(acc.length).fill(0);
  const idx = dims.map(() => 0);
  for (let i = 0; i < x.length; i++) {
    let o = 0;
    for (let d = 0; d < dims.length; d++) o = o * keptDims[d] + (axes.includes(d) ? 0 : idx[d]);
    const v = x[i];
    if (fn === 'sumSquare') acc[o] += v * v;
    else if (fn === 'max') acc[o] = Number.isNaN(v) || Number.isNaN(acc[o]) ? NaN : Math.max(acc[o], v);
    else if (fn === 'min') acc[o] = Number.isNaN(v) || Number.isNaN(acc[o]) ? NaN : Math.min(acc[o], v);
    else acc[o] += v;
    counts[o]++;
    for (let d = dims.length - 1; d >= 0 && ++idx[d] === dims[d]; d--) idx[d] = 0;
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
