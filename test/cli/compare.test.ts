// Tolerance comparisons used by check, bisect and conformance.

import { describe, expect, it } from 'vitest';
import { hostTensor } from '../../core/tensor.js';
import { floatToHalf } from '../../core/half.js';
import { compareTensors, formatErr, toleranceFor } from '../../cli/compare.js';

const f32 = (values: readonly number[], dims: readonly number[] = [values.length]) => hostTensor('float32', dims, Float32Array.from(values));

describe('compareTensors', () => {
  it('passes within atol + rtol·|e| and reports the largest errors', () => {
    const c = compareTensors(f32([1.00005, 2]), f32([1, 2]), toleranceFor('float32'));
    expect(c.pass).toBe(true);
    expect(c.maxAbsErr).toBeCloseTo(5e-5, 6);
    expect(c.maxRelErr).toBeCloseTo(5e-5, 6);
  });

  it('fails outside the tolerance', () => {
    const c = compareTensors(f32([1.001, 2]), f32([1, 2]), toleranceFor('float32'));
    expect(c.pass).toBe(false);
    expect(c.maxAbsErr).toBeCloseTo(1e-3, 6);
  });

  it('matches NaN with NaN only', () => {
    expect(compareTensors(f32([NaN, 1]), f32([NaN, 1]), toleranceFor('float32')).pass).toBe(true);
    const c = compareTensors(f32([NaN, 1]), f32([0, 1]), toleranceFor('float32'));
    expect(c.pass).toBe(false);
    expect(c.detail).toMatch(/NaN/);
  });

  it('treats equal infinities as equal and an infinity against a number as a failure', () => {
    expect(compareTensors(f32([Infinity]), f32([Infinity]), toleranceFor('float32')).pass).toBe(true);
    expect(compareTensors(f32([Infinity]), f32([-Infinity]), toleranceFor('float32')).pass).toBe(false);
    expect(compareTensors(f32([Infinity]), f32([1e30]), toleranceFor('float32')).pass).toBe(false);
  });

  it('requires equal shapes and dtypes', () => {
    expect(compareTensors(f32([1, 2], [2, 1]), f32([1, 2], [1, 2]), toleranceFor('float32')).detail).toBe('shape [2,1], expected [1,2]');
    const f64 = hostTensor('float64', [2], Float64Array.from([1, 2]));
    expect(compareTensors(f32([1, 2]), f64, toleranceFor('float32')).detail).toBe('dtype float32, expected float64');
  });

  it('compares against a float64 oracle at the actual dtype', () => {
    const c = compareTensors(f32([0.1]), { dims: [1], data: Float64Array.from([0.1]) }, toleranceFor('float32'));
    expect(c.pass).toBe(true);
    expect(c.maxAbsErr).toBeGreaterThan(0);
  });

  it('uses the per-dtype tolerances', () => {
    expect(toleranceFor('float64')).toEqual({ atol: 1e-12, rtol: 1e-9 });
    expect(toleranceFor('float32')).toEqual({ atol: 1e-5, rtol: 1e-4 });
    expect(toleranceFor('float16')).toEqual({ atol: 4e-3, rtol: 4e-3 });
    expect(toleranceFor('bfloat16')).toEqual({ atol: 3e-2, rtol: 3e-2 });
    expect(toleranceFor('int64')).toEqual({ atol: 0, rtol: 0 });
    const h = (v: number) => hostTensor('float16', [1], Uint16Array.from([floatToHalf(v)]));
    expect(compareTensors(h(1.002), h(1), toleranceFor('float16')).pass).toBe(true);
    expect(compareTensors(h(1.02), h(1), toleranceFor('float16')).pass).toBe(false);
  });

  it('formats errors compactly', () => {
    expect(formatErr(0)).toBe('0');
    expect(formatErr(1.234e-6)).toBe('1.23e-6');
    expect(formatErr(Infinity)).toBe('Infinity');
  });
});
