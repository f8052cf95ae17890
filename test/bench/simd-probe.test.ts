// bench/simd-probe.ts: the probe's loops do the arithmetic they are timed for (their results are the
// hand-derived sums and products, so no work was optimized away), the rates come out finite and
// positive (their size is the machine's: no test asserts it), and the BN training floor is
// 5 adds × ⌈values/4⌉ / rate.

import { describe, expect, it } from 'vitest';
import { BN_TRAINING_ADDS_PER_VECTOR, bnTrainingFloorMs, CHAINS, measureSimdRates, probeFunctions, STEPS } from '../../bench/simd-probe.js';

describe('simd probe', () => {
  const fns = probeFunctions();

  it('adds n·STEPS times per chain and returns the chains’ sum', () => {
    // Every partial sum is a small multiple of 0.25: exact in float32.
    for (const [n, start, operand] of [[0, 1.5, 0.25], [1, 0, 1], [1000, -3, 0.25], [4097, 2, 0.5]]) {
      expect(fns.add(n, start, operand)).toBe(CHAINS * (start + n * STEPS * operand));
    }
  });

  it('multiplies n·STEPS times per chain and returns the chains’ sum', () => {
    expect(fns.mul(0, 3, 2)).toBe(CHAINS * 3);
    expect(fns.mul(1, 3, 2)).toBe(CHAINS * 3 * 2 ** STEPS);
    expect(fns.mul(5, 0.5, 2)).toBe(CHAINS * 0.5 * 2 ** (5 * STEPS));
    expect(fns.mul(100000, 7, 1)).toBe(CHAINS * 7);
  });

  it('measures finite, positive rates', () => {
    const r = measureSimdRates(2000, 2);
    for (const v of [r.addsPerNs, r.mulsPerNs]) {
      expect(Number.isFinite(v)).toBe(true);
      expect(v).toBeGreaterThan(0);
    }
  });

  it('puts the BN training floor at 5 adds per started vector of four values', () => {
    expect(BN_TRAINING_ADDS_PER_VECTOR).toBe(5);
    // [8,64,56,56]: 1,605,632 values = 401,408 vectors, 2,007,040 adds; at 5 adds/ns that is 401,408 ns.
    expect(bnTrainingFloorMs(8 * 64 * 56 * 56, 5)).toBeCloseTo(0.401408, 12);
    // 10 values take 3 vectors (the last one partly filled): 15 adds at 1 add/ns = 15 ns.
    expect(bnTrainingFloorMs(10, 1)).toBeCloseTo(15e-6, 15);
  });
});
