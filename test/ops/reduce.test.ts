// Reductions (ReduceSum, ReduceMean, ReduceSumSquare, ReduceMax): the float64 reference against nested
// loops written here, kiln CPU against the reference over ranks 0..5, negative axes, keepdims 0/1,
// empty axes (reduce all / noop), dtypes; typed errors.

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import type { Value } from '../../compiler/ir/types.js';
import { verifyGraph } from '../../compiler/ir/verify.js';
import type { DType } from '../../core/dtype.js';
import { ArgumentError, DTypeError } from '../../core/errors.js';
import type { Shape } from '../../core/shape.js';
import { F64Tensor, fromFloat64, HostTensor } from '../../core/tensor.js';
import type { ReduceAttrs } from '../../ops/reduce-common.js';
import { GraphSession } from '../../runtime/graph-session.js';
import { runReference } from '../../runtime/reference.js';
import { expectClose, toleranceFor } from '../helpers/compare.js';
import { randomTensor } from '../helpers/random.js';
import { runSingleNode, singleNodeGraph } from '../helpers/single-node.js';

type ReduceOp = 'ReduceSum' | 'ReduceMean' | 'ReduceSumSquare' | 'ReduceMax';
const OPS: readonly ReduceOp[] = ['ReduceSum', 'ReduceMean', 'ReduceSumSquare', 'ReduceMax'];

function reference(op: ReduceOp, x: HostTensor, attrs: Partial<ReduceAttrs>): F64Tensor {
  const { graph, feeds } = singleNodeGraph(op, [x], attrs);
  return runReference(graph, feeds).outputs[graph.outputs[0].name];
}

function buildNode(op: ReduceOp, dtype: DType, shape: Shape, attrs: Partial<ReduceAttrs>): () => Value {
  return () => {
    const b = new GraphBuilder();
    return b.op(op, [b.input('x', dtype, shape)], attrs, 'bad_node');
  };
}

describe('reductions: reference against nested loops', () => {
  // x[i][j][k] = (i·12 + j·4 + k) − 11.5 + a non-linear term, so no reduction is symmetric by accident.
  const I = 2, J = 3, K = 4;
  const values = Array.from({ length: I * J * K }, (_, n) => n - 11.5 + 0.1 * (n % 5) ** 2);
  const x = fromFloat64('float64', [I, J, K], values);
  const at = (i: number, j: number, k: number): number => values[i * J * K + j * K + k];

  it('ReduceSum over axis 1, keepdims=1 -> [2,1,4]', () => {
    const expected: number[] = [];
    for (let i = 0; i < I; i++) for (let k = 0; k < K; k++) {
      let s = 0;
      for (let j = 0; j < J; j++) s += at(i, j, k);
      expected.push(s);
    }
    const r = reference('ReduceSum', x, { axes: [1] });
    expect([...r.dims]).toEqual([2, 1, 4]);
    r.data.forEach((v, n) => expect(v).toBeCloseTo(expected[n], 12));
  });

  it('ReduceMean over axis -1, keepdims=0 -> [2,3]', () => {
    const expected: number[] = [];
    for (let i = 0; i < I; i++) for (let j = 0; j < J; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += at(i, j, k);
      expected.push(s / K);
    }
    const r = reference('ReduceMean', x, { axes: [-1], keepdims: 0 });
    expect([...r.dims]).toEqual([2, 3]);
    r.data.forEach((v, n) => expect(v).toBeCloseTo(expected[n], 12));
  });

  it('ReduceMax over axes [0, -1] -> [1,3,1]; NaN propagates', () => {
    const expected: number[] = [];
    for (let j = 0; j < J; j++) {
      let m = -Infinity;
      for (let i = 0; i < I; i++) for (let k = 0; k < K; k++) m = at(i, j, k) > m ? at(i, j, k) : m;
      expected.push(m);
    }
    const r = reference('ReduceMax', x, { axes: [0, -1] });
    expect([...r.dims]).toEqual([1, 3, 1]);
    expect([...r.data]).toEqual(expected);
    const withNaN = fromFloat64('float64', [2, 2], [1, NaN, 3, 4]);
    const m = reference('ReduceMax', withNaN, { axes: [1], keepdims: 0 });
    expect(Number.isNaN(m.data[0])).toBe(true);
    expect(m.data[1]).toBe(4);
  });

  it('empty axes reduce every axis: ReduceSumSquare -> [1,1,1], keepdims=0 -> scalar', () => {
    let s = 0;
    for (const v of values) s += v * v;
    expect([...reference('ReduceSumSquare', x, {}).dims]).toEqual([1, 1, 1]);
    const r = reference('ReduceSumSquare', x, { axes: [], keepdims: 0 });
    expect([...r.dims]).toEqual([]);
    expect(r.data[0]).toBeCloseTo(s, 10);
  });

  it('noop_with_empty_axes=1: ReduceSum is the identity, ReduceSumSquare is x² (ONNX reference)', () => {
    expect([...reference('ReduceSum', x, { noop_with_empty_axes: 1 }).data]).toEqual(values);
    expect([...reference('ReduceSumSquare', x, { noop_with_empty_axes: 1, keepdims: 0 }).data]).toEqual(values.map((v) => v * v));
  });

  it('integer ReduceMean truncates toward zero', () => {
    const t = fromFloat64('int32', [2, 2], [1, 2, -1, -2]);
    expect(Array.from(reference('ReduceMean', t, { axes: [1] }).data, (v) => v + 0)).toEqual([1, -1]);
  });
});

interface Case {
  readonly dims: number[];
  readonly axes: number[] | undefined;
  readonly keepdims: number;
  readonly noop?: number;
}

const CASES: readonly Case[] = [
  { dims: [], axes: undefined, keepdims: 1 },
  { dims: [7], axes: [0], keepdims: 0 },
  { dims: [3, 5], axes: [-1], keepdims: 1 },
  { dims: [3, 5], axes: undefined, keepdims: 0 },
  { dims: [2, 3, 4], axes: [0, 2], keepdims: 0 },
  { dims: [2, 3, 4], axes: [-2], keepdims: 1 },
  { dims: [2, 3, 4, 5], axes: [1, -1], keepdims: 1 },
  { dims: [2, 3, 1, 4, 3], axes: [0, 2, 4], keepdims: 0 },
  { dims: [2, 3, 1, 4, 3], axes: [-5, -4, -3, -2, -1], keepdims: 1 },
  { dims: [2, 3, 4], axes: [], keepdims: 0, noop: 1 },
];

describe.each(['float32', 'float64', 'float16'] as const)('reductions: kiln CPU against the reference (%s)', (dtype) => {
  describe.each(OPS)('%s', (op) => {
    it.each(CASES)('dims $dims axes $axes keepdims $keepdims noop $noop', ({ dims, axes, keepdims, noop }) => {
      const x = randomTensor(dtype, dims, { seed: 17, low: -2, high: 2 });
      const res = runSingleNode(op, [x], { axes, keepdims, noop_with_empty_axes: noop ?? 0 });
      verifyGraph(res.graph);
      expect(res.kiln[0].dtype).toBe(dtype);
      expectClose(res.kiln[0], res.reference[0], toleranceFor(dtype), op);
    });
  });
});

describe('reductions: integer dtypes and plans', () => {
  it.each(OPS)('%s on int32 matches the reference exactly', (op) => {
    const x = randomTensor('int32', [3, 4, 5], { seed: 2, low: -20, high: 20 });
    const res = runSingleNode(op, [x], { axes: [1] });
    expectClose(res.kiln[0], res.reference[0], { rtol: 0, atol: 0 });
  });

  it('noop ReduceSum/Mean/Max are views; noop ReduceSumSquare runs one routine', () => {
    for (const op of OPS) {
      const { graph } = singleNodeGraph(op, [randomTensor('float32', [2, 3])], { noop_with_empty_axes: 1 });
      const steps = new GraphSession(graph).planFor(new Map([['in0', [2, 3]]])).steps;
      expect(steps, op).toHaveLength(op === 'ReduceSumSquare' ? 1 : 0);
    }
  });
});

describe('reductions: bad input', () => {
  it.each(OPS)('%s: an out-of-range axis is an ArgumentError naming axes', (op) => {
    const build = buildNode(op, 'float32', [2, 3, 4], { axes: [3] });
    expect(build).toThrow(ArgumentError);
    expect(build).toThrow(new RegExp(`${op} 'bad_node': argument 'axes' expected an integer in \\[-3, 2\\], got 3`));
  });

  it('repeated axes (0 and -3 on rank 3) are an ArgumentError', () => {
    const build = buildNode('ReduceSum', 'float32', [2, 3, 4], { axes: [0, -3] });
    expect(build).toThrow(ArgumentError);
    expect(build).toThrow(/'bad_node': argument 'axes' expected distinct axes, got \[0,-3\]/);
  });

  it('keepdims and noop_with_empty_axes must be 0 or 1', () => {
    expect(buildNode('ReduceMean', 'float32', [2], { keepdims: 2 })).toThrow(ArgumentError);
    expect(buildNode('ReduceMean', 'float32', [2], { keepdims: 2 })).toThrow(/'bad_node': argument 'keepdims' expected 0 or 1, got 2/);
    expect(buildNode('ReduceMax', 'float32', [2], { noop_with_empty_axes: -1 })).toThrow(/argument 'noop_with_empty_axes' expected 0 or 1, got -1/);
  });

  it('bool data is a DTypeError', () => {
    const build = buildNode('ReduceSum', 'bool', [2], {});
    expect(build).toThrow(DTypeError);
    expect(build).toThrow(/ReduceSum 'bad_node': input 'data' expected dtype one of .*, got bool/);
  });

  it('symbolic dims pass through inference and verifyGraph', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', ['N', 3, 4]);
    const m = b.op('ReduceMean', [x], { axes: [1], keepdims: 0 });
    const s = b.op('ReduceSumSquare', [m], { axes: [-1] });
    expect(m.type.shape).toEqual(['N', 4]);
    expect(s.type.shape).toEqual(['N', 1]);
    expect(() => verifyGraph(b.build([s]))).not.toThrow();
  });
});
