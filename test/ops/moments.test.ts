// ai.kiln::Moments: reference vs hand formulas (plain and weighted), CPU vs reference over axes,
// keepdims and dtypes, large offsets, and typed errors.

import { describe, expect, it } from 'vitest';
import { ArgumentError, ShapeError } from '../../core/errors.js';
import { fromFloat64 } from '../../core/tensor.js';
import { expectClose, toleranceFor } from '../helpers/compare.js';
import { randomTensor } from '../helpers/random.js';
import { runSingleNode, singleNodeGraph } from '../helpers/single-node.js';

describe('Moments reference', () => {
  it('plain mean and population variance by hand', () => {
    const x = fromFloat64('float64', [2, 3], [1, 2, 3, 4, 6, 8]);
    const res = runSingleNode('Moments', [x], { axes: [1], keepdims: 0 }, 2);
    expect([...res.reference[0].data]).toEqual([2, 6]);
    expect([...res.reference[1].data]).toEqual([2 / 3, 8 / 3]);
  });
  it('weighted with epsilon by hand', () => {
    const x = fromFloat64('float64', [4], [1, 2, 3, 10]);
    const w = fromFloat64('float64', [4], [1, 1, 1, 0]);
    const res = runSingleNode('Moments', [x, w], { axes: [0], keepdims: 1, weight_epsilon: 1e-7 }, 2);
    const mean = 6 / (3 + 1e-7);
    expect(res.reference[0].data[0]).toBeCloseTo(mean, 14);
    expect(res.reference[1].data[0]).toBeCloseTo(((1 - mean) ** 2 + (2 - mean) ** 2 + (3 - mean) ** 2) / (3 + 1e-7), 14);
  });
});

describe('Moments CPU vs reference', () => {
  const cases: { dims: number[]; axes: number[] }[] = [
    { dims: [5], axes: [0] },
    { dims: [4, 3], axes: [0] },
    { dims: [2, 3, 4], axes: [0, 2] },
    { dims: [2, 3, 4, 5], axes: [-1, 0, 1] },
    { dims: [2, 3, 2, 2, 3], axes: [1, 3] },
  ];
  for (const { dims, axes } of cases) {
    for (const dtype of ['float32', 'float16', 'float64'] as const) {
      for (const keepdims of [0, 1]) {
        it(`[${dims}] axes [${axes}] ${dtype} keepdims=${keepdims}`, () => {
          const x = randomTensor(dtype, dims, { seed: 3, offset: dtype === 'float16' ? 0 : 1e4 });
          const res = runSingleNode('Moments', [x], { axes, keepdims }, 2);
          expect(res.kiln[0].dtype).toBe(dtype === 'float16' ? 'float32' : dtype);
          expectClose(res.kiln[0], res.reference[0], toleranceFor(res.kiln[0].dtype), 'mean');
          expectClose(res.kiln[1], res.reference[1], { rtol: dtype === 'float64' ? 1e-9 : 1e-4, atol: 1e-7 }, 'variance');
        });
      }
    }
  }
  it('broadcast weights', () => {
    const x = randomTensor('float32', [3, 4, 2], { seed: 5 });
    const w = fromFloat64('float32', [3, 4, 1], [1, 0, 1, 1, 0, 1, 1, 1, 1, 0, 0, 1]);
    const res = runSingleNode('Moments', [x, w], { axes: [0, 1], keepdims: 0, weight_epsilon: 1e-7 }, 2);
    expectClose(res.kiln[0], res.reference[0], toleranceFor('float32'), 'mean');
    expectClose(res.kiln[1], res.reference[1], toleranceFor('float32'), 'variance');
  });
});

describe('Moments bad input', () => {
  it('axis out of range and weights that do not broadcast', () => {
    const x = randomTensor('float32', [2, 3]);
    expect(() => singleNodeGraph('Moments', [x], { axes: [2] }, 2)).toThrow(ArgumentError);
    expect(() => singleNodeGraph('Moments', [x], { axes: [2] }, 2)).toThrow(/Moments 'moments_node': argument 'axes' expected an integer in \[-2, 1\], got 2/);
    expect(() => singleNodeGraph('Moments', [x, randomTensor('float32', [4])], { axes: [0] }, 2)).toThrow(ShapeError);
  });
});
