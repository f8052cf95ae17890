// Squeeze, Unsqueeze, Shape, Constant, ConstantOfShape and Dropout: the float64 reference against hand
// values, kiln CPU against the reference (views, literals, plan-time folding, dtypes, negative axes),
// typed errors, symbolic dims, and single-node parity with onnxruntime-node.

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import type { Value } from '../../compiler/ir/types.js';
import { verifyGraph } from '../../compiler/ir/verify.js';
import type { DType } from '../../core/dtype.js';
import { ArgumentError, DTypeError, ShapeError, UnsupportedOpError } from '../../core/errors.js';
import type { Shape } from '../../core/shape.js';
import { F64Tensor, fromFloat64, hostTensor, HostTensor, toFloat64 } from '../../core/tensor.js';
import type { OpAttrs, OpName } from '../../ops/op-attrs.js';
import { GraphSession } from '../../runtime/graph-session.js';
import { runReference } from '../../runtime/reference.js';
import { expectClose, toleranceFor } from '../helpers/compare.js';
import { A, OrtAttr, runOrtSingleNode } from '../helpers/ort-single-node.js';
import { randomTensor } from '../helpers/random.js';
import { runSingleNode, singleNodeGraph } from '../helpers/single-node.js';

function reference<K extends OpName>(op: K, inputs: readonly (HostTensor | { tensor: HostTensor; constant: boolean })[], attrs: Partial<OpAttrs[K]> = {}, outputs = 1): F64Tensor[] {
  const { graph, feeds } = singleNodeGraph(op, inputs, attrs, outputs);
  const r = runReference(graph, feeds);
  return graph.outputs.map((v) => r.outputs[v.name]);
}

function i64(values: readonly number[]): HostTensor {
  return fromFloat64('int64', [values.length], values);
}

/** Builds one `op` node on fresh graph inputs each call. */
function buildNode<K extends OpName>(op: K, inputs: readonly (readonly [DType, Shape])[], attrs: Partial<OpAttrs[K]> = {}, outputs = 1, name = 'bad_node'): () => Value[] {
  return () => {
    const b = new GraphBuilder();
    return b.node(op, inputs.map(([d, sh], i) => b.input(`in${i}`, d, sh)), attrs, { name, outputs });
  };
}

/** Number of kernel steps kiln's CPU plan runs for a graph at its inputs' dims. */
function stepCount(graph: ReturnType<typeof singleNodeGraph>['graph'], feeds: Record<string, HostTensor>): number {
  return new GraphSession(graph).planFor(new Map(Object.entries(feeds).map(([k, t]) => [k, t.dims]))).steps.length;
}

const ALL_DTYPES = ['float32', 'float64', 'float16', 'int64', 'int32', 'bool'] as const;

describe('shape ops: reference against hand values', () => {
  const x = fromFloat64('float64', [1, 3, 1, 2], [1, 2, 3, 4, 5, 6]);

  it('Squeeze removes the named size-1 axes, or all of them', () => {
    expect(reference('Squeeze', [x])[0].dims).toEqual([3, 2]);
    expect(reference('Squeeze', [x], { axes: [] })[0].dims).toEqual([3, 2]);
    expect(reference('Squeeze', [x], { axes: [0] })[0].dims).toEqual([3, 1, 2]);
    expect(reference('Squeeze', [x], { axes: [-2] })[0].dims).toEqual([1, 3, 2]);
    expect(reference('Squeeze', [x], { axes: [2, -4] })[0].dims).toEqual([3, 2]);
    expect([...reference('Squeeze', [x])[0].data]).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('Unsqueeze inserts size-1 axes at output positions', () => {
    const y = fromFloat64('float64', [3, 4], Array.from({ length: 12 }, (_, i) => i));
    expect(reference('Unsqueeze', [y], { axes: [0] })[0].dims).toEqual([1, 3, 4]);
    expect(reference('Unsqueeze', [y], { axes: [0, -1] })[0].dims).toEqual([1, 3, 4, 1]);
    expect(reference('Unsqueeze', [y], { axes: [3, 1] })[0].dims).toEqual([3, 1, 4, 1]);
    expect(reference('Unsqueeze', [y], { axes: [-2] })[0].dims).toEqual([3, 1, 4]);
    expect(reference('Unsqueeze', [y], { axes: [-3] })[0].dims).toEqual([1, 3, 4]);
    expect(reference('Unsqueeze', [y], { axes: [1, 2] })[0].dims).toEqual([3, 1, 1, 4]);
    expect(reference('Unsqueeze', [fromFloat64('float64', [], [5])], { axes: [0] })[0].dims).toEqual([1]);
    expect([...reference('Unsqueeze', [y], { axes: [0, -1] })[0].data]).toEqual([...y.data]);
  });

  it('Shape returns the dims, sliced by start/end with negative indices and clamping', () => {
    const t = fromFloat64('float32', [2, 3, 4, 5], new Array(120).fill(0));
    const dimsOf = (attrs: Partial<OpAttrs['Shape']>): number[] => [...reference('Shape', [t], attrs)[0].data];
    expect(dimsOf({})).toEqual([2, 3, 4, 5]);
    expect(dimsOf({ start: 1 })).toEqual([3, 4, 5]);
    expect(dimsOf({ end: -1 })).toEqual([2, 3, 4]);
    expect(dimsOf({ start: -2, end: -1 })).toEqual([4]);
    expect(dimsOf({ start: 3, end: 1 })).toEqual([]);
    expect(dimsOf({ start: -10, end: 10 })).toEqual([2, 3, 4, 5]);
    expect(dimsOf({ start: 4 })).toEqual([]);
    expect([...reference('Shape', [fromFloat64('float32', [], [1])])[0].data]).toEqual([]);
  });

  it('Constant returns its value', () => {
    const value = fromFloat64('int32', [2, 2], [1, -2, 3, -4]);
    const [r] = reference('Constant', [], { value });
    expect(r.dims).toEqual([2, 2]);
    expect([...r.data]).toEqual([1, -2, 3, -4]);
  });

  it('ConstantOfShape fills the given dims with value (default float32 0); [] gives a scalar', () => {
    const shape = { tensor: i64([2, 3]), constant: true };
    const [r] = reference('ConstantOfShape', [shape], { value: fromFloat64('int32', [1], [7]) });
    expect(r.dims).toEqual([2, 3]);
    expect([...r.data]).toEqual([7, 7, 7, 7, 7, 7]);
    const { graph } = singleNodeGraph('ConstantOfShape', [shape]);
    expect(graph.outputs[0].type).toEqual({ dtype: 'float32', shape: [2, 3] });
    expect([...reference('ConstantOfShape', [shape])[0].data]).toEqual([0, 0, 0, 0, 0, 0]);
    const [s] = reference('ConstantOfShape', [{ tensor: i64([]), constant: true }], { value: fromFloat64('float64', [1], [2.5]) });
    expect(s.dims).toEqual([]);
    expect([...s.data]).toEqual([2.5]);
    expect(reference('ConstantOfShape', [{ tensor: i64([3, 0]), constant: true }])[0].dims).toEqual([3, 0]);
  });

  it('Dropout in inference is the identity with an all-true mask', () => {
    const d = fromFloat64('float64', [2, 3], [1, -2, 3, NaN, 5, 6]);
    const [y, mask] = reference('Dropout', [d], { ratio: 0.3 }, 2);
    expect([...y.data]).toEqual([1, -2, 3, NaN, 5, 6]);
    expect([...mask.data]).toEqual([1, 1, 1, 1, 1, 1]);
    const [z] = reference('Dropout', [d], { training_mode: 1, ratio: 0 });
    expect([...z.data]).toEqual([1, -2, 3, NaN, 5, 6]);
  });
});

describe.each(ALL_DTYPES)('Squeeze/Unsqueeze: kiln CPU views (%s)', (dtype) => {
  const x = randomTensor(dtype, [1, 3, 1, 4, 1], { seed: 5, low: dtype === 'bool' ? 0 : -10, high: 10 });

  it.each([undefined, [0], [-1], [0, 2], [4, -5, 2]].map((axes) => ({ axes })))('Squeeze axes=$axes', ({ axes }) => {
    const attrs = axes === undefined ? {} : { axes };
    const r = runSingleNode('Squeeze', [x], attrs);
    expect(r.kiln[0].dtype).toBe(dtype);
    expectClose(r.kiln[0], r.reference[0], { rtol: 0, atol: 0 }, 'Squeeze');
    const { graph, feeds } = singleNodeGraph('Squeeze', [x], attrs);
    expect(stepCount(graph, feeds)).toBe(0);
  });

  it.each([[0], [-1], [1, 3], [-7, 0, 6], [2, -2]].map((axes) => ({ axes })))('Unsqueeze axes=$axes', ({ axes }) => {
    const r = runSingleNode('Unsqueeze', [x], { axes });
    expect(r.kiln[0].dtype).toBe(dtype);
    expect(r.kiln[0].dims.length).toBe(5 + axes.length);
    expectClose(r.kiln[0], r.reference[0], { rtol: 0, atol: 0 }, 'Unsqueeze');
    const { graph, feeds } = singleNodeGraph('Unsqueeze', [x], { axes });
    expect(stepCount(graph, feeds)).toBe(0);
  });
});

describe('Shape, Constant, ConstantOfShape, Dropout: kiln CPU against the reference', () => {
  it.each([{}, { start: 1 }, { end: -2 }, { start: -3, end: 4 }, { start: 2, end: 2 }])('Shape %j lowers to a literal', (attrs) => {
    const x = randomTensor('float16', [2, 3, 4, 5], { seed: 6 });
    const r = runSingleNode('Shape', [x], attrs);
    expect(r.kiln[0].dtype).toBe('int64');
    expectClose(r.kiln[0], r.reference[0], { rtol: 0, atol: 0 }, 'Shape');
    const { graph, feeds } = singleNodeGraph('Shape', [x], attrs);
    expect(stepCount(graph, feeds)).toBe(0);
  });

  it.each(ALL_DTYPES)('Constant %s (folded, and lowered as a literal above the fold limit)', (dtype) => {
    for (const dims of [[2, 3], [300, 300]]) {
      const value = randomTensor(dtype, dims, { seed: 7, low: dtype === 'bool' ? 0 : -100, high: 100 });
      const r = runSingleNode('Constant', [], { value });
      expect(r.kiln[0].dtype).toBe(dtype);
      expectClose(r.kiln[0], toFloat64(value), { rtol: 0, atol: 0 }, 'Constant');
      expectClose(r.kiln[0], r.reference[0], { rtol: 0, atol: 0 }, 'Constant');
    }
  });

  it('Constant keeps int64 values beyond 2^53 exact when lowered', () => {
    const big = 2n ** 62n + 1n;
    const value = hostTensor('int64', [300, 300], new BigInt64Array(90000).fill(big));
    const r = runSingleNode('Constant', [], { value });
    expect(r.kiln[0].data[0]).toBe(big);
  });

  it.each(ALL_DTYPES)('ConstantOfShape value:%s (folded, and as a kernel above the fold limit)', (dtype) => {
    const value = fromFloat64(dtype, [1], [dtype === 'bool' ? 1 : -3.5]);
    for (const dims of [[2, 3], [300, 301], []]) {
      const shape = { tensor: i64(dims), constant: true };
      const r = runSingleNode('ConstantOfShape', [shape], { value });
      expect(r.kiln[0].dtype).toBe(dtype);
      expect(r.kiln[0].dims).toEqual(dims);
      expectClose(r.kiln[0], r.reference[0], { rtol: 0, atol: 0 }, 'ConstantOfShape');
    }
    const { graph, feeds } = singleNodeGraph('ConstantOfShape', [{ tensor: i64([300, 301]), constant: true }], { value });
    expect(stepCount(graph, feeds)).toBe(1);
  });

  it('ConstantOfShape with a large int64 fill stays exact', () => {
    const big = -(2n ** 60n) - 3n;
    const value = hostTensor('int64', [1], new BigInt64Array([big]));
    const r = runSingleNode('ConstantOfShape', [{ tensor: i64([300, 300]), constant: true }], { value });
    expect(r.kiln[0].data[89999]).toBe(big);
  });

  it.each(['float32', 'float64', 'float16'] as const)('Dropout %s: a view, plus an all-true mask computed at plan time', (dtype) => {
    const x = randomTensor(dtype, [2, 3, 4], { seed: 9 });
    for (const outputs of [1, 2]) {
      const r = runSingleNode('Dropout', [x], { ratio: 0.25 }, outputs);
      expect(r.kiln).toHaveLength(outputs);
      expectClose(r.kiln[0], r.reference[0], toleranceFor(dtype), 'Dropout output');
      if (outputs === 2) {
        expect(r.kiln[1].dtype).toBe('bool');
        expect([...r.kiln[1].data].every((v) => v === 1)).toBe(true);
      }
      const { graph, feeds } = singleNodeGraph('Dropout', [x], { ratio: 0.25 }, outputs);
      // The mask kernel has no operands, so lowering evaluates it once (compiler/kernels/evaluate-kernel.ts).
      expect(stepCount(graph, feeds)).toBe(0);
    }
  });
});

describe('shape ops: graphs with symbolic dims', () => {
  it('Shape has a known length with symbolic dims; ConstantOfShape(Shape(x)) gets fresh symbols', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', ['N', 3, 'H']);
    const s = b.op('Shape', [x], {}, 'shape');
    expect(s.type).toEqual({ dtype: 'int64', shape: [3] });
    expect(b.op('Shape', [x], { start: 1 }).type.shape).toEqual([2]);
    const c = b.op('ConstantOfShape', [s], { value: fromFloat64('float32', [1], [1.5]) }, 'fill');
    expect(c.type).toEqual({ dtype: 'float32', shape: ['fill_d0', 'fill_d1', 'fill_d2'] });
    const g = b.build([s, c]);
    verifyGraph(g);
    const feeds = { x: randomTensor('float32', [2, 3, 5], { seed: 1 }) };
    const ref = runReference(g, feeds);
    expect([...ref.outputs[s.name].data]).toEqual([2, 3, 5]);
    expect(ref.outputs[c.name].dims).toEqual([2, 3, 5]);
    expect(ref.outputs[c.name].data.every((v) => v === 1.5)).toBe(true);
  });

  it('kiln CPU: Shape of a graph input is a literal of the bound dims', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', ['N', 4]);
    const s = b.op('Shape', [x]);
    const session = new GraphSession(b.build([s]));
    for (const n of [1, 7]) {
      const out = session.runHost({ x: randomTensor('float32', [n, 4], { seed: n }) })[s.name];
      expect(out.dtype).toBe('int64');
      expect([...out.data]).toEqual([BigInt(n), 4n]);
    }
  });

  it('kiln CPU: ConstantOfShape(Shape(x)) of a graph input follows the bound dims', () => {
    // Needs lowerGraph to treat an output lowered to a literal (Shape's) as known at plan time.
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', ['N', 3]);
    const c = b.op('ConstantOfShape', [b.op('Shape', [x])], { value: fromFloat64('float16', [1], [0.5]) });
    const y = b.op('Shape', [c], { start: -1 });
    const g = b.build([c, y]);
    const session = new GraphSession(g);
    for (const n of [1, 4]) {
      const feeds = { x: randomTensor('float32', [n, 3], { seed: n }) };
      const out = session.runHost(feeds);
      expect(out[c.name].dtype).toBe('float16');
      expectClose(out[c.name], runReference(g, feeds).outputs[c.name], { rtol: 0, atol: 0 }, 'ConstantOfShape(Shape(x))');
      expect([...out[y.name].data]).toEqual([3n]);
    }
  });

  it('kiln CPU: ConstantOfShape(Shape(w)) of an initializer folds at plan time', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', [2, 3]);
    const w = b.initializer('w', randomTensor('float32', [2, 3], { seed: 2 }));
    const ones = b.op('ConstantOfShape', [b.op('Shape', [w])], { value: fromFloat64('float32', [1], [1]) });
    const y = b.op('Sum', [x, ones]);
    const g = b.build([y]);
    const feeds = { x: randomTensor('float32', [2, 3], { seed: 3 }) };
    const session = new GraphSession(g);
    expect(session.planFor(new Map([['x', [2, 3]]])).steps).toHaveLength(1);
    expectClose(session.runHost(feeds)[y.name], runReference(g, feeds).outputs[y.name], toleranceFor('float32'), 'x + ones');
  });

  it('Squeeze and Unsqueeze keep symbolic dims (Squeeze without axes keeps them as "not 1")', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', ['N', 1, 'C', 1]);
    expect(b.op('Squeeze', [x]).type.shape).toEqual(['N', 'C']);
    expect(b.op('Squeeze', [x], { axes: [0, -1] }).type.shape).toEqual([1, 'C']);
    expect(b.op('Unsqueeze', [x], { axes: [-1, 0] }).type.shape).toEqual([1, 'N', 1, 'C', 1, 1]);
  });
});

describe('shape ops: bad input', () => {
  it('Squeeze of a dim that is not 1 is a ShapeError naming the axis', () => {
    expect(buildNode('Squeeze', [['float32', [1, 3, 1]]], { axes: [1] })).toThrow(ShapeError);
    expect(buildNode('Squeeze', [['float32', [1, 3, 1]]], { axes: [-2] })).toThrow(
      /Squeeze 'bad_node': input 'data' expected shape size 1 at squeezed axis 1 \(axes \[-2\]\), got \[1,3,1\] with 3 there/,
    );
  });

  it('Squeeze axes out of range or repeated are ArgumentErrors', () => {
    expect(buildNode('Squeeze', [['float32', [1, 3, 1]]], { axes: [3] })).toThrow(ArgumentError);
    expect(buildNode('Squeeze', [['float32', [1, 3, 1]]], { axes: [3] })).toThrow(/Squeeze 'bad_node': argument 'axes' expected an integer in \[-3, 2\], got 3/);
    expect(buildNode('Squeeze', [['float32', [1, 3, 1]]], { axes: [0, -3] })).toThrow(/argument 'axes' expected distinct axes, got \[0,-3\]/);
  });

  it('Unsqueeze needs axes, distinct, within the output rank', () => {
    expect(buildNode('Unsqueeze', [['float32', [2, 3]]])).toThrow(/Unsqueeze 'bad_node': argument 'axes' expected a value \(required attribute\), got nothing/);
    expect(buildNode('Unsqueeze', [['float32', [2, 3]]], { axes: [1, 1] })).toThrow(ArgumentError);
    expect(buildNode('Unsqueeze', [['float32', [2, 3]]], { axes: [1, 1] })).toThrow(/argument 'axes' expected distinct axes, got \[1,1\]/);
    expect(buildNode('Unsqueeze', [['float32', [2, 3]]], { axes: [0, -4] })).toThrow(/expected distinct axes, got \[0,-4\]/);
    expect(buildNode('Unsqueeze', [['float32', [2, 3]]], { axes: [3] })).toThrow(/argument 'axes' expected an integer in \[-3, 2\], got 3/);
    expect(buildNode('Unsqueeze', [['float32', [2, 3]]], { axes: [] })).toThrow(/argument 'axes' expected at least one axis, got \[\]/);
  });

  it('Shape rejects non-integer start/end', () => {
    expect(buildNode('Shape', [['float32', [2, 3]]], { start: 0.5 })).toThrow(/Shape 'bad_node': argument 'start' expected an integer, got 0.5/);
  });

  it('Constant rejects a value whose data does not fit its dims', () => {
    const bad: HostTensor = { dtype: 'float32', dims: [2, 2], data: new Float32Array(3) };
    expect(buildNode('Constant', [], { value: bad })).toThrow(/Constant 'bad_node': argument 'value' expected a tensor with 4 elements for dims \[2,2\], got 3 elements/);
  });

  it('ConstantOfShape checks its input and value', () => {
    expect(buildNode('ConstantOfShape', [['int32', [2]]])).toThrow(DTypeError);
    expect(buildNode('ConstantOfShape', [['int32', [2]]])).toThrow(/ConstantOfShape 'bad_node': input 'input' expected dtype one of int64, got int32/);
    expect(buildNode('ConstantOfShape', [['int64', [2, 1]]])).toThrow(/input 'input' expected shape rank 1, got \[2,1\] \(rank 2\)/);
    expect(buildNode('ConstantOfShape', [['int64', ['k']]])).toThrow(/input 'input' expected shape \[k\] with a known k, or a constant value, got \[k\]/);
    expect(buildNode('ConstantOfShape', [['int64', [2]]], { value: fromFloat64('float32', [2], [1, 2]) })).toThrow(
      /argument 'value' expected a one-element tensor, got dims \[2\] \(2 elements\)/,
    );
    const negative = (): Value => {
      const b = new GraphBuilder();
      return b.op('ConstantOfShape', [b.initializer('s', i64([2, -1]))], {}, 'bad_node');
    };
    expect(negative).toThrow(ArgumentError);
    expect(negative).toThrow(/ConstantOfShape 'bad_node': argument 'input' expected non-negative dims, got \[2,-1\]/);
  });

  it('Dropout: training mode with ratio > 0 is unsupported; bad ratio and flags are ArgumentErrors', () => {
    expect(buildNode('Dropout', [['float32', [2]]], { training_mode: 1 })).toThrow(UnsupportedOpError);
    expect(buildNode('Dropout', [['float32', [2]]], { training_mode: 1 })).toThrow(/unsupported op ai.onnx::Dropout opset 13 at node 'bad_node': training_mode=1 with ratio=0.5/);
    expect(buildNode('Dropout', [['float32', [2]]], { ratio: 1 })).toThrow(/Dropout 'bad_node': argument 'ratio' expected a number in \[0, 1\), got 1/);
    expect(buildNode('Dropout', [['float32', [2]]], { training_mode: 2 })).toThrow(/argument 'training_mode' expected 0 or 1, got 2/);
    expect(buildNode('Dropout', [['int32', [2]]])).toThrow(/Dropout 'bad_node': input 'data' expected dtype one of float32\|float64\|float16\|bfloat16, got int32/);
    expect(buildNode('Dropout', [['float32', [2]]], {}, 3)).toThrow(/argument 'outputs' expected 1 or 2 outputs \(output, mask\), got 3/);
  });
});

/** ORT parity: ONNX input forms on onnxruntime-node, canonical attribute forms on kiln CPU. */
describe('shape ops: parity with onnxruntime-node', () => {
  const x = randomTensor('float32', [1, 3, 1, 4], { seed: 50 });

  it.each([undefined, [0], [-2], [0, 2], [2, -4]].map((axes) => ({ axes })))('Squeeze-13 axes=$axes (axes input)', async ({ axes }) => {
    const inputs = axes === undefined ? [x] : [x, i64(axes)];
    const [ort] = await runOrtSingleNode({ op: 'Squeeze', opset: 13, inputs, constantInputs: [1] });
    const kiln = runSingleNode('Squeeze', [x], axes === undefined ? {} : { axes }).kiln[0];
    expectClose(kiln, toFloat64(ort), { rtol: 0, atol: 0 }, 'Squeeze vs onnxruntime');
  });

  it.each([[0], [-1], [1, 5], [-1, 0], [2, 3]].map((axes) => ({ axes })))('Unsqueeze-13 axes=$axes (axes input)', async ({ axes }) => {
    const [ort] = await runOrtSingleNode({ op: 'Unsqueeze', opset: 13, inputs: [x, i64(axes)], constantInputs: [1] });
    const kiln = runSingleNode('Unsqueeze', [x], { axes }).kiln[0];
    expectClose(kiln, toFloat64(ort), { rtol: 0, atol: 0 }, 'Unsqueeze vs onnxruntime');
  });

  it.each([{}, { start: 1 }, { end: -1 }, { start: -3, end: 3 }, { start: 3, end: 1 }, { start: -9, end: 9 }])('Shape-15 %j', async (attrs) => {
    const ortAttrs: Record<string, OrtAttr> = {};
    for (const [k, v] of Object.entries(attrs)) ortAttrs[k] = A.int(v);
    const [ort] = await runOrtSingleNode({ op: 'Shape', opset: 15, inputs: [x], attrs: ortAttrs, outputs: ['int64'] });
    const kiln = runSingleNode('Shape', [x], attrs).kiln[0];
    expect(kiln.dims).toEqual(ort.dims);
    expect([...kiln.data]).toEqual([...ort.data]);
  });

  it.each(['float32', 'int64', 'int32', 'float16', 'bool'] as const)('Constant-13 value:%s', async (dtype) => {
    const value = randomTensor(dtype, [2, 3], { seed: 51, low: dtype === 'bool' ? 0 : -50, high: 50 });
    const [ort] = await runOrtSingleNode({ op: 'Constant', opset: 13, inputs: [], attrs: { value: A.tensor(value) }, outputs: [dtype] });
    const kiln = runSingleNode('Constant', [], { value }).kiln[0];
    expect(kiln.dtype).toBe(ort.dtype);
    expectClose(kiln, toFloat64(ort), { rtol: 0, atol: 0 }, 'Constant vs onnxruntime');
  });

  it.each([
    { dims: [2, 3], value: undefined },
    { dims: [4, 1, 2], value: fromFloat64('float32', [1], [2.5]) },
    { dims: [3], value: fromFloat64('int64', [1], [-7]) },
    { dims: [2, 2], value: fromFloat64('int32', [1], [9]) },
    { dims: [], value: fromFloat64('float64', [1], [0.125]) },
    { dims: [2, 0], value: fromFloat64('float32', [1], [1]) },
  ])('ConstantOfShape-9 dims=$dims', async ({ dims, value }) => {
    const attrs: Record<string, OrtAttr> = value === undefined ? {} : { value: A.tensor(value) };
    const dtype = value?.dtype ?? 'float32';
    const [ort] = await runOrtSingleNode({ op: 'ConstantOfShape', opset: 9, inputs: [i64(dims)], attrs, outputs: [dtype] });
    const kiln = runSingleNode('ConstantOfShape', [{ tensor: i64(dims), constant: true }], value === undefined ? {} : { value }).kiln[0];
    expect(kiln.dtype).toBe(ort.dtype);
    expectClose(kiln, toFloat64(ort), { rtol: 0, atol: 0 }, 'ConstantOfShape vs onnxruntime');
  });

  it.each([
    { ratio: undefined, training: undefined, outputs: 1 },
    { ratio: 0.3, training: undefined, outputs: 2 },
    { ratio: 0.7, training: false, outputs: 2 },
    { ratio: 0, training: true, outputs: 2 },
  ])('Dropout-13 ratio=$ratio training_mode=$training outputs=$outputs (inputs)', async ({ ratio, training, outputs }) => {
    const d = randomTensor('float32', [2, 3, 4], { seed: 52 });
    const ortInputs = [d, ratio === undefined ? undefined : fromFloat64('float32', [], [ratio]), training === undefined ? undefined : fromFloat64('bool', [], [training ? 1 : 0])];
    const outTypes: DType[] = outputs === 2 ? ['float32', 'bool'] : ['float32'];
    const ort = await runOrtSingleNode({ op: 'Dropout', opset: 13, inputs: ortInputs, constantInputs: [1, 2], outputs: outTypes });
    const attrs: Partial<OpAttrs['Dropout']> = {
      ...(ratio === undefined ? {} : { ratio }),
      ...(training === undefined ? {} : { training_mode: training ? 1 : 0 }),
    };
    const kiln = runSingleNode('Dropout', [d], attrs, outputs).kiln;
    expectClose(kiln[0], toFloat64(ort[0]), { rtol: 0, atol: 0 }, 'Dropout output vs onnxruntime');
    if (outputs === 2) {
      expect(kiln[1].dtype).toBe(ort[1].dtype);
      expect([...kiln[1].data]).toEqual([...ort[1].data]);
    }
  });
});
