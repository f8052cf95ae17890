// Keras 3 initializers: exact constants, seeded determinism, sample statistics against the
// distributions' closed forms, Keras fan rules, orthogonality, errors and serialization.

import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import {
  computeFans,
  getInitializer,
  type Initializer,
  type InitializerSpec,
  serializeInitializer,
  TRUNCATED_NORMAL_STDDEV,
} from '../../models/initializers.js';

const where = { op: 'Dense layer', node: 'dense_1', argument: 'kernel_initializer' };
const init = (spec: InitializerSpec): Initializer => getInitializer(spec, where);

function mean(v: Float64Array): number {
  let s = 0;
  for (const x of v) s += x;
  return s / v.length;
}

function std(v: Float64Array): number {
  const m = mean(v);
  let s = 0;
  for (const x of v) s += (x - m) * (x - m);
  return Math.sqrt(s / v.length);
}

function maxAbs(v: Float64Array): number {
  let m = 0;
  for (const x of v) m = Math.max(m, Math.abs(x));
  return m;
}

/** Standard deviation of a unit normal truncated to [-2, 2]: sqrt(1 - 2·2·φ(2) / P(|Z| ≤ 2)). */
function truncatedStdFromFirstPrinciples(): number {
  const phi = (x: number): number => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
  const steps = 20000; // Simpson's rule over [-2, 2]
  const h = 4 / steps;
  let s = phi(-2) + phi(2);
  for (let i = 1; i < steps; i++) s += (i % 2 === 1 ? 4 : 2) * phi(-2 + i * h);
  const mass = (s * h) / 3;
  return Math.sqrt(1 - (2 * 2 * phi(2)) / mass);
}

function expectArgumentError(fn: () => unknown, ...fragments: string[]): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(ArgumentError);
  const message = caught instanceof Error ? caught.message : '';
  for (const f of fragments) expect(message).toContain(f);
}

describe('Rng', () => {
  it('repeats for a seed, differs across seeds, and uses the high half of large seeds', () => {
    const draw = (seed: number): number[] => {
      const r = new Rng(seed);
      return [r.uniform(), r.uniform(), r.normal(), r.normal()];
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
    expect(draw(7 + 2 ** 32)).not.toEqual(draw(7));
  });

  it('uniform() stays in [0, 1)', () => {
    const r = new Rng(1);
    for (let i = 0; i < 10000; i++) {
      const u = r.uniform();
      expect(u >= 0 && u < 1).toBe(true);
    }
  });
});

describe('constant initializers (constant_initializers.py)', () => {
  it('zeros, ones and constant are exact', () => {
    expect(Array.from(init('zeros').generate([2, 3]))).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Array.from(init('Ones').generate([4]))).toEqual([1, 1, 1, 1]);
    expect(Array.from(init({ class_name: 'Constant', config: { value: 3.5 } }).generate([2, 2]))).toEqual([3.5, 3.5, 3.5, 3.5]);
    expect(Array.from(init('constant').generate([2]))).toEqual([0, 0]); // Constant(value=0.0)
    expect(init('zeros').generate([]).length).toBe(1);
    expect(init('ones').generate([3, 0]).length).toBe(0);
  });

  it('identity is gain * eye(rows, cols), 2-D only', () => {
    expect(Array.from(init('identity').generate([3, 3]))).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(Array.from(init({ className: 'Identity', config: { gain: 2 } }).generate([2, 4]))).toEqual([2, 0, 0, 0, 0, 2, 0, 0]);
    expectArgumentError(() => init('identity').generate([2, 2, 2]), 'kernel_initializer', 'rank 2', '[2,2,2]');
  });
});

describe('seeding', () => {
  it('same seed gives the same values, another seed other values', () => {
    const a = init({ className: 'RandomNormal', config: { seed: 42 } }).generate([64]);
    const b = init({ className: 'RandomNormal', config: { seed: 42 } }).generate([64]);
    const c = init({ className: 'RandomNormal', config: { seed: 43 } }).generate([64]);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });

  it('an unseeded initializer repeats across calls (Keras), two unseeded ones differ', () => {
    const u = init('glorot_uniform');
    expect(Array.from(u.generate([8, 8]))).toEqual(Array.from(u.generate([8, 8])));
    expect(Array.from(u.generate([8, 8]))).not.toEqual(Array.from(init('glorot_uniform').generate([8, 8])));
    expect(u.getConfig()).toEqual({ seed: null });
  });
});

describe('random distributions (random_initializers.py)', () => {
  const n = 20000;

  it('randomUniform lies in [minval, maxval) with mean (a+b)/2 and variance (b-a)^2/12', () => {
    const [a, b] = [-1.5, 2.5];
    const v = init({ className: 'RandomUniform', config: { minval: a, maxval: b, seed: 3 } }).generate([n]);
    for (const x of v) expect(x >= a && x < b).toBe(true);
    const sd = (b - a) / Math.sqrt(12);
    expect(Math.abs(mean(v) - (a + b) / 2)).toBeLessThan((5 * sd) / Math.sqrt(n));
    expect(std(v) ** 2 / ((b - a) ** 2 / 12)).toBeCloseTo(1, 1);
  });

  it('randomNormal has the configured mean and stddev', () => {
    const v = init({ className: 'random_normal', config: { mean: 1.5, stddev: 2, seed: 5 } }).generate([n]);
    expect(Math.abs(mean(v) - 1.5)).toBeLessThan((5 * 2) / Math.sqrt(n));
    expect(Math.abs(std(v) / 2 - 1)).toBeLessThan(0.03);
  });

  it('truncatedNormal never leaves mean ± 2σ and its stddev is σ times the truncation factor', () => {
    expect(TRUNCATED_NORMAL_STDDEV).toBeCloseTo(truncatedStdFromFirstPrinciples(), 10);
    const v = init({ className: 'TruncatedNormal', config: { mean: -1, stddev: 0.5, seed: 9 } }).generate([n]);
    for (const x of v) expect(Math.abs(x + 1)).toBeLessThanOrEqual(2 * 0.5);
    expect(Math.abs(std(v) / (0.5 * truncatedStdFromFirstPrinciples()) - 1)).toBeLessThan(0.03);
    expect(Math.abs(mean(v) + 1)).toBeLessThan((5 * 0.5) / Math.sqrt(n));
  });

  it('Keras defaults: RandomNormal/TruncatedNormal(0, 0.05), RandomUniform(-0.05, 0.05)', () => {
    expect(init('randomNormal').getConfig()).toEqual({ seed: null, mean: 0, stddev: 0.05 });
    expect(init('truncated_normal').getConfig()).toEqual({ seed: null, mean: 0, stddev: 0.05 });
    expect(init('RandomUniform').getConfig()).toEqual({ seed: null, minval: -0.05, maxval: 0.05 });
    expect(init('varianceScaling').getConfig()).toEqual({ seed: null, scale: 1, mode: 'fan_in', distribution: 'truncated_normal' });
  });
});

describe('variance scaling family', () => {
  it('computeFans follows Keras: rank 0, 1, 2 and receptive-field products', () => {
    expect(computeFans([])).toEqual([1, 1]);
    expect(computeFans([5])).toEqual([5, 5]);
    expect(computeFans([3, 4])).toEqual([3, 4]);
    expect(computeFans([2, 3, 4, 5])).toEqual([2 * 3 * 4, 2 * 3 * 5]);
  });

  // [name, shape, hand limit] for the uniform presets: limit = sqrt(3·scale/fan).
  const uniformCases: [string, number[], number][] = [
    ['glorot_uniform', [200, 100], Math.sqrt(6 / (200 + 100))],
    ['heUniform', [3, 3, 40, 60], Math.sqrt(6 / (3 * 3 * 40))],
    ['LecunUniform', [400, 50], Math.sqrt(3 / 400)],
  ];
  it.each(uniformCases)('%s stays within ±limit with variance limit²/3', (name, shape, limit) => {
    const v = init({ className: name, config: { seed: 11 } }).generate(shape);
    expect(maxAbs(v)).toBeLessThanOrEqual(limit);
    expect(maxAbs(v)).toBeGreaterThan(0.99 * limit);
    expect(std(v) ** 2 / (limit * limit / 3)).toBeCloseTo(1, 1);
  });

  // [name, shape, hand stddev] for the truncated-normal presets: stddev = sqrt(scale/fan) after truncation.
  const normalCases: [string, number[], number][] = [
    ['he_normal', [3, 3, 64, 40], Math.sqrt(2 / (3 * 3 * 64))],
    ['glorotNormal', [100, 200], Math.sqrt(2 / (100 + 200))],
    ['LecunNormal', [250, 80], Math.sqrt(1 / 250)],
  ];
  it.each(normalCases)('%s has stddev sqrt(scale/fan) and is truncated at 2σ/0.8796', (name, shape, sd) => {
    const v = init({ className: name, config: { seed: 13 } }).generate(shape);
    expect(Math.abs(std(v) / sd - 1)).toBeLessThan(0.03);
    expect(maxAbs(v)).toBeLessThanOrEqual((2 * sd) / truncatedStdFromFirstPrinciples() + 1e-12);
    expect(maxAbs(v)).toBeGreaterThan(2 * sd); // the truncation is at 2 pre-truncation sigmas, above 2σ
  });

  it('varianceScaling fan_out / untruncated_normal and the "normal" alias', () => {
    const v = init({ className: 'VarianceScaling', config: { scale: 3, mode: 'fan_out', distribution: 'untruncated_normal', seed: 1 } }).generate([50, 400]);
    expect(Math.abs(std(v) / Math.sqrt(3 / 400) - 1)).toBeLessThan(0.03);
    expect(maxAbs(v)).toBeGreaterThan(2.5 * Math.sqrt(3 / 400)); // untruncated tails
    const alias = init({ className: 'variance_scaling', config: { distribution: 'Normal', mode: 'fan_avg', scale: 0.5 } });
    expect(alias.getConfig()).toMatchObject({ distribution: 'truncated_normal', mode: 'fan_avg', scale: 0.5 });
  });
});

describe('orthogonal', () => {
  function gram(v: Float64Array, rows: number, cols: number, byColumns: boolean): number[][] {
    const k = byColumns ? cols : rows;
    const g: number[][] = [];
    for (let a = 0; a < k; a++) {
      g.push([]);
      for (let b = 0; b < k; b++) {
        let s = 0;
        const len = byColumns ? rows : cols;
        for (let i = 0; i < len; i++) s += byColumns ? v[i * cols + a] * v[i * cols + b] : v[a * cols + i] * v[b * cols + i];
        g[a].push(s);
      }
    }
    return g;
  }
  function expectScaledIdentity(g: number[][], s: number): void {
    g.forEach((row, a) => row.forEach((x, b) => expect(x).toBeCloseTo(a === b ? s : 0, 12)));
  }

  it('tall: Q^T Q = I; wide: Q Q^T = I; gain scales by gain²; rank 3 flattens leading dims', () => {
    expectScaledIdentity(gram(init({ className: 'Orthogonal', config: { seed: 2 } }).generate([6, 4]), 6, 4, true), 1);
    expectScaledIdentity(gram(init('orthogonal').generate([3, 7]), 3, 7, false), 1);
    expectScaledIdentity(gram(init({ className: 'Orthogonal', config: { gain: 2 } }).generate([5, 5]), 5, 5, true), 4);
    expectScaledIdentity(gram(init('OrthogonalInitializer').generate([2, 3, 4]), 6, 4, true), 1);
  });

  it('needs rank >= 2', () => {
    expectArgumentError(() => init('orthogonal').generate([5]), 'kernel_initializer', 'rank >= 2', '[5]', 'dense_1');
  });
});

describe('names, errors and serialization', () => {
  it('camelCase, snake_case, Keras class names and aliases resolve to one class', () => {
    for (const n of ['glorotUniform', 'glorot_uniform', 'GlorotUniform']) expect(init(n).className).toBe('GlorotUniform');
    for (const n of ['heNormal', 'he_normal', 'HeNormal']) expect(init(n).className).toBe('HeNormal');
    expect(init('normal').className).toBe('RandomNormal');
    expect(init('uniform').className).toBe('RandomUniform');
    expect(init('one').className).toBe('Ones');
    expect(init('zero').className).toBe('Zeros');
    expect(init('IdentityInitializer').className).toBe('Identity');
    const custom = init('zeros');
    expect(init(custom)).toBe(custom);
  });

  it('unknown names name the argument, the bad name and the accepted names', () => {
    expectArgumentError(() => init('glorot_uniformm'), 'dense_1', 'kernel_initializer', "'glorot_uniformm'", 'glorot_uniform', 'GlorotUniform', 'heNormal');
    expectArgumentError(() => init({ className: 'Nope' }), 'kernel_initializer', "'Nope'");
  });

  it('bad configs name the config entry and the bad value', () => {
    expectArgumentError(() => init({ className: 'RandomNormal', config: { stddev: -1 } }), 'kernel_initializer.stddev', '-1');
    expectArgumentError(() => init({ className: 'TruncatedNormal', config: { stddev: '0.1' } }), 'kernel_initializer.stddev', "'0.1'");
    expectArgumentError(() => init({ className: 'RandomUniform', config: { minval: 1, maxval: 0 } }), 'kernel_initializer.maxval', 'got 0');
    expectArgumentError(() => init({ className: 'VarianceScaling', config: { scale: 0 } }), 'kernel_initializer.scale', 'got 0');
    expectArgumentError(() => init({ className: 'VarianceScaling', config: { mode: 'fan_x' } }), 'kernel_initializer.mode', "'fan_x'", 'fan_avg');
    expectArgumentError(() => init({ className: 'VarianceScaling', config: { distribution: 'gaussian' } }), 'kernel_initializer.distribution', "'gaussian'");
    expectArgumentError(() => init({ className: 'RandomNormal', config: { seed: 1.5 } }), 'kernel_initializer.seed', '1.5');
    expectArgumentError(() => init({ className: 'HeNormal', config: { input_axes: [0] } }), 'kernel_initializer.input_axes', '[0]');
    expectArgumentError(() => init({ className: 'Zeros', config: { foo: 1 } }), 'kernel_initializer.foo', "unknown key 'foo'");
    expectArgumentError(() => init({ className: 'RandomNormal', config: { sigma: 1 } }), 'kernel_initializer.sigma', 'mean, stddev, seed');
  });

  it('serializes to Keras config keys and round-trips to the same values', () => {
    const a = init({ class_name: 'RandomNormal', config: { mean: 1, stddev: 2, seed: 7 } });
    const s = serializeInitializer(a);
    expect(s).toEqual({ className: 'RandomNormal', config: { seed: 7, mean: 1, stddev: 2 } });
    expect(Array.from(init(s).generate([10]))).toEqual(Array.from(a.generate([10])));
    expect(serializeInitializer(init('he_uniform'))).toEqual({ className: 'HeUniform', config: { seed: null } });
    expect(serializeInitializer(init('zeros'))).toEqual({ className: 'Zeros', config: {} });
    expect(serializeInitializer(init({ className: 'constant', config: { value: -2 } }))).toEqual({ className: 'Constant', config: { value: -2 } });
    expect(serializeInitializer(init('orthogonal')).config).toEqual({ seed: null, gain: 1 });
  });
});
