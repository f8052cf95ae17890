// Keras-style BatchNormalization layer against the independent float64 Keras oracle
// (test/helpers/keras-bn-reference.ts): every axis and rank, center/scale, training and inference,
// masks, float16, edge statistics, initializers, constraints, regularizers, config, and bad input.

import { Tensor } from 'onnxruntime-common';
import { describe, expect, it } from 'vitest';
import { ArgumentError, DTypeError, ShapeError } from '../../core/errors.js';
import { floatToHalf, halfToFloat } from '../../core/half.js';
import { sizeOf } from '../../core/shape.js';
import { BatchNormalization, type BatchNormalizationArgs } from '../../models/layers/batch-normalization.js';
import { expectClose } from '../helpers/compare.js';
import { kerasBatchNorm } from '../helpers/keras-bn-reference.js';
import { mulberry32, randomValues } from '../helpers/random.js';

const F32 = { rtol: 1e-5, atol: 1e-5 };

function f32Tensor(values: ArrayLike<number>, dims: readonly number[]): Tensor {
  return new Tensor('float32', Float32Array.from(values), [...dims]);
}

function f64Of(t: Tensor): Float64Array {
  return Float64Array.from(t.data as Float32Array);
}

/** Give gamma/beta/moving stats distinct random values so every term of the formula matters. */
function randomizeWeights(layer: BatchNormalization, seed: number): void {
  const rnd = mulberry32(seed);
  const c = layer.movingMean!.value.dims[0];
  const vec = (lo: number, hi: number): Tensor => f32Tensor(Array.from({ length: c }, () => lo + (hi - lo) * rnd()), [c]);
  const ws: Tensor[] = [];
  if (layer.scale) ws.push(vec(0.5, 2));
  if (layer.center) ws.push(vec(-1, 1));
  ws.push(vec(-0.5, 0.5), vec(0.5, 3));
  layer.setWeights(ws);
}

interface Run {
  readonly layer: BatchNormalization;
  readonly y: Tensor;
  readonly before: Float64Array[];
}

function runLayer(args: BatchNormalizationArgs, dims: readonly number[], x: Float64Array, training: boolean, mask?: Tensor): Run {
  const layer = new BatchNormalization(args);
  layer.build([dims]);
  randomizeWeights(layer, 7);
  const before = layer.getWeights().map(f64Of);
  const y = layer.call(f32Tensor(x, dims), { training, mask });
  return { layer, y, before };
}

function oracleFor(run: Run, dims: readonly number[], x: Float64Array, training: boolean, mask?: Float64Array) {
  const l = run.layer;
  const w = [...run.before];
  const gamma = l.scale ? w.shift() : undefined;
  const beta = l.center ? w.shift() : undefined;
  return kerasBatchNorm({
    x: Float64Array.from(Float32Array.from(x)),
    dims, axis: l.axis, epsilon: l.epsilon, momentum: l.momentum, gamma, beta,
    movingMean: w[0], movingVariance: w[1], training, mask,
  });
}

function expectMoving(layer: BatchNormalization, mean: Float64Array, variance: Float64Array, tol = F32): void {
  const w = layer.getWeights();
  const n = w.length;
  expectClose({ dims: [mean.length], data: f64Of(w[n - 2]) }, { dims: [mean.length], data: mean }, tol, 'moving_mean');
  expectClose({ dims: [variance.length], data: f64Of(w[n - 1]) }, { dims: [variance.length], data: variance }, tol, 'moving_variance');
}

const CASES: { dims: number[]; axis: number }[] = [
  { dims: [6], axis: -1 },
  { dims: [6], axis: 0 },
  { dims: [5, 4], axis: -1 },
  { dims: [5, 4], axis: 1 },
  { dims: [5, 4], axis: 0 },
  { dims: [3, 4, 5], axis: -1 },
  { dims: [3, 4, 5], axis: 1 },
  { dims: [3, 4, 5], axis: 2 },
  { dims: [3, 4, 5], axis: 0 },
  { dims: [2, 3, 4, 5], axis: -1 },
  { dims: [2, 3, 4, 5], axis: 1 },
  { dims: [2, 3, 4, 5], axis: 2 },
  { dims: [2, 3, 4, 5], axis: 0 },
  { dims: [2, 3, 2, 3, 4], axis: -1 },
  { dims: [2, 3, 2, 3, 4], axis: 1 },
  { dims: [2, 3, 2, 3, 4], axis: 2 },
  { dims: [2, 3, 2, 3, 4], axis: 0 },
  { dims: [2, 2, 2, 2, 3, 2], axis: -3 },
];

describe('BatchNormalization layer vs the float64 Keras oracle', () => {
  for (const { dims, axis } of CASES) {
    for (const [center, scale] of [[true, true], [false, true], [true, false], [false, false]] as const) {
      for (const training of [false, true]) {
        it(`dims [${dims}] axis ${axis} center=${center} scale=${scale} training=${training}`, () => {
          const x = randomValues(sizeOf(dims), { seed: dims.length * 31 + axis, low: -3, high: 5 });
          const run = runLayer({ axis, center, scale, momentum: 0.9, epsilon: 1e-3 }, dims, x, training);
          const ref = oracleFor(run, dims, x, training);
          expectClose({ dims, data: f64Of(run.y) }, { dims, data: ref.y }, F32, 'y');
          expectMoving(run.layer, ref.movingMean, ref.movingVariance);
        });
      }
    }
  }
});

describe('BatchNormalization modes', () => {
  it('trainable=false forces inference behaviour and leaves moving statistics alone', () => {
    const dims = [4, 3];
    const x = randomValues(12, { seed: 3 });
    const run = runLayer({ trainable: false }, dims, x, true);
    const ref = oracleFor(run, dims, x, false);
    expectClose({ dims, data: f64Of(run.y) }, { dims, data: ref.y }, F32, 'y');
    expectMoving(run.layer, run.before[2], run.before[3], { rtol: 0, atol: 0 });
  });

  it('three training steps follow moving = moving·m + batch·(1−m) computed by hand in float64', () => {
    const dims = [8, 2];
    const layer = new BatchNormalization({ momentum: 0.8 });
    // Hand sequence: start from Keras initial moving stats (zeros, ones).
    let mm = [0, 0];
    let mv = [1, 1];
    for (let step = 0; step < 3; step++) {
      const x = randomValues(16, { seed: 100 + step, low: -2 + step, high: 3 + step });
      const xr = Float64Array.from(Float32Array.from(x));
      layer.call(f32Tensor(x, dims), { training: true });
      for (let ch = 0; ch < 2; ch++) {
        const vals = [0, 1, 2, 3, 4, 5, 6, 7].map((r) => xr[r * 2 + ch]);
        const mean = vals.reduce((a, b) => a + b, 0) / 8;
        const variance = vals.reduce((a, b) => a + (b - mean) ** 2, 0) / 8;
        mm[ch] = mm[ch] * 0.8 + mean * 0.2;
        mv[ch] = mv[ch] * 0.8 + variance * 0.2;
      }
      mm = [...mm];
      mv = [...mv];
      expectMoving(layer, Float64Array.from(mm), Float64Array.from(mv));
    }
  });

  it('a mask of rank ndim−1 weights the training statistics (Keras _moments with a bool mask)', () => {
    const dims = [3, 4, 2];
    const x = randomValues(24, { seed: 11, low: -4, high: 4 });
    const maskValues = Float64Array.from([1, 1, 0, 1, 0, 1, 1, 0, 1, 1, 1, 0]);
    for (const axis of [-1, 1]) {
      for (const mask of [new Tensor('bool', Uint8Array.from(maskValues), [3, 4]), f32Tensor(maskValues.map((v) => v * 0.5), [3, 4])]) {
        const run = runLayer({ axis, momentum: 0.5 }, dims, x, true, mask);
        const ref = oracleFor(run, dims, x, true, maskValues);
        expectClose({ dims, data: f64Of(run.y) }, { dims, data: ref.y }, F32, 'y');
        expectMoving(run.layer, ref.movingMean, ref.movingVariance);
        // The mask really matters: unmasked statistics differ.
        const unmasked = oracleFor(run, dims, x, true);
        expect(Math.abs(unmasked.batchMean[0] - ref.batchMean[0])).toBeGreaterThan(1e-3);
      }
    }
  });

  it('float16 inputs: statistics in float32, output float16', () => {
    const dims = [4, 3, 5];
    const x = randomValues(60, { seed: 5, low: -2, high: 2, offset: 100 });
    const bits = Uint16Array.from(x, floatToHalf);
    const xh = Float64Array.from(bits, halfToFloat);
    for (const axis of [1, -1]) {
      const layer = new BatchNormalization({ axis, momentum: 0.5 });
      layer.build([dims]);
      randomizeWeights(layer, 9);
      const before = layer.getWeights().map(f64Of);
      const y = layer.call(new Tensor('float16', bits, dims), { training: true });
      expect(y.type).toBe('float16');
      const ref = kerasBatchNorm({ x: xh, dims, axis, epsilon: 1e-3, momentum: 0.5, gamma: before[0], beta: before[1], movingMean: before[2], movingVariance: before[3], training: true });
      const yv = Float64Array.from(y.data as Uint16Array, halfToFloat);
      expectClose({ dims, data: yv }, { dims, data: ref.y }, { rtol: 4e-3, atol: 4e-3 }, 'y (float16)');
      // Statistics of 100±2 data: float16 arithmetic would lose the variance; float32 keeps 1e-5.
      expectMoving(layer, ref.movingMean, ref.movingVariance);
    }
  });

  it('float64 inputs compute in float64', () => {
    const dims = [5, 3];
    const x = randomValues(15, { seed: 8 });
    const layer = new BatchNormalization({});
    const y = layer.call(new Tensor('float64', x, dims), { training: true });
    expect(y.type).toBe('float64');
    const w = layer.getWeights().map(f64Of);
    const ref = kerasBatchNorm({ x, dims, axis: -1, epsilon: 1e-3, momentum: 0.99, gamma: w[0], beta: w[1], movingMean: new Float64Array(3), movingVariance: new Float64Array(3).fill(1), training: true });
    expectClose({ dims, data: y.data as Float64Array }, { dims, data: ref.y }, { rtol: 1e-12, atol: 1e-12 }, 'y');
  });
});

describe('BatchNormalization edge statistics', () => {
  it('N=1 normalizes each row to beta in training mode (zero variance)', () => {
    const dims = [1, 4];
    const x = Float64Array.from([1, -2, 3, 4]);
    const run = runLayer({}, dims, x, true);
    const ref = oracleFor(run, dims, x, true);
    expectClose({ dims, data: f64Of(run.y) }, { dims, data: ref.y }, F32, 'y');
    expectMoving(run.layer, ref.movingMean, ref.movingVariance);
  });

  it('constant channels give zero variance and output beta', () => {
    const dims = [6, 2, 3];
    const x = new Float64Array(36).fill(2.5);
    for (const axis of [1, -1]) {
      const run = runLayer({ axis }, dims, x, true);
      const ref = oracleFor(run, dims, x, true);
      expect(Math.max(...ref.batchVariance)).toBe(0);
      expectClose({ dims, data: f64Of(run.y) }, { dims, data: ref.y }, F32, 'y');
      expectMoving(run.layer, ref.movingMean, ref.movingVariance);
    }
  });

  it('inputs offset by 1e4 keep the variance right to 1e-4 relative', () => {
    const dims = [16, 3, 4, 4];
    const x = randomValues(sizeOf(dims), { seed: 21, low: -1, high: 1, offset: 1e4 });
    for (const axis of [1, -1]) {
      // momentum 0 makes the new moving variance the batch variance itself.
      const run = runLayer({ axis, momentum: 0 }, dims, x, true);
      const ref = oracleFor(run, dims, x, true);
      const got = f64Of(run.layer.getWeights()[3]);
      for (let ch = 0; ch < got.length; ch++) {
        expect(Math.abs(got[ch] - ref.batchVariance[ch]) / ref.batchVariance[ch]).toBeLessThan(1e-4);
      }
      expectClose({ dims, data: f64Of(run.y) }, { dims, data: ref.y }, { rtol: 1e-5, atol: 2e-5 }, 'y');
    }
  });
});
