// Concat (opset 13): the reference against hand values; kiln CPU against the reference over every axis
// (negative too), many inputs, empty inputs, int64 data; plan-time folding of constant int64 shape
// pieces into Reshape; typed errors; parity with onnxruntime-node.

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import type { Value } from '../../compiler/ir/types.js';
import type { DType } from '../../core/dtype.js';
import { ArgumentError, DTypeError, ShapeError } from '../../core/errors.js';
import type { Shape } from '../../core/shape.js';
import { fromFloat64, HostTensor, toFloat64 } from '../../core/tensor.js';
import { GraphSession } from '../../runtime/graph-session.js';
import { expectClose } from '../helpers/compare.js';
import { ortAttrsOf, runOrtSingleNode } from '../helpers/ort-single-node.js';
import { randomTensor } from '../helpers/random.js';
import { runSingleNode } from '../helpers/single-node.js';

function build(inputs: readonly (readonly [DType, Shape])[], axis: number): () => Value {
  return () => {
    const g = new GraphBuilder();
    return g.op('Concat', inputs.map(([d, s], i) => g.input(`in${i}`, d, s)), { axis }, 'concat_node');
  };
}

const t = (dims: readonly number[], values: readonly number[]): HostTensor => fromFloat64('float32', dims, values);

describe('Concat reference against hand values', () => {
  it('axis 0 stacks rows', () => {
    const r = runSingleNode('Concat', [t([1, 2], [1, 2]), t([2, 2], [3, 4, 5, 6])], { axis: 0 });
    expect(r.reference[0].dims).toEqual([3, 2]);
    expect([...r.reference[0].data]).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('axis -1 joins each row', () => {
    const r = runSingleNode('Concat', [t([2, 1], [1, 2]), t([2, 2], [3, 4, 5, 6]), t([2, 0], [])], { axis: -1 });
    expect(r.reference[0].dims).toEqual([2, 3]);
    expect([...r.reference[0].data]).toEqual([1, 3, 4, 2, 5, 6]);
    expect([...r.kiln[0].data]).toEqual([1, 3, 4, 2, 5, 6]);
  });

  it('middle axis of a 3-D tensor', () => {
    const a = t([2, 1, 2], [1, 2, 3, 4]);
    const b = t([2, 2, 2], [10, 20, 30, 40, 50, 60, 70, 80]);
    const r = runSingleNode('Concat', [a, b], { axis: 1 });
    expect([...r.reference[0].data]).toEqual([1, 2, 10, 20, 30, 40, 3, 4, 50, 60, 70, 80]);
  });
});

describe('Concat kiln CPU against the reference', () => {
  it.each([0, 1, 2, 3, -1, -2, -3, -4])('three 4-D inputs, axis %i', (axis) => {
    const base = [2, 3, 4, 5];
    const dims = [2, 1, 3].map((n) => base.map((d, i) => (i === (axis + 4) % 4 ? n : d)));
    const xs = dims.map((d, k) => randomTensor('float32', d, { seed: 10 + k }));
    const r = runSingleNode('Concat', xs, { axis });
    expectClose(r.kiln[0], r.reference[0], { rtol: 1e-5, atol: 1e-5 });
  });

  it('int64 data (shape pieces) and an empty input', () => {
    const xs = [fromFloat64('int64', [2], [1, -1]), fromFloat64('int64', [0], []), fromFloat64('int64', [3], [2 ** 40, 7, 0])];
    const r = runSingleNode('Concat', xs, { axis: 0 });
    expect(r.kiln[0].dtype).toBe('int64');
    expect([...r.kiln[0].data]).toEqual([1n, -1n, 2n ** 40n, 7n, 0n]);
    expectClose(r.kiln[0], r.reference[0], { rtol: 0, atol: 0 });
  });

  it.each(['float64', 'float16', 'int32', 'uint8', 'bool'] as const)('%s data', (dtype) => {
    const xs = [randomTensor(dtype, [2, 3], { seed: 1, low: 0, high: 5 }), randomTensor(dtype, [2, 2], { seed: 2, low: 0, high: 5 })];
    const r = runSingleNode('Concat', xs, { axis: 1 });
    expect(r.kiln[0].dtype).toBe(dtype);
    expectClose(r.kiln[0], r.reference[0], { rtol: 0, atol: 0 });
  });

  it('a single input is a view', () => {
    const x = randomTensor('float32', [2, 3], { seed: 3 });
    const r = runSingleNode('Concat', [x], { axis: 1 });
    expect([...r.kiln[0].data]).toEqual([...x.data]);
  });

  it('constant int64 pieces fold at plan time into a Reshape target', () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', [2, 3, 4]);
    const a = g.initializer('a', fromFloat64('int64', [1], [2]));
    const b = g.initializer('b', fromFloat64('int64', [1], [-1]));
    const shape = g.op('Concat', [a, b], { axis: 0 }, 'shape_concat');
    const y = g.op('Reshape', [x, shape], {}, 'reshape');
    const graph = g.build([y]);
    const session = new GraphSession(graph);
    const plan = session.planFor(new Map([['x', [2, 3, 4]]]));
    expect(plan.steps.filter((s) => s.kind === 'routine' && s.call.routine === 'concat')).toEqual([]);
    const feed = randomTensor('float32', [2, 3, 4], { seed: 4 });
    const out = session.runHost({ x: feed })[graph.outputs[0].name];
    expect(out.dims).toEqual([2, 12]);
    expect([...out.data]).toEqual([...feed.data]);
  });

  it('symbolic dims along the axis', () => {
    const g = new GraphBuilder();
    const one = g.op('Concat', [g.input('a', 'float32', ['n', 3]), g.input('b', 'float32', ['n', 0])], { axis: 1 }, 'c1');
    expect(one.type.shape).toEqual(['n', 3]);
    const sym = g.op('Concat', [g.input('c', 'float32', ['n', 3]), g.input('d', 'float32', [2, 3])], { axis: 0 }, 'c2');
    expect(sym.type.shape).toEqual(['c2_concat0', 3]);
    const kept = g.op('Concat', [g.input('e', 'float32', ['n', 1]), g.input('f', 'float32', [0, 1])], { axis: 0 }, 'c3');
    expect(kept.type.shape).toEqual(['n', 1]);
  });
});

describe('Concat typed errors', () => {
  it('dtype mismatch', () => {
    const f = build([['float32', [2, 3]], ['float64', [2, 3]]], 0);
    expect(f).toThrow(DTypeError);
    expect(f).toThrow(/Concat 'concat_node': input 'inputs\[1\]' expected dtype float32 \(same as 'inputs\[0\]'\), got float64/);
  });

  it('rank mismatch', () => {
    const f = build([['float32', [2, 3]], ['float32', [2, 3, 1]]], 0);
    expect(f).toThrow(ShapeError);
    expect(f).toThrow(/input 'inputs\[1\]' expected shape rank 2 \(same as 'inputs\[0\]' \[2,3\]\), got \[2,3,1\] \(rank 3\)/);
  });

  it('other dims disagree', () => {
    const f = build([['float32', [2, 3]], ['float32', [4, 3]], ['float32', [2, 4]]], 0);
    expect(f).toThrow(ShapeError);
    expect(f).toThrow(/input 'inputs\[2\]' expected shape \[\*,3\] \(all dims but axis 0 equal to the other inputs'\), got \[2,4\]/);
  });

  it('axis out of range and missing', () => {
    const f = build([['float32', [2, 3]]], 2);
    expect(f).toThrow(ArgumentError);
    expect(f).toThrow(/Concat 'concat_node': argument 'axis' expected an integer in \[-2, 1\], got 2/);
    expect(() => {
      const g = new GraphBuilder();
      g.op('Concat', [g.input('x', 'float32', [2])], {}, 'concat_node');
    }).toThrow(/argument 'axis' expected a value \(required attribute\), got nothing/);
    expect(build([['float32', []]], 0)).toThrow(/argument 'axis' expected an integer in \[0, -1\], got 0/);
  });
});

describe('Concat parity with onnxruntime-node', () => {
  it.each([
    ['axis 1 of 4-D', [[2, 3, 4, 5], [2, 1, 4, 5], [2, 2, 4, 5]], 1],
    ['axis -1', [[3, 2], [3, 5]], -1],
    ['axis 0 of 3-D', [[1, 2, 3], [4, 2, 3]], 0],
    ['axis -2 of 3-D', [[2, 2, 3], [2, 4, 3], [2, 1, 3], [2, 1, 3]], -2],
  ] as const)('%s', async (_n, dims, axis) => {
    const xs = dims.map((d, k) => randomTensor('float32', d, { seed: 50 + k }));
    const kiln = runSingleNode('Concat', xs, { axis }).kiln[0];
    const [ort] = await runOrtSingleNode({ op: 'Concat', inputs: xs, attrs: ortAttrsOf('Concat', { axis }) });
    expectClose(kiln, toFloat64(ort), { rtol: 1e-4, atol: 1e-5 }, 'kiln vs onnxruntime');
  });

  it('int64', async () => {
    const xs = [fromFloat64('int64', [2, 1], [3, -4]), fromFloat64('int64', [2, 2], [5, 6, 2 ** 33, -1])];
    const kiln = runSingleNode('Concat', xs, { axis: 1 }).kiln[0];
    const [ort] = await runOrtSingleNode({ op: 'Concat', inputs: xs, attrs: ortAttrsOf('Concat', { axis: 1 }) });
    expect(ort.dims).toEqual(kiln.dims);
    expect([...kiln.data]).toEqual([...ort.data]);
  });
});
