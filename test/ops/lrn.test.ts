// LRN (opset 13): the channel window and the float64 reference against hand values; kiln CPU against
// the reference over odd/even/oversized windows, ranks 2..5 and dtypes; typed errors; parity with
// onnxruntime-node.

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import type { Value } from '../../compiler/ir/types.js';
import type { DType } from '../../core/dtype.js';
import { ArgumentError, DTypeError, ShapeError } from '../../core/errors.js';
import type { Shape } from '../../core/shape.js';
import { F64Tensor, fromFloat64, HostTensor, toFloat64 } from '../../core/tensor.js';
import { LRNAttrs, lrnWindow } from '../../ops/lrn.js';
import { runReference } from '../../runtime/reference.js';
import { expectClose, toleranceFor } from '../helpers/compare.js';
import { ortAttrsOf, runOrtSingleNode } from '../helpers/ort-single-node.js';
import { randomTensor } from '../helpers/random.js';
import { runSingleNode, singleNodeGraph } from '../helpers/single-node.js';

function reference(x: HostTensor, attrs: Partial<LRNAttrs>): F64Tensor {
  const { graph, feeds } = singleNodeGraph('LRN', [x], attrs);
  return runReference(graph, feeds).outputs[graph.outputs[0].name];
}

function build(input: readonly [DType, Shape], attrs: Partial<LRNAttrs>): () => Value {
  return () => {
    const g = new GraphBuilder();
    return g.op('LRN', [g.input('x', input[0], input[1])], attrs, 'lrn_node');
  };
}

describe('LRN reference against hand values', () => {
  it('channel window: ⌊(size−1)/2⌋ before, ⌈(size−1)/2⌉ after, clipped', () => {
    expect(lrnWindow(2, 5, 3)).toEqual([1, 3]);
    expect(lrnWindow(2, 5, 2)).toEqual([2, 3]);
    expect(lrnWindow(2, 5, 4)).toEqual([1, 4]);
    expect(lrnWindow(0, 5, 5)).toEqual([0, 2]);
    expect(lrnWindow(4, 5, 1)).toEqual([4, 4]);
  });

  const x = fromFloat64('float64', [1, 3, 1, 1], [1, 2, 3]);

  it('size 3, alpha/size = 1, beta 1, bias 1: y = x / (1 + Σ x²)', () => {
    // windows {0,1}, {0,1,2}, {1,2}: square sums 5, 14, 13
    const y = reference(x, { size: 3, alpha: 3, beta: 1, bias: 1 });
    expect([...y.data]).toEqual([1 / 6, 2 / 15, 3 / 14]);
  });

  it('size 2 looks one channel ahead', () => {
    // windows {0,1}, {1,2}, {2}: square sums 5, 13, 9; alpha/size = 1, bias 2, beta 0.5
    const y = reference(x, { size: 2, alpha: 2, beta: 0.5, bias: 2 });
    expect(y.data[0]).toBeCloseTo(1 / Math.sqrt(7), 14);
    expect(y.data[1]).toBeCloseTo(2 / Math.sqrt(15), 14);
    expect(y.data[2]).toBeCloseTo(3 / Math.sqrt(11), 14);
  });

  it('ONNX defaults: alpha 1e-4, beta 0.75, bias 1', () => {
    const y = reference(x, { size: 3 });
    expect(y.data[1]).toBeCloseTo(2 / Math.pow(1 + (1e-4 / 3) * 14, 0.75), 14);
  });

  it('spatial positions are independent', () => {
    const x2 = fromFloat64('float64', [1, 2, 2], [1, 2, 3, 4]);
    // position 0 sums 1 + 9, position 1 sums 4 + 16 (size 2 covers both channels for channel 0)
    const y = reference(x2, { size: 2, alpha: 2, beta: 1, bias: 0 });
    expect([...y.data]).toEqual([1 / 10, 2 / 20, 3 / 9, 4 / 16]);
  });
});

const CASES: readonly (readonly [string, readonly number[], Partial<LRNAttrs>])[] = [
  ['size 3, defaults', [2, 5, 4, 3], { size: 3 }],
  ['size 1', [1, 4, 3, 3], { size: 1, alpha: 0.5, beta: 0.5, bias: 1 }],
  ['size 2 (even)', [2, 6, 3, 2], { size: 2, alpha: 0.1, beta: 0.75, bias: 1.5 }],
  ['size 5, AlexNet constants', [1, 8, 5, 5], { size: 5, alpha: 1e-4, beta: 0.75, bias: 2 }],
  ['size 4 (even), large alpha', [1, 7, 2, 3], { size: 4, alpha: 2, beta: 1.2, bias: 0.5 }],
  ['size larger than C', [2, 3, 3, 3], { size: 7, alpha: 0.3, beta: 0.6, bias: 1 }],
];

describe('LRN kiln CPU against the reference', () => {
  it.each(CASES)('%s', (_n, dims, attrs) => {
    const x = randomTensor('float32', dims, { seed: 7, low: -3, high: 3 });
    const r = runSingleNode('LRN', [x], attrs);
    expectClose(r.kiln[0], r.reference[0], { rtol: 1e-5, atol: 1e-5 });
  });

  it.each([
    ['rank 2 (N x C)', [4, 6]],
    ['rank 3', [2, 5, 7]],
    ['rank 5', [1, 4, 2, 3, 2]],
  ] as const)('%s', (_n, dims) => {
    const r = runSingleNode('LRN', [randomTensor('float32', dims, { seed: 3, low: -2, high: 2 })], { size: 3, alpha: 0.2, bias: 1 });
    expectClose(r.kiln[0], r.reference[0], { rtol: 1e-5, atol: 1e-5 });
  });

  it.each(['float64', 'float16'] as const)('dtype %s', (dtype: DType) => {
    const r = runSingleNode('LRN', [randomTensor(dtype, [2, 5, 3, 3], { seed: 5 })], { size: 3, alpha: 0.5 });
    expect(r.kiln[0].dtype).toBe(dtype);
    expectClose(r.kiln[0], r.reference[0], toleranceFor(dtype));
  });
});

describe('LRN typed errors', () => {
  it('size is required and positive', () => {
    const missing = build(['float32', [1, 3, 2, 2]], {});
    expect(missing).toThrow(ArgumentError);
    expect(missing).toThrow(/LRN 'lrn_node': argument 'size' expected a value \(required attribute\), got nothing/);
    expect(build(['float32', [1, 3, 2, 2]], { size: 0 })).toThrow(/LRN 'lrn_node': argument 'size' expected an integer >= 1, got 0/);
    expect(build(['float32', [1, 3, 2, 2]], { size: 2.5 })).toThrow(/argument 'size' expected an integer >= 1, got 2.5/);
  });

  it('alpha, beta, bias must be finite', () => {
    expect(build(['float32', [1, 3, 2, 2]], { size: 3, alpha: NaN })).toThrow(/argument 'alpha' expected a finite number.*got NaN/);
    expect(build(['float32', [1, 3, 2, 2]], { size: 3, beta: Infinity })).toThrow(/argument 'beta' expected a finite number.*got Infinity/);
  });

  it('input dtype and rank', () => {
    const ints = build(['int32', [1, 3, 2, 2]], { size: 3 });
    expect(ints).toThrow(DTypeError);
    expect(ints).toThrow(/LRN 'lrn_node': input 'X' expected dtype one of float32\|float64\|float16\|bfloat16, got int32/);
    const vec = build(['float32', [5]], { size: 3 });
    expect(vec).toThrow(ShapeError);
    expect(vec).toThrow(/LRN 'lrn_node': input 'X' expected shape rank >= 2, got \[5\] \(rank 1\)/);
  });
});

describe('LRN parity with onnxruntime-node', () => {
  // onnxruntime's CPU LRN rejects even sizes (lrn.h: size_ % 2 == 1); the spec defines them (the window
  // then reaches one channel further ahead), so even sizes are checked against the reference only.
  it.each(CASES.filter(([, , a]) => (a.size ?? 1) % 2 === 1))('%s', async (_n, dims, attrs) => {
    const x = randomTensor('float32', dims, { seed: 11, low: -3, high: 3 });
    const kiln = runSingleNode('LRN', [x], attrs).kiln[0];
    const [ort] = await runOrtSingleNode({ op: 'LRN', inputs: [x], attrs: ortAttrsOf('LRN', attrs) });
    expectClose(kiln, toFloat64(ort), { rtol: 1e-4, atol: 1e-5 }, 'kiln vs onnxruntime');
  });
});
