// Binary elementwise ops (Sub, Mul, Div, Pow) and the variadic Max/Min: the float64 reference against
// formulas written here, kiln CPU against the reference over broadcasting shapes and dtypes, typed errors.

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import type { Value } from '../../compiler/ir/types.js';
import { verifyGraph } from '../../compiler/ir/verify.js';
import type { DType } from '../../core/dtype.js';
import { DTypeError, ShapeError } from '../../core/errors.js';
import { Shape, sizeOf, stridesOf } from '../../core/shape.js';
import { F64Tensor, fromFloat64, HostTensor, toFloat64 } from '../../core/tensor.js';
import type { OpAttrs, OpName } from '../../ops/op-attrs.js';
import { runReference } from '../../runtime/reference.js';
import { expectClose, toleranceFor } from '../helpers/compare.js';
import { randomTensor } from '../helpers/random.js';
import { runSingleNode, singleNodeGraph } from '../helpers/single-node.js';

type BinaryOp = 'Sub' | 'Mul' | 'Div' | 'Pow';
type ExtremumOp = 'Max' | 'Min';

function reference(op: OpName, inputs: readonly HostTensor[]): F64Tensor {
  const { graph, feeds } = singleNodeGraph(op, inputs);
  return runReference(graph, feeds).outputs[graph.outputs[0].name];
}

/** Builds one `op` node on fresh graph inputs each call (a failed node still reserves its name). */
function buildNode<K extends OpName>(op: K, inputs: readonly (readonly [DType, Shape])[], attrs: Partial<OpAttrs[K]> = {}, name = 'bad_node'): () => Value {
  return () => {
    const b = new GraphBuilder();
    return b.op(op, inputs.map(([d, sh], i) => b.input(`in${i}`, d, sh)), attrs, name);
  };
}

/** Plain-loop numpy broadcasting written independently of ops/f64.ts: out[i] = f(a[ia], b[ib], ...). */
function broadcastByHand(outDims: readonly number[], ts: readonly F64Tensor[], f: (...xs: number[]) => number): Float64Array {
  const out = new Float64Array(sizeOf(outDims));
  const outStrides = stridesOf(outDims);
  for (let i = 0; i < out.length; i++) {
    const coord = outDims.map((d, k) => Math.floor(i / outStrides[k]) % d);
    const args = ts.map((t) => {
      const s = stridesOf(t.dims);
      const off = outDims.length - t.dims.length;
      let j = 0;
      t.dims.forEach((d, k) => (j += d === 1 ? 0 : coord[k + off] * s[k]));
      return t.data[j];
    });
    out[i] = f(...args);
  }
  return out;
}

const FORMULA: { readonly [K in BinaryOp]: (a: number, b: number) => number } = {
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Div: (a, b) => a / b,
  Pow: (a, b) => a ** b,
};

describe('binary ops: reference against hand formulas', () => {
  const a = fromFloat64('float64', [2, 3], [1, 2, 3, -4, 5.5, 0.5]);
  const b = fromFloat64('float64', [3], [2, -0.5, 4]);
  it.each(Object.keys(FORMULA) as BinaryOp[])('%s broadcasts [2,3] with [3]', (op) => {
    const r = reference(op, [a, b]);
    const expected = [0, 1, 2, 3, 4, 5].map((i) => FORMULA[op](a.data[i], b.data[i % 3]));
    expect([...r.dims]).toEqual([2, 3]);
    expect([...r.data]).toEqual(expected);
  });

  it('Sub and Div broadcast both ways ([2,1] with [1,3])', () => {
    const x = fromFloat64('float64', [2, 1], [10, 20]);
    const y = fromFloat64('float64', [1, 3], [1, 2, 4]);
    expect([...reference('Sub', [x, y]).data]).toEqual([9, 8, 6, 19, 18, 16]);
    expect([...reference('Div', [x, y]).data]).toEqual([10, 5, 2.5, 20, 10, 5]);
  });

  it('integer Div truncates toward zero', () => {
    const x = fromFloat64('int32', [4], [7, -7, 7, -7]);
    const y = fromFloat64('int32', [4], [2, 2, -2, -2]);
    expect([...reference('Div', [x, y]).data]).toEqual([3, -3, -3, 3]);
  });

  it('Pow follows IEEE pow on edge cases', () => {
    const x = fromFloat64('float64', [4], [0, -8, 4, 2]);
    const y = fromFloat64('float64', [4], [0, 1 / 3, 0.5, -1]);
    const r = reference('Pow', [x, y]);
    expect(r.data[0]).toBe(1);
    expect(Number.isNaN(r.data[1])).toBe(true); // negative base, non-integer exponent
    expect(r.data[2]).toBe(2);
    expect(r.data[3]).toBe(0.5);
  });

  it('Max and Min take 1..3 inputs with broadcasting and propagate NaN', () => {
    const x = fromFloat64('float64', [2, 3], [1, 5, NaN, -2, 0, 3]);
    const y = fromFloat64('float64', [3], [2, 2, 2]);
    const z = fromFloat64('float64', [2, 1], [4, -5]);
    expect([...reference('Max', [x]).data]).toEqual([...x.data]);
    const max3 = reference('Max', [x, y, z]);
    const min3 = reference('Min', [x, y, z]);
    const ts = [x, y, z].map(toFloat64);
    expect([...max3.data]).toEqual([...broadcastByHand([2, 3], ts, (p, q, r) => (Number.isNaN(p) ? NaN : Math.max(p, q, r)))]);
    expect([...min3.data]).toEqual([...broadcastByHand([2, 3], ts, (p, q, r) => (Number.isNaN(p) ? NaN : Math.min(p, q, r)))]);
    expect(Number.isNaN(max3.data[2]) && Number.isNaN(min3.data[2])).toBe(true);
  });
});

/** Shape pairs covering ranks 0..5, broadcasting on either side, size-1 dims in the middle. */
const SHAPES: readonly (readonly [number[], number[]])[] = [
  [[], []],
  [[5], []],
  [[], [4]],
  [[2, 3], [3]],
  [[2, 1, 4], [3, 1]],
  [[4, 1, 3, 2], [1, 5, 1, 2]],
  [[2, 3, 1, 2, 3], [3, 4, 1, 3]],
  [[1, 2, 3, 4, 5], [1, 2, 3, 4, 5]],
];

/** Input ranges that keep each op well-conditioned (no division by ~0, positive bases for Pow). */
const RANGE: { readonly [K in BinaryOp]: { a: [number, number]; b: [number, number] } } = {
  Sub: { a: [-2, 2], b: [-2, 2] },
  Mul: { a: [-2, 2], b: [-2, 2] },
  Div: { a: [-2, 2], b: [0.5, 2] },
  Pow: { a: [0.5, 2], b: [-2, 2] },
};

describe.each(['float32', 'float64', 'float16'] as const)('binary ops: kiln CPU against the reference (%s)', (dtype) => {
  describe.each(Object.keys(RANGE) as BinaryOp[])('%s', (op) => {
    it.each(SHAPES.map(([x, y]) => ({ x, y })))('$x with $y', ({ x, y }) => {
      const a = randomTensor(dtype, x, { seed: 11, low: RANGE[op].a[0], high: RANGE[op].a[1] });
      const b = randomTensor(dtype, y, { seed: 12, low: RANGE[op].b[0], high: RANGE[op].b[1] });
      const res = runSingleNode(op, [a, b]);
      verifyGraph(res.graph);
      expect(res.kiln[0].dtype).toBe(dtype);
      expectClose(res.kiln[0], res.reference[0], toleranceFor(dtype), op);
    });
  });

  describe.each(['Max', 'Min'] as ExtremumOp[])('%s', (op) => {
    const cases: { dims: number[][] }[] = [{ dims: [[3, 4]] }, { dims: [[2, 3], [3]] }, { dims: [[2, 1, 4], [3, 1], [1, 1, 1, 4]] }, { dims: [[], [2, 2, 1, 2, 3], [2, 3]] }];
    it.each(cases)('inputs $dims', ({ dims }) => {
      const inputs = dims.map((d, i) => randomTensor(dtype, d, { seed: 20 + i, low: -3, high: 3 }));
      const res = runSingleNode(op, inputs);
      expectClose(res.kiln[0], res.reference[0], toleranceFor(dtype), op);
    });
  });
});

describe('binary ops: integer dtypes on kiln CPU', () => {
  it.each(['int32', 'int64'] as const)('Div %s truncates toward zero like the reference', (dtype) => {
    const a = fromFloat64(dtype, [2, 3], [7, -7, 9, 1, -1, 100]);
    const b = fromFloat64(dtype, [3], [2, 2, -4]);
    const res = runSingleNode('Div', [a, b]);
    const expected = [0, 1, 2, 3, 4, 5].map((i) => Math.trunc(toFloat64(a).data[i] / toFloat64(b).data[i % 3]));
    expectClose(res.kiln[0], res.reference[0], { rtol: 0, atol: 0 });
    expect([...res.reference[0].data]).toEqual(expected);
  });

  it.each(['Sub', 'Mul', 'Max', 'Min'] as const)('%s int32 is exact', (op) => {
    const a = randomTensor('int32', [3, 4], { seed: 5, low: -50, high: 50 });
    const b = randomTensor('int32', [4], { seed: 6, low: -50, high: 50 });
    const res = runSingleNode(op, [a, b]);
    expectClose(res.kiln[0], res.reference[0], { rtol: 0, atol: 0 });
  });
});

describe('binary ops: bad input', () => {
  it.each(['Sub', 'Mul', 'Div', 'Pow'] as BinaryOp[])('%s: shapes that do not broadcast are a ShapeError', (op) => {
    const build = buildNode(op, [['float32', [2, 3]], ['float32', [4]]]);
    expect(build).toThrow(ShapeError);
    expect(build).toThrow(new RegExp(`${op} 'bad_node': input 'B' expected shape broadcastable with \\[2,3\\], got \\[4\\]`));
  });

  it.each(['Sub', 'Mul', 'Div', 'Pow'] as BinaryOp[])('%s: mixed dtypes are a DTypeError', (op) => {
    const build = buildNode(op, [['float32', [2]], ['float64', [2]]]);
    expect(build).toThrow(DTypeError);
    expect(build).toThrow(/'bad_node': input 'B' expected dtype float32 \(same as 'A'\), got float64/);
  });

  it('Pow rejects integer inputs (same-type float only in kiln)', () => {
    const build = buildNode('Pow', [['int32', [2]], ['int32', [2]]]);
    expect(build).toThrow(DTypeError);
    expect(build).toThrow(/'bad_node': input 'A' expected dtype one of float32\|float64\|float16\|bfloat16, got int32/);
  });

  it('Max names the variadic input that fails to broadcast', () => {
    const build = buildNode('Max', [['float32', [2, 3]], ['float32', [3]], ['float32', [2, 2]]]);
    expect(build).toThrow(ShapeError);
    expect(build).toThrow(/Max 'bad_node': input 'data_2' expected shape broadcastable with \[2,3\], got \[2,2\]/);
  });

  it('Min rejects a variadic input of another dtype, and no inputs at all', () => {
    const build = buildNode('Min', [['float32', [2]], ['int32', [2]]]);
    expect(build).toThrow(DTypeError);
    expect(build).toThrow(/'bad_node': input 'data_1' expected dtype float32 \(same as 'data_0'\), got int32/);
    expect(buildNode('Min', [])).toThrow(/'bad_node': argument 'data_0' expected input 0 to be present/);
  });

  it('verifyGraph accepts a graph of every binary op', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', [2, 3]);
    const y = b.input('y', 'float32', [3]);
    let v = x;
    for (const op of ['Sub', 'Mul', 'Div', 'Pow'] as const) v = b.op(op, [v, y]);
    v = b.op('Max', [v, x, y]);
    v = b.op('Min', [v]);
    expect(() => verifyGraph(b.build([v]))).not.toThrow();
  });
});
