// Unary elementwise ops (Sigmoid, Tanh, Exp, Log, Sqrt, Reciprocal, Neg, Abs, Identity): the float64
// reference against formulas written here, kiln CPU against the reference over ranks 0..5 and dtypes,
// Identity as a free view, typed errors.

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import type { Value } from '../../compiler/ir/types.js';
import { verifyGraph } from '../../compiler/ir/verify.js';
import type { DType } from '../../core/dtype.js';
import { DTypeError } from '../../core/errors.js';
import type { Shape } from '../../core/shape.js';
import { F64Tensor, fromFloat64, HostTensor } from '../../core/tensor.js';
import { GraphSession } from '../../runtime/graph-session.js';
import { runReference } from '../../runtime/reference.js';
import { expectClose, toleranceFor } from '../helpers/compare.js';
import { randomTensor } from '../helpers/random.js';
import { runSingleNode, singleNodeGraph } from '../helpers/single-node.js';

type UnaryOp = 'Sigmoid' | 'Tanh' | 'Exp' | 'Log' | 'Sqrt' | 'Reciprocal' | 'Neg' | 'Abs' | 'Identity';

function reference(op: UnaryOp, x: HostTensor): F64Tensor {
  const { graph, feeds } = singleNodeGraph(op, [x]);
  return runReference(graph, feeds).outputs[graph.outputs[0].name];
}

function buildNode(op: UnaryOp, dtype: DType, shape: Shape, name = 'bad_node'): () => Value {
  return () => {
    const b = new GraphBuilder();
    return b.op(op, [b.input('x', dtype, shape)], {}, name);
  };
}

/** Each op's formula from its ONNX spec page, and an input range where it is defined and well-conditioned. */
const CASES: { readonly [K in UnaryOp]: { f: (x: number) => number; low: number; high: number } } = {
  Sigmoid: { f: (x) => 1 / (1 + Math.E ** -x), low: -6, high: 6 },
  Tanh: { f: (x) => (Math.E ** x - Math.E ** -x) / (Math.E ** x + Math.E ** -x), low: -3, high: 3 },
  Exp: { f: (x) => Math.E ** x, low: -3, high: 3 },
  Log: { f: (x) => Math.log(x), low: 0.1, high: 10 },
  Sqrt: { f: (x) => x ** 0.5, low: 0, high: 10 },
  Reciprocal: { f: (x) => 1 / x, low: 0.25, high: 4 },
  Neg: { f: (x) => 0 - x, low: -5, high: 5 },
  Abs: { f: (x) => (x < 0 ? -x : x), low: -5, high: 5 },
  Identity: { f: (x) => x, low: -5, high: 5 },
};
const OPS = Object.keys(CASES) as UnaryOp[];

describe('unary ops: reference against hand formulas', () => {
  it.each(OPS)('%s', (op) => {
    const { f, low, high } = CASES[op];
    const values = [0, 0.25, 0.5, 0.75, 1].map((t) => low + (high - low) * t);
    const r = reference(op, fromFloat64('float64', [5], values));
    const expected = values.map(f);
    r.data.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 12));
  });

  it('IEEE edge cases: log(0) = -inf, sqrt(-1) = NaN, 1/0 = inf, sigmoid saturates', () => {
    expect(reference('Log', fromFloat64('float64', [1], [0])).data[0]).toBe(-Infinity);
    expect(Number.isNaN(reference('Sqrt', fromFloat64('float64', [1], [-1])).data[0])).toBe(true);
    expect(reference('Reciprocal', fromFloat64('float64', [1], [0])).data[0]).toBe(Infinity);
    expect([...reference('Sigmoid', fromFloat64('float64', [2], [-800, 800])).data]).toEqual([0, 1]);
  });

  it('Neg and Abs on int32 are exact', () => {
    const x = fromFloat64('int32', [4], [-3, 0, 7, -2147483647]);
    // + 0 maps the float64 reference's −0 (IEEE negation of 0) to the 0 an integer tensor holds.
    expect(Array.from(reference('Neg', x).data, (v) => v + 0)).toEqual([3, 0, -7, 2147483647]);
    expect([...reference('Abs', x).data]).toEqual([3, 0, 7, 2147483647]);
  });
});

const SHAPES: readonly number[][] = [[], [7], [3, 4], [2, 3, 4], [2, 1, 3, 5], [2, 3, 1, 2, 3]];

describe.each(['float32', 'float64', 'float16'] as const)('unary ops: kiln CPU against the reference (%s)', (dtype) => {
  describe.each(OPS)('%s', (op) => {
    it.each(SHAPES.map((dims) => ({ dims })))('dims $dims', ({ dims }) => {
      const x = randomTensor(dtype, dims, { seed: 3, low: CASES[op].low, high: CASES[op].high });
      const res = runSingleNode(op, [x]);
      verifyGraph(res.graph);
      expect(res.kiln[0].dtype).toBe(dtype);
      expectClose(res.kiln[0], res.reference[0], toleranceFor(dtype), op);
    });
  });
});

describe('unary ops: integer dtypes on kiln CPU', () => {
  it.each([['Neg', 'int32'], ['Neg', 'int64'], ['Neg', 'int8'], ['Abs', 'int32'], ['Abs', 'int64'], ['Abs', 'uint8'], ['Identity', 'int64']] as const)(
    '%s %s is exact',
    (op, dtype) => {
      const x = randomTensor(dtype, [3, 5], { seed: 8, low: dtype === 'uint8' ? 0 : -100, high: 100 });
      const res = runSingleNode(op, [x]);
      expectClose(res.kiln[0], res.reference[0], { rtol: 0, atol: 0 });
    },
  );
});

describe('Identity', () => {
  it('lowers to a view: no kernel runs, any dtype (bool here)', () => {
    const x = fromFloat64('bool', [2, 3], [1, 0, 1, 1, 0, 0]);
    const { graph, feeds } = singleNodeGraph('Identity', [x]);
    const session = new GraphSession(graph);
    expect(session.planFor(new Map([['in0', [2, 3]]])).steps).toHaveLength(0);
    const out = session.runHost(feeds)[graph.outputs[0].name];
    expect(out.dtype).toBe('bool');
    expect([...out.data]).toEqual([1, 0, 1, 1, 0, 0]);
  });
});

describe('unary ops: bad input', () => {
  it.each(['Sigmoid', 'Tanh', 'Exp', 'Log', 'Sqrt', 'Reciprocal'] as const)('%s rejects int32 with a DTypeError', (op) => {
    const build = buildNode(op, 'int32', [2]);
    expect(build).toThrow(DTypeError);
    expect(build).toThrow(new RegExp(`${op} 'bad_node': input 'X' expected dtype one of float32\\|float64\\|float16\\|bfloat16, got int32`));
  });

  it('Neg rejects unsigned and bool inputs; Abs rejects bool', () => {
    expect(buildNode('Neg', 'uint8', [2])).toThrow(DTypeError);
    expect(buildNode('Neg', 'uint8', [2])).toThrow(/Neg 'bad_node': input 'X' expected dtype one of .*int32.*, got uint8/);
    expect(buildNode('Abs', 'bool', [2])).toThrow(/Abs 'bad_node': input 'X' expected dtype one of .*, got bool/);
  });

  it('verifyGraph accepts a chain of every unary op with a symbolic batch dim', () => {
    const b = new GraphBuilder();
    let v = b.input('x', 'float32', ['N', 3]);
    for (const op of OPS) v = b.op(op, [v]);
    expect(v.type.shape).toEqual(['N', 3]);
    expect(() => verifyGraph(b.build([v]))).not.toThrow();
  });
});
