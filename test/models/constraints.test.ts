// Keras 3 constraints against their hand formulas (float64, with Keras's epsilon 1e-7 in the
// divisors), axis handling (1-D, Conv kernels, negative axes), names, errors, serialization.

import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../../core/errors.js';
import {
  type ConstraintSpec,
  getConstraint,
  maxNorm,
  minMaxNorm,
  nonNeg,
  serializeConstraint,
  unitNorm,
} from '../../models/constraints.js';

const EPS = 1e-7; // keras backend.epsilon()
const where = { op: 'Dense layer', node: 'dense_1', argument: 'kernel_constraint' };
const con = (spec: ConstraintSpec) => getConstraint(spec, where);

// A [2, 2] kernel [[3, 0], [4, 1]]: column norms (axis 0) are 5 and 1, row norms (axis 1) 3 and √17.
const w = new Float64Array([3, 0, 4, 1]);
const shape = [2, 2];

function expectClose(actual: Float64Array, expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => expect(actual[i]).toBeCloseTo(e, 14));
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

describe('constraint formulas (constraints.py)', () => {
  it('NonNeg: max(w, 0)', () => {
    expect(Array.from(nonNeg().apply(new Float64Array([-1, 0, 2.5, -3]), [4]))).toEqual([0, 0, 2.5, 0]);
  });

  it('MaxNorm(2) over axis 0 scales each column by clip(norm, 0, 2) / (eps + norm)', () => {
    const c0 = 2 / (EPS + 5);
    const c1 = 1 / (EPS + 1);
    expectClose(maxNorm(2).apply(w, shape), [3 * c0, 0 * c1, 4 * c0, 1 * c1]);
  });

  it('MaxNorm over axis 1, axis -1, and axes [0, 1]', () => {
    const r0 = 2 / (EPS + 3);
    const r1 = 2 / (EPS + Math.sqrt(17));
    const expected = [3 * r0, 0 * r0, 4 * r1, 1 * r1];
    expectClose(maxNorm(2, 1).apply(w, shape), expected);
    expectClose(maxNorm(2, -1).apply(w, shape), expected);
    const all = 2 / (EPS + Math.sqrt(26));
    expectClose(maxNorm(2, [0, 1]).apply(w, shape), [3 * all, 0, 4 * all, 1 * all]);
  });

  it('UnitNorm: w / (eps + norm), and zero weights stay zero', () => {
    expectClose(unitNorm().apply(w, shape), [3 / (EPS + 5), 0, 4 / (EPS + 5), 1 / (EPS + 1)]);
    expect(Array.from(unitNorm().apply(new Float64Array(4), shape))).toEqual([0, 0, 0, 0]);
  });

  it('MinMaxNorm: desired = rate·clip(norm, min, max) + (1 − rate)·norm', () => {
    // Column norms 5 and 1 with min 2, max 4, rate 0.5: desired 0.5·4 + 0.5·5 = 4.5 and 0.5·2 + 0.5·1 = 1.5.
    const c0 = 4.5 / (EPS + 5);
    const c1 = 1.5 / (EPS + 1);
    expectClose(minMaxNorm(2, 4, 0.5).apply(w, shape), [3 * c0, 0, 4 * c0, 1 * c1]);
    // Keras defaults (0, 1, rate 1): every column ends with norm 1 (up to epsilon).
    expectClose(minMaxNorm().apply(w, shape), [3 / (EPS + 5), 0, 4 / (EPS + 5), 1 / (EPS + 1)]);
  });

  it('a 1-D weight (BatchNormalization gamma) with axis 0 uses the norm of the whole vector', () => {
    const gamma = new Float64Array([3, 4]);
    expectClose(maxNorm(1).apply(gamma, [2]), [3 / (EPS + 5), 4 / (EPS + 5)]);
    expectClose(nonNeg().apply(new Float64Array([-0.5, 0.5]), [2]), [0, 0.5]);
  });

  it('a Conv2D kernel [kh, kw, in, out] with axis [0, 1, 2] constrains each output filter', () => {
    // Filter 0 is all 1 (norm 2), filter 1 all 0.1 (norm 0.2); values interleave along the last axis.
    const k = new Float64Array(8);
    for (let i = 0; i < 4; i++) {
      k[2 * i] = 1;
      k[2 * i + 1] = 0.1;
    }
    const out = maxNorm(1, [0, 1, 2]).apply(k, [2, 2, 1, 2]);
    for (let i = 0; i < 4; i++) {
      expect(out[2 * i]).toBeCloseTo(1 / (EPS + 2), 14);
      expect(out[2 * i + 1]).toBeCloseTo(0.1 * (0.2 / (EPS + 0.2)), 14);
    }
  });

  it('does not modify its input', () => {
    const copy = Float64Array.from(w);
    maxNorm(1).apply(w, shape);
    expect(Array.from(w)).toEqual(Array.from(copy));
  });
});

describe('names, configs and errors', () => {
  it('accepts every name form with Keras defaults', () => {
    for (const n of ['nonNeg', 'non_neg', 'NonNeg']) expect(con(n).className).toBe('NonNeg');
    for (const n of ['maxNorm', 'max_norm', 'MaxNorm']) expect(con(n).getConfig()).toEqual({ max_value: 2, axis: 0 });
    for (const n of ['minMaxNorm', 'min_max_norm', 'MinMaxNorm']) {
      expect(con(n).getConfig()).toEqual({ min_value: 0, max_value: 1, rate: 1, axis: 0 });
    }
    for (const n of ['unitNorm', 'unit_norm', 'UnitNorm']) expect(con(n).getConfig()).toEqual({ axis: 0 });
    const c = unitNorm(1);
    expect(con(c)).toBe(c);
  });

  it('accepts snake_case and camelCase config keys', () => {
    expect(con({ className: 'MaxNorm', config: { max_value: 3, axis: 1 } }).getConfig()).toEqual({ max_value: 3, axis: 1 });
    expect(con({ class_name: 'max_norm', config: { maxValue: 3 } }).getConfig()).toEqual({ max_value: 3, axis: 0 });
    expect(con({ className: 'MinMaxNorm', config: { minValue: 0.5, maxValue: 2, rate: 0.25, axis: [0, 1] } }).getConfig())
      .toEqual({ min_value: 0.5, max_value: 2, rate: 0.25, axis: [0, 1] });
  });

  it('rejects bad configs, naming the entry and the value', () => {
    expectArgumentError(() => con({ className: 'MaxNorm', config: { max_value: -1 } }), 'kernel_constraint.max_value', '-1');
    expectArgumentError(() => con({ className: 'MinMaxNorm', config: { rate: 2 } }), 'kernel_constraint.rate', 'got 2');
    expectArgumentError(() => con({ className: 'MinMaxNorm', config: { min_value: 3, max_value: 1 } }), 'kernel_constraint.max_value', 'got 1');
    expectArgumentError(() => con({ className: 'UnitNorm', config: { axis: 0.5 } }), 'kernel_constraint.axis', '0.5');
    expectArgumentError(() => con({ className: 'MaxNorm', config: { max_value: 1, maxValue: 2 } }), 'kernel_constraint.max_value', 'both');
    expectArgumentError(() => con({ className: 'NonNeg', config: { axis: 0 } }), 'kernel_constraint.axis', "unknown key 'axis'");
    expectArgumentError(() => con('max_normm'), 'dense_1', 'kernel_constraint', "'max_normm'", 'unit_norm');
    expectArgumentError(() => maxNorm(-2), "argument 'max_value'", '-2');
  });

  it('rejects axes outside the weight rank and weights that do not match the shape', () => {
    expectArgumentError(() => con({ className: 'MaxNorm', config: { axis: 2 } }).apply(w, shape), 'kernel_constraint.axis', 'got 2', '[2,2]');
    expectArgumentError(() => con({ className: 'UnitNorm', config: { axis: [0, -2] } }).apply(w, shape), 'kernel_constraint.axis', '[0,-2]');
    expectArgumentError(() => con('nonNeg').apply(w, [3]), 'kernel_constraint', '[3]', '4 values');
  });

  it('serializes to Keras config keys and round-trips', () => {
    const c = minMaxNorm(0.5, 2, 0.75, [0]);
    const s = serializeConstraint(c);
    expect(s).toEqual({ className: 'MinMaxNorm', config: { min_value: 0.5, max_value: 2, rate: 0.75, axis: [0] } });
    expect(Array.from(con(s).apply(w, shape))).toEqual(Array.from(c.apply(w, shape)));
    expect(serializeConstraint(nonNeg())).toEqual({ className: 'NonNeg', config: {} });
  });
});
