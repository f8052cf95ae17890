// Gather (opset 13): the ONNX doc examples and negative/scalar indices by hand; kiln CPU against the
// reference over axes (negative too), index ranks, int32/int64 indices and int64 data (shape vectors);
// plan-time folding of Shape-like chains; build-time and run-time index errors; parity with onnxruntime-node.

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import type { Value } from '../../compiler/ir/types.js';
import type { DType } from '../../core/dtype.js';
import { ArgumentError, DTypeError, ShapeError } from '../../core/errors.js';
import type { Shape } from '../../core/shape.js';
import { fromFloat64, HostTensor, toFloat64 } from '../../core/tensor.js';
import { GraphSession } from '../../runtime/graph-session.js';
import { runReference } from '../../runtime/reference.js';
import { expectClose } from '../helpers/compare.js';
import { ortAttrsOf, runOrtSingleNode } from '../helpers/ort-single-node.js';
import { randomTensor } from '../helpers/random.js';
import { runSingleNode, singleNodeGraph } from '../helpers/single-node.js';

function build(data: readonly [DType, Shape], indices: readonly [DType, Shape], axis = 0): () => Value {
  return () => {
    const g = new GraphBuilder();
    return g.op('Gather', [g.input('data', data[0], data[1]), g.input('indices', indices[0], indices[1])], { axis }, 'gather_node');
  };
}

const idx = (dims: readonly number[], values: readonly number[], dtype: 'int64' | 'int32' = 'int64'): HostTensor => fromFloat64(dtype, dims, values);

/** Random integer indices in [−size, size) (negative ones included). */
function randomIndices(dims: readonly number[], size: number, seed: number, dtype: 'int64' | 'int32' = 'int64'): HostTensor {
  const u = randomTensor('float64', dims, { seed, low: -size, high: size });
  return fromFloat64(dtype, dims, Array.from(u.data, (v) => Math.min(size - 1, Math.floor(v))));
}

describe('Gather reference against hand values', () => {
  it('ONNX example 1: axis 0', () => {
    const data = fromFloat64('float32', [3, 2], [1.0, 1.2, 2.3, 3.4, 4.5, 5.7]);
    const r = runSingleNode('Gather', [data, idx([2, 2], [0, 1, 1, 2])]);
    expect(r.reference[0].dims).toEqual([2, 2, 2]);
    expect([...r.kiln[0].data]).toEqual([...fromFloat64('float32', [8], [1.0, 1.2, 2.3, 3.4, 2.3, 3.4, 4.5, 5.7]).data]);
  });

  it('ONNX example 2: axis 1', () => {
    const data = fromFloat64('float64', [3, 3], [1.0, 1.2, 1.9, 2.3, 3.4, 3.9, 4.5, 5.7, 5.9]);
    const r = runSingleNode('Gather', [data, idx([1, 2], [0, 2])], { axis: 1 });
    expect(r.reference[0].dims).toEqual([3, 1, 2]);
    expect([...r.reference[0].data]).toEqual([1.0, 1.9, 2.3, 3.9, 4.5, 5.9]);
  });

  it('negative indices wrap; a scalar index drops the axis', () => {
    const data = fromFloat64('float32', [2, 3], [0, 1, 2, 10, 11, 12]);
    const neg = runSingleNode('Gather', [data, idx([3], [-1, 0, -3], 'int32')], { axis: -1 });
    expect([...neg.kiln[0].data]).toEqual([2, 0, 0, 12, 10, 10]);
    const scalar = runSingleNode('Gather', [data, idx([], [-1])]);
    expect(scalar.kiln[0].dims).toEqual([3]);
    expect([...scalar.kiln[0].data]).toEqual([10, 11, 12]);
  });

  it('int64 data: Shape → Gather picks a dim as int64', () => {
    const shape = fromFloat64('int64', [4], [8, 3, 224, 2 ** 40]);
    const r = runSingleNode('Gather', [shape, idx([], [3])]);
    expect(r.kiln[0].dtype).toBe('int64');
    expect(r.kiln[0].dims).toEqual([]);
    expect([...r.kiln[0].data]).toEqual([2n ** 40n]);
  });
});

type Case = readonly [string, readonly number[], readonly number[], number, 'int32' | 'int64'];

const CASES: readonly Case[] = [
  ['axis 0, 1-D indices', [5, 3, 4], [4], 0, 'int64'],
  ['axis 1, 2-D indices', [2, 6, 3], [2, 3], 1, 'int64'],
  ['axis -1, int32 indices', [3, 4, 7], [5], -1, 'int32'],
  ['axis 2 of 4-D', [2, 3, 5, 4], [3, 2], 2, 'int64'],
  ['axis -4 with scalar index', [3, 2, 2, 2], [], -4, 'int64'],
  ['repeated indices', [4, 5], [10], 1, 'int32'],
];

describe('Gather kiln CPU against the reference', () => {
  it.each(CASES)('%s', (_n, dims, idxDims, axis, idxType) => {
    const size = dims[(axis + dims.length) % dims.length];
    const r = runSingleNode('Gather', [randomTensor('float32', dims, { seed: 3 }), randomIndices(idxDims, size, 4, idxType)], { axis });
    expectClose(r.kiln[0], r.reference[0], { rtol: 1e-5, atol: 1e-5 });
  });

  it.each(['int64', 'int32', 'float64', 'float16', 'bool'] as const)('%s data', (dtype) => {
    const data = randomTensor(dtype, [4, 5], { seed: 6, low: -1000, high: 1000 });
    const r = runSingleNode('Gather', [data, randomIndices([3, 2], 5, 8)], { axis: 1 });
    expect(r.kiln[0].dtype).toBe(dtype);
    expectClose(r.kiln[0], r.reference[0], { rtol: 0, atol: 0 });
  });

  it('Gather on a constant shape vector folds at plan time (Shape → Gather → Concat → Reshape)', () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', [2, 3, 4]);
    const shape = g.initializer('shape', fromFloat64('int64', [3], [2, 3, 4]));
    const first = g.op('Gather', [shape, g.initializer('i0', idx([1], [0]))], {}, 'gather_n');
    const minus1 = g.initializer('m1', fromFloat64('int64', [1], [-1]));
    const target = g.op('Concat', [first, minus1], { axis: 0 }, 'concat_shape');
    const y = g.op('Reshape', [x, target], {}, 'flatten');
    const graph = g.build([y]);
    const session = new GraphSession(graph);
    const plan = session.planFor(new Map([['x', [2, 3, 4]]]));
    expect(plan.steps).toEqual([]);
    const feed = randomTensor('float32', [2, 3, 4], { seed: 2 });
    expect(session.runHost({ x: feed })[graph.outputs[0].name].dims).toEqual([2, 12]);
  });

  it('symbolic dims pass through', () => {
    const g = new GraphBuilder();
    const y = g.op('Gather', [g.input('d', 'float32', ['n', 5, 'k']), g.input('i', 'int64', ['b', 2])], { axis: 1 }, 'gs');
    expect(y.type.shape).toEqual(['n', 'b', 2, 'k']);
  });
});

describe('Gather typed errors', () => {
  it('indices dtype', () => {
    const f = build(['float32', [3, 4]], ['float32', [2]]);
    expect(f).toThrow(DTypeError);
    expect(f).toThrow(/Gather 'gather_node': input 'indices' expected dtype one of int32\|int64, got float32/);
  });

  it('axis out of range and rank-0 data', () => {
    const f = build(['float32', [3, 4]], ['int64', [2]], 2);
    expect(f).toThrow(ArgumentError);
    expect(f).toThrow(/Gather 'gather_node': argument 'axis' expected an integer in \[-2, 1\], got 2/);
    const s = build(['float32', []], ['int64', []]);
    expect(s).toThrow(ShapeError);
    expect(s).toThrow(/Gather 'gather_node': input 'data' expected shape rank >= 1, got \[\] \(rank 0\)/);
  });

  it('constant indices out of range fail at build time', () => {
    const f = () => singleNodeGraph('Gather', [randomTensor('float32', [3, 4], { seed: 1 }), { tensor: idx([3], [0, -5, 1]), constant: true }], { axis: 1 });
    expect(f).toThrow(ArgumentError);
    expect(f).toThrow(/Gather 'gather_node': argument 'indices' expected values in \[-4, 3\] \(data axis 1 has size 4\), got -5 at position 1/);
  });

  it('run-time indices out of range fail in the CPU routine and in the reference, naming the node', () => {
    const { graph, feeds } = singleNodeGraph('Gather', [randomTensor('float32', [3, 4], { seed: 1 }), idx([2], [1, 3])]);
    const run = () => new GraphSession(graph).runHost(feeds);
    expect(run).toThrow(ArgumentError);
    expect(run).toThrow(/Gather 'gather_node': argument 'indices' expected values in \[-3, 2\] \(data axis 0 has size 3\), got 3 at position 1/);
    expect(() => runReference(graph, feeds)).toThrow(/Gather 'gather_node': argument 'indices' expected values in \[-3, 2\].*got 3 at position 1/);
  });
});

describe('Gather parity with onnxruntime-node', () => {
  it.each(CASES)('%s', async (_n, dims, idxDims, axis, idxType) => {
    const size = dims[(axis + dims.length) % dims.length];
    const data = randomTensor('float32', dims, { seed: 13 });
    const indices = randomIndices(idxDims, size, 14, idxType);
    const kiln = runSingleNode('Gather', [data, indices], { axis }).kiln[0];
    const [ort] = await runOrtSingleNode({ op: 'Gather', inputs: [data, indices], attrs: ortAttrsOf('Gather', { axis }) });
    expectClose(kiln, toFloat64(ort), { rtol: 1e-4, atol: 1e-5 }, 'kiln vs onnxruntime');
  });

  it('int64 data', async () => {
    const data = fromFloat64('int64', [2, 3], [1, 2 ** 35, -3, 4, 5, -(2 ** 41)]);
    const indices = idx([2], [-1, 0]);
    const kiln = runSingleNode('Gather', [data, indices], { axis: 1 }).kiln[0];
    const [ort] = await runOrtSingleNode({ op: 'Gather', inputs: [data, indices], attrs: ortAttrsOf('Gather', { axis: 1 }) });
    expect(ort.dims).toEqual(kiln.dims);
    expect([...kiln.data]).toEqual([...ort.data]);
  });
});
