// ONNX BatchNormalization op: its float64 reference against the spec formula written out here, the
// CPU backend against the reference (inference and training_mode=1, ranks 2–5, dtypes, offsets),
// and typed errors for bad inputs and attributes.

import { describe, expect, it } from 'vitest';
import type { DType } from '../../core/dtype.js';
import { ArgumentError, DTypeError, ShapeError } from '../../core/errors.js';
import { sizeOf } from '../../core/shape.js';
import { hostTensor, toFloat64 } from '../../core/tensor.js';
import { expectClose, toleranceFor } from '../helpers/compare.js';
import { randomTensor } from '../helpers/random.js';
import { runSingleNode, singleNodeGraph } from '../helpers/single-node.js';

/** The ONNX spec formula, per element, with explicit channel indexing (independent of ops/). */
function specBn(x: Float64Array, dims: number[], s: Float64Array, b: Float64Array, m: Float64Array, v: Float64Array, eps: number, momentum: number, training: boolean) {
  const c = dims[1];
  const inner = sizeOf(dims.slice(2));
  const ch = (i: number): number => Math.floor(i / inner) % c;
  const cnt = x.length / c;
  const mean = new Float64Array(c);
  x.forEach((val, i) => (mean[ch(i)] += val / cnt));
  const varr = new Float64Array(c);
  x.forEach((val, i) => (varr[ch(i)] += (val - mean[ch(i)]) ** 2 / cnt));
  const useM = training ? mean : m;
  const useV = training ? varr : v;
  const y = x.map((val, i) => (s[ch(i)] * (val - useM[ch(i)])) / Math.sqrt(useV[ch(i)] + eps) + b[ch(i)]);
  return { y, runningMean: m.map((mm, k) => mm * momentum + mean[k] * (1 - momentum)), runningVar: v.map((vv, k) => vv * momentum + varr[k] * (1 - momentum)) };
}

function params(c: number, dtype: DType, seed: number) {
  return {
    s: randomTensor(dtype, [c], { seed, low: 0.5, high: 2 }),
    b: randomTensor(dtype, [c], { seed: seed + 1, low: -1, high: 1 }),
    m: randomTensor(dtype, [c], { seed: seed + 2, low: -0.5, high: 0.5 }),
    v: randomTensor(dtype, [c], { seed: seed + 3, low: 0.5, high: 2 }),
  };
}

describe('BatchNormalization reference vs the spec formula', () => {
  for (const training of [false, true]) {
    it(`training_mode=${training ? 1 : 0}`, () => {
      const dims = [2, 3, 2, 2];
      const x = randomTensor('float64', dims, { seed: 4 });
      const p = params(3, 'float64', 10);
      const res = runSingleNode('BatchNormalization', [x, p.s, p.b, p.m, p.v], { epsilon: 1e-3, momentum: 0.7, training_mode: training ? 1 : 0 }, training ? 3 : 1);
      const want = specBn(toFloat64(x).data, dims, toFloat64(p.s).data, toFloat64(p.b).data, toFloat64(p.m).data, toFloat64(p.v).data, 1e-3, 0.7, training);
      const tight = { rtol: 1e-12, atol: 1e-12 };
      expectClose(res.reference[0], { dims, data: want.y }, tight, 'y');
      if (training) {
        expectClose(res.reference[1], { dims: [3], data: want.runningMean }, tight, 'running_mean');
        expectClose(res.reference[2], { dims: [3], data: want.runningVar }, tight, 'running_var');
      }
    });
  }
});

describe('BatchNormalization CPU vs reference', () => {
  const shapes = [[4, 3], [2, 3, 5], [2, 3, 4, 5], [2, 3, 2, 3, 4], [1, 2, 3, 3]];
  for (const dims of shapes) {
    for (const dtype of ['float32', 'float64', 'float16'] as const) {
      for (const training of [false, true]) {
        it(`[${dims}] ${dtype} training=${training}`, () => {
          const x = randomTensor(dtype, dims, { seed: dims.length, low: -3, high: 3 });
          const p = params(dims[1], dtype === 'float16' ? 'float32' : dtype, 20);
          const outs = training ? 3 : 1;
          const res = runSingleNode('BatchNormalization', [x, p.s, p.b, p.m, p.v], { training_mode: training ? 1 : 0 }, outs);
          expectClose(res.kiln[0], res.reference[0], toleranceFor(dtype), 'y');
          for (let k = 1; k < outs; k++) expectClose(res.kiln[k], res.reference[k], toleranceFor(res.kiln[k].dtype), `output ${k}`);
        });
      }
    }
  }

  it('training statistics on inputs offset by 1e4 (variance right to 1e-4 relative)', () => {
    const dims = [8, 4, 6, 6];
    const x = randomTensor('float32', dims, { seed: 9, offset: 1e4 });
    const p = params(4, 'float32', 30);
    const res = runSingleNode('BatchNormalization', [x, p.s, p.b, p.m, p.v], { training_mode: 1, momentum: 0 }, 3);
    expectClose(res.kiln[2], res.reference[2], { rtol: 1e-4, atol: 0 }, 'running_var (= batch var)');
    expectClose(res.kiln[0], res.reference[0], { rtol: 1e-5, atol: 2e-5 }, 'y');
  });

  it('opset 15 type mix: float16 X with float32 statistics', () => {
    const x = randomTensor('float16', [2, 3, 4], { seed: 2 });
    const p = params(3, 'float32', 40);
    const res = runSingleNode('BatchNormalization', [x, p.s, p.b, p.m, p.v], { training_mode: 1 }, 3);
    expect(res.kiln.map((t) => t.dtype)).toEqual(['float16', 'float32', 'float32']);
    expectClose(res.kiln[0], res.reference[0], toleranceFor('float16'), 'y');
    expectClose(res.kiln[1], res.reference[1], toleranceFor('float32'), 'running_mean');
  });
});

describe('BatchNormalization bad input', () => {
  const x = randomTensor('float32', [2, 3, 4]);
  const p = params(3, 'float32', 50);
  const build = (inputs: Parameters<typeof singleNodeGraph<'BatchNormalization'>>[1], attrs = {}, outputs = 1) => () => singleNodeGraph('BatchNormalization', inputs, attrs, outputs);
  it('wrong parameter length', () => {
    const bad = randomTensor('float32', [4]);
    expect(build([x, bad, p.b, p.m, p.v])).toThrow(ShapeError);
    expect(build([x, bad, p.b, p.m, p.v])).toThrow(/BatchNormalization 'batchnormalization_node': input 'scale' expected shape \[3\], got \[4\]/);
  });
  it('integer input', () => {
    expect(build([hostTensor('int32', [2, 3]), p.s, p.b, p.m, p.v])).toThrow(DTypeError);
    expect(build([hostTensor('int32', [2, 3]), p.s, p.b, p.m, p.v])).toThrow(/input 'X' expected dtype one of float32\|float64\|float16\|bfloat16, got int32/);
  });
  it('rank 1 input (no channel axis)', () => {
    expect(build([randomTensor('float32', [3]), p.s, p.b, p.m, p.v])).toThrow(/input 'X' expected shape rank >= 2, got \[3\] \(rank 1\)/);
  });
  it('negative epsilon, momentum outside [0,1], bad training_mode', () => {
    expect(build([x, p.s, p.b, p.m, p.v], { epsilon: -1 })).toThrow(ArgumentError);
    expect(build([x, p.s, p.b, p.m, p.v], { epsilon: -1 })).toThrow(/argument 'epsilon' expected a finite number in \[0, Infinity\], got -1/);
    expect(build([x, p.s, p.b, p.m, p.v], { momentum: 2 })).toThrow(/argument 'momentum' expected a finite number in \[0, 1\], got 2/);
    expect(build([x, p.s, p.b, p.m, p.v], { training_mode: 2 })).toThrow(/'training_mode' expected 0 or 1, got 2/);
  });
  it('scale and B must share a type (T1)', () => {
    expect(build([x, p.s, randomTensor('float64', [3]), p.m, p.v])).toThrow(/argument 'B' expected dtype float32 \(same as 'scale', T1\), got float64/);
  });
});
