// BatchNormalization layer arguments: initializers, regularizers, constraints, Keras config
// round-trips, getWeights order, and typed errors for bad input.

import { Tensor } from 'onnxruntime-common';
import { describe, expect, it } from 'vitest';
import { ArgumentError, DTypeError, KilnError, ShapeError } from '../../core/errors.js';
import { BatchNormalization } from '../../models/layers/batch-normalization.js';
import { expectClose } from '../helpers/compare.js';
import { kerasBatchNorm } from '../helpers/keras-bn-reference.js';
import { randomValues } from '../helpers/random.js';

const f64Of = (t: Tensor): Float64Array => Float64Array.from(t.data as Float32Array);
const F32 = { rtol: 1e-5, atol: 1e-5 };

const INITIALIZERS = [
  'zeros', 'ones', 'constant', 'randomNormal', 'randomUniform', 'truncatedNormal', 'glorotUniform',
  'glorotNormal', 'heNormal', 'heUniform', 'lecunNormal', 'lecunUniform', 'varianceScaling',
] as const;

describe('BatchNormalization initializers', () => {
  it('defaults are Keras: gamma ones, beta zeros, moving mean zeros, moving variance ones', () => {
    const l = new BatchNormalization({});
    l.build([[null, 3]]);
    expect(l.getWeights().map((t) => [...(t.data as Float32Array)])).toEqual([[1, 1, 1], [0, 0, 0], [0, 0, 0], [1, 1, 1]]);
    expect(l.weights.map((w) => w.name)).toEqual(['gamma', 'beta', 'moving_mean', 'moving_variance']);
  });

  for (const name of INITIALIZERS) {
    it(`'${name}' for every weight; outputs follow the oracle with those weights`, () => {
      const spec = name === 'constant' ? { className: 'Constant', config: { value: 0.75 } } : name === 'varianceScaling' ? { class_name: 'VarianceScaling', config: { scale: 2, mode: 'fan_in', distribution: 'uniform', seed: 3 } } : name;
      const l = new BatchNormalization({ gammaInitializer: spec, beta_initializer: spec, movingMeanInitializer: spec, moving_variance_initializer: name === 'zeros' ? 'ones' : 'ones' });
      const dims = [64, 6];
      l.build([dims]);
      const w = l.getWeights().map(f64Of);
      if (name === 'zeros') expect([...w[0]]).toEqual([0, 0, 0, 0, 0, 0]);
      if (name === 'ones') expect([...w[0]]).toEqual([1, 1, 1, 1, 1, 1]);
      if (name === 'constant') expect([...w[1]]).toEqual([0.75, 0.75, 0.75, 0.75, 0.75, 0.75]);
      if (name === 'randomUniform') expect(w[0].every((v) => v >= -0.05 && v < 0.05)).toBe(true);
      if (name === 'truncatedNormal') expect(w[0].every((v) => Math.abs(v) <= 0.1 + 1e-7)).toBe(true);
      if (name === 'glorotUniform') expect(w[0].every((v) => Math.abs(v) <= Math.sqrt(6 / 12) + 1e-7)).toBe(true);
      const x = randomValues(64 * 6, { seed: 2 });
      const y = l.call(new Tensor('float32', Float32Array.from(x), dims), { training: false });
      const ref = kerasBatchNorm({ x: Float64Array.from(Float32Array.from(x)), dims, axis: -1, epsilon: 1e-3, momentum: 0.99, gamma: w[0], beta: w[1], movingMean: w[2], movingVariance: w[3], training: false });
      expectClose({ dims, data: f64Of(y) }, { dims, data: ref.y }, F32, 'y');
    });
  }

  it('seeded initializers are reproducible', () => {
    const make = (): Float64Array => {
      const l = new BatchNormalization({ gammaInitializer: { className: 'RandomNormal', config: { seed: 42, stddev: 0.3 } } });
      l.build([[2, 8]]);
      return f64Of(l.getWeights()[0]);
    };
    expect([...make()]).toEqual([...make()]);
  });
});

describe('BatchNormalization regularizers and constraints', () => {
  it('reports l1, l2 and l1l2 penalties of gamma and beta', () => {
    const l = new BatchNormalization({ gammaRegularizer: { className: 'L1L2', config: { l1: 0.1, l2: 0.2 } }, beta_regularizer: 'l2' });
    l.build([[2, 3]]);
    l.setWeights([new Tensor('float32', Float32Array.from([1, -2, 3]), [3]), new Tensor('float32', Float32Array.from([0.5, -0.5, 2]), [3]), new Tensor('float32', new Float32Array(3), [3]), new Tensor('float32', new Float32Array(3).fill(1), [3])]);
    const [g, b] = l.losses;
    expect(g).toBeCloseTo(0.1 * (1 + 2 + 3) + 0.2 * (1 + 4 + 9), 6);
    expect(b).toBeCloseTo(0.01 * (0.25 + 0.25 + 4), 6);
  });

  const norm = (v: number[]): number => Math.sqrt(v.reduce((a, x) => a + x * x, 0));
  const CONSTRAINTS: { spec: unknown; expected: (w: number[]) => number[] }[] = [
    { spec: 'nonNeg', expected: (w) => w.map((v) => (v < 0 ? 0 : v)) },
    { spec: { className: 'MaxNorm', config: { max_value: 1 } }, expected: (w) => w.map((v) => (v * Math.min(norm(w), 1)) / (1e-7 + norm(w))) },
    { spec: { class_name: 'MinMaxNorm', config: { min_value: 4, max_value: 5, rate: 0.5 } }, expected: (w) => w.map((v) => (v * (0.5 * Math.min(Math.max(norm(w), 4), 5) + 0.5 * norm(w))) / (1e-7 + norm(w))) },
    { spec: 'unit_norm', expected: (w) => w.map((v) => v / (1e-7 + norm(w))) },
  ];
  for (const { spec, expected } of CONSTRAINTS) {
    it(`applies ${JSON.stringify(spec)} whenever gamma and beta are updated`, () => {
      const l = new BatchNormalization({ gammaConstraint: spec as string, betaConstraint: spec as string });
      l.build([[2, 3]]);
      const g = [1.5, -2, 0.5];
      const b = [-0.25, 3, 1];
      l.updateTrainableWeights({ gamma: g, beta: b });
      const w = l.getWeights().map(f64Of);
      expectClose({ dims: [3], data: w[0] }, { dims: [3], data: Float64Array.from(expected(g)) }, F32, 'gamma');
      expectClose({ dims: [3], data: w[1] }, { dims: [3], data: Float64Array.from(expected(b)) }, F32, 'beta');
    });
  }
});

describe('BatchNormalization config', () => {
  it('getConfig/fromConfig round-trip a Keras-style config and behave the same', () => {
    const l = new BatchNormalization({
      name: 'bn_cfg', axis: 1, momentum: 0.9, epsilon: 1e-4, center: false, scale: true,
      gamma_initializer: { class_name: 'RandomUniform', config: { minval: 0.5, maxval: 1.5, seed: 4 } },
      gamma_regularizer: 'l1', gamma_constraint: 'non_neg', synchronized: true, trainable: true,
    });
    const cfg = l.getConfig();
    expect(cfg).toMatchObject({ name: 'bn_cfg', axis: 1, momentum: 0.9, epsilon: 1e-4, center: false, scale: true, synchronized: true, dtype: 'float32', trainable: true });
    expect(cfg.gamma_initializer).toMatchObject({ class_name: 'RandomUniform', config: { minval: 0.5, maxval: 1.5, seed: 4 } });
    expect(cfg.gamma_regularizer).toMatchObject({ class_name: 'L1' });
    expect(cfg.gamma_constraint).toMatchObject({ class_name: 'NonNeg' });
    const copy = BatchNormalization.fromConfig(JSON.parse(JSON.stringify(cfg)));
    expect(copy.getConfig()).toEqual(cfg);
    const dims = [4, 3, 2];
    l.build([dims]);
    copy.build([dims]);
    expect([...f64Of(copy.getWeights()[0])]).toEqual([...f64Of(l.getWeights()[0])]);
    const x = new Tensor('float32', Float32Array.from(randomValues(24, { seed: 1 })), dims);
    expect([...(copy.call(x, { training: true }).data as Float32Array)]).toEqual([...(l.call(x, { training: true }).data as Float32Array)]);
  });

  it('accepts a Keras DTypePolicy object for dtype', () => {
    const l = BatchNormalization.fromConfig({ name: 'bn_policy', dtype: { class_name: 'DTypePolicy', config: { name: 'float64' } } });
    expect(l.dtype).toBe('float64');
  });
});

describe('BatchNormalization bad input', () => {
  const x = new Tensor('float32', new Float32Array(24), [2, 3, 4]);
  it('axis out of range', () => {
    const l = new BatchNormalization({ name: 'bn_axis', axis: 3 });
    expect(() => l.call(x)).toThrow(ArgumentError);
    expect(() => new BatchNormalization({ name: 'bn_axis2', axis: -4 }).call(x)).toThrow(/BatchNormalization layer 'bn_axis2'.*'axis' expected an integer in \[-3, 2\].*got -4/);
  });
  it('momentum outside [0, 1]', () => {
    expect(() => new BatchNormalization({ name: 'bn_m', momentum: 1.5 })).toThrow(/'bn_m'.*'momentum' expected a number in \[0, 1\], got 1.5/);
    expect(() => new BatchNormalization({ momentum: -0.1 })).toThrow(ArgumentError);
  });
  it('negative epsilon', () => {
    expect(() => new BatchNormalization({ name: 'bn_e', epsilon: -1e-3 })).toThrow(/'bn_e'.*'epsilon' expected .*>= 0, got -0.001/);
  });
  it('unknown initializer', () => {
    expect(() => new BatchNormalization({ name: 'bn_i', gammaInitializer: 'glorot_sideways' })).toThrow(ArgumentError);
    expect(() => new BatchNormalization({ name: 'bn_i', gammaInitializer: 'glorot_sideways' })).toThrow(/'bn_i'.*gamma_initializer.*glorot_sideways/);
  });
  it('unknown argument', () => {
    expect(() => new BatchNormalization({ name: 'bn_u', momentun: 0.5 })).toThrow(/'bn_u'.*momentun/);
  });
  it('mismatched shapes: a built layer gets another channel count', () => {
    const l = new BatchNormalization({ name: 'bn_s' });
    l.call(x);
    expect(() => l.call(new Tensor('float32', new Float32Array(10), [2, 5]))).toThrow(ShapeError);
    expect(() => l.call(new Tensor('float32', new Float32Array(10), [2, 5]))).toThrow(/'bn_s'.*expected shape 4 channels on axis -1.*got \[2,5\]/);
  });
  it('wrong mask shape', () => {
    const l = new BatchNormalization({ name: 'bn_mask' });
    const badRank = new Tensor('bool', new Uint8Array(24), [2, 3, 4]);
    expect(() => l.call(x, { training: true, mask: badRank })).toThrow(ShapeError);
    expect(() => l.call(x, { training: true, mask: badRank })).toThrow(/'bn_mask'.*'mask' expected shape rank 2/);
    const badDims = new Tensor('bool', new Uint8Array(6), [3, 2]);
    expect(() => l.call(x, { training: true, mask: badDims })).toThrow(KilnError);
    expect(() => l.call(x, { training: true, mask: badDims })).toThrow(/mask.*expected shape \[2,3\].*got \[3,2\]/);
  });
  it('wrong input dtype', () => {
    const l = new BatchNormalization({ name: 'bn_d' });
    expect(() => l.call(new Tensor('int32', new Int32Array(6), [2, 3]))).toThrow(DTypeError);
    expect(() => l.call(new Tensor('int32', new Int32Array(6), [2, 3]))).toThrow(/'bn_d'.*'inputs' expected dtype float32, float64 or float16, got int32/);
  });
});
