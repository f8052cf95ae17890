// Keras 3 regularizers: penalties against λ·Σ|w| and λ·Σw², Keras defaults, names, errors,
// serialization.

import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../../core/errors.js';
import { getRegularizer, l1, l1l2, l2, type RegularizerSpec, serializeRegularizer } from '../../models/regularizers.js';

const where = { op: 'Dense layer', node: 'dense_1', argument: 'kernel_regularizer' };
const reg = (spec: RegularizerSpec) => getRegularizer(spec, where);
const w = new Float64Array([1, -2, 3, -0.5]);
const sumAbs = 1 + 2 + 3 + 0.5;
const sumSq = 1 + 4 + 9 + 0.25;

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

describe('penalties (regularizers.py)', () => {
  it('L1 = l1·Σ|w| with Keras default l1 = 0.01', () => {
    expect(l1().penalty(w)).toBeCloseTo(0.01 * sumAbs, 15);
    expect(l1(0.3).penalty(w)).toBeCloseTo(0.3 * sumAbs, 15);
    expect(l1().getConfig()).toEqual({ l1: 0.01 });
  });

  it('L2 = l2·Σw² with Keras default l2 = 0.01', () => {
    expect(l2().penalty(w)).toBeCloseTo(0.01 * sumSq, 15);
    expect(l2(0.1).penalty([2, 2])).toBeCloseTo(0.1 * 8, 15);
    expect(l2().getConfig()).toEqual({ l2: 0.01 });
  });

  it('L1L2 = l1·Σ|w| + l2·Σw² with Keras defaults l1 = l2 = 0', () => {
    expect(l1l2(0.1, 0.2).penalty(w)).toBeCloseTo(0.1 * sumAbs + 0.2 * sumSq, 14);
    expect(l1l2().penalty(w)).toBe(0);
    expect(reg('l1_l2').getConfig()).toEqual({ l1: 0, l2: 0 });
    expect(l1l2(0, 0.5).penalty(w)).toBeCloseTo(0.5 * sumSq, 14);
  });

  it('an empty weight has zero penalty', () => {
    expect(l1().penalty([])).toBe(0);
  });
});

describe('names, configs and errors', () => {
  it('accepts names and {className|class_name, config} objects', () => {
    expect(reg('l1').className).toBe('L1');
    expect(reg('L2').className).toBe('L2');
    expect(reg('l1l2').className).toBe('L1L2');
    expect(reg('L1L2').className).toBe('L1L2');
    expect(reg({ className: 'L1', config: { l1: 0.5 } }).penalty(w)).toBeCloseTo(0.5 * sumAbs, 15);
    expect(reg({ class_name: 'L1L2', config: { l1: 0.01, l2: 0.02 } }).getConfig()).toEqual({ l1: 0.01, l2: 0.02 });
    expect(reg({ className: 'L2', config: { l2: null } }).getConfig()).toEqual({ l2: 0.01 }); // Keras: None → default
    const r = l2(0.4);
    expect(reg(r)).toBe(r);
  });

  it('rejects negative, non-finite and non-numeric factors, naming the factor and the value', () => {
    expectArgumentError(() => reg({ className: 'L1', config: { l1: -0.1 } }), 'kernel_regularizer.l1', '-0.1');
    expectArgumentError(() => reg({ className: 'L2', config: { l2: Infinity } }), 'kernel_regularizer.l2', 'Infinity');
    expectArgumentError(() => reg({ className: 'L1L2', config: { l2: NaN } }), 'kernel_regularizer.l2', 'NaN');
    expectArgumentError(() => reg({ className: 'L1L2', config: { l1: '0.1' } }), 'kernel_regularizer.l1', "'0.1'");
    expectArgumentError(() => l1(-1), "argument 'l1'", '-1');
    expectArgumentError(() => l1l2(0, -2), "argument 'l2'", '-2');
  });

  it('rejects unknown names and config keys', () => {
    expectArgumentError(() => reg('l3'), 'dense_1', 'kernel_regularizer', "'l3'", 'l1_l2');
    expectArgumentError(() => reg({ className: 'L1', config: { l2: 0.1 } }), 'kernel_regularizer.l2', "unknown key 'l2'");
  });

  it('serializes to Keras config keys and round-trips', () => {
    const s = serializeRegularizer(l1l2(0.25, 0.5));
    expect(s).toEqual({ className: 'L1L2', config: { l1: 0.25, l2: 0.5 } });
    expect(reg(s).penalty(w)).toBe(l1l2(0.25, 0.5).penalty(w));
    expect(serializeRegularizer(l1(0.2))).toEqual({ className: 'L1', config: { l1: 0.2 } });
  });
});
