// Axis reductions (sum, mean, max, min, sum of squares) with float64 accumulation in input order.
// Axes that merge into [R0, K, R1] (reduction-layout.ts: every global pool, a channel's statistics)
// are walked directly; others through a per-element index map. Both visit each output's inputs in
// input order, so the results are the same.

import type { ReduceFn } from '../../../ops/kernel-ir.js';
import { keptIndexMap } from './moments.js';
import { reductionLayout } from './reduction-layout.js';
import type { RoutineImpl } from './types.js';

const INIT: { readonly [F in ReduceFn]: number } = { sum: 0, mean: 0, sumSquare: 0, max: -Infinity, min: Infinity };

type Fold = (acc: number, v: number) => number;

const add: Fold = (a, v) => a + v;

/** One step of each reduction; max and min propagate NaN (comparisons with NaN are false). */
const FOLD: { readonly [F in ReduceFn]: Fold } = {
  sum: add,
  mean: add,
  sumSquare: (a, v) => a + v * v,
  max: (a, v) => (v > a || v !== v ? v : a),
  min: (a, v) => (v < a || v !== v ? v : a),
};

type Data = ArrayLike<number>;

/** acc[c] folds x[(a·K + c)·R1 + b] for a < R0, b < R1, in that (input) order. */
function foldLayout(x: Data, acc: Float64Array, r0: number, k: number, r1: number, fold: Fold): void {
  for (let a = 0; a < r0; a++) {
    for (let c = 0; c < k; c++) {
      let s = acc[c];
      const i0 = (a * k + c) * r1;
      if (fold === add) for (let b = 0; b < r1; b++) s += x[i0 + b];
      else for (let b = 0; b < r1; b++) s = fold(s, x[i0 + b]);
      acc[c] = s;
    }
  }
}

function foldMapped(x: Data, acc: Float64Array, map: Int32Array, fold: Fold): void {
  for (let i = 0; i < x.length; i++) acc[map[i]] = fold(acc[map[i]], x[i]);
}

export const reduce: RoutineImpl<'reduce'> = (call, inputs, outputs) => {
  const x = inputs[0];
  const out = outputs[0];
  const fold = FOLD[call.fn];
  const layout = reductionLayout(call.inDims, call.axes);
  let acc: Float64Array;
  if (layout !== undefined) {
    acc = new Float64Array(layout.k).fill(INIT[call.fn]);
    foldLayout(x, acc, layout.r0, layout.k, layout.r1, fold);
  } else {
    const { map, keptSize } = keptIndexMap(call.inDims, call.axes);
    acc = new Float64Array(keptSize).fill(INIT[call.fn]);
    foldMapped(x, acc, map, fold);
  }
  const count = acc.length === 0 ? 0 : x.length / acc.length;
  for (let o = 0; o < acc.length; o++) out[o] = call.fn === 'mean' ? acc[o] / count : acc[o];
};
