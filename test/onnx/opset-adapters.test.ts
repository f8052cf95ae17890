// Opset adapters on import: the same op at different opsets (inputs-as-attributes forms, Softmax's
// 2-D coercion, Cast codes, Constant forms, legacy broadcasting) imported from hand-built ModelProtos
// and checked against onnxruntime running the same file (or a hand formula where it has no kernel).

import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import type { onnx as OnnxTypes } from 'onnx-proto';
import { UnsupportedOpError } from '../../core/errors.js';
import { fromOrtTensor, HostTensor, toFloat64, toOrtTensor } from '../../core/tensor.js';
import { importModel } from '../../compiler/onnx/index.js';
import { GraphSession } from '../../runtime/graph-session.js';
import { expectClose } from '../helpers/compare.js';
import { randomTensor } from '../helpers/random.js';
import { a, floatTensor, int64Tensor, modelBytes, ModelSpec, node, TYPE, valueInfo } from './proto-builder.js';

const TOL = { rtol: 1e-4, atol: 1e-5 };

interface Case {
  readonly opset: number;
  readonly x: readonly (number | string)[];
  readonly y: readonly (number | string)[];
  readonly nodes: readonly OnnxTypes.INodeProto[];
  readonly initializers?: readonly OnnxTypes.ITensorProto[];
  readonly yType?: number;
}

const X_DIMS = [2, 3, 4];
const feed = randomTensor('float32', X_DIMS, { seed: 3, low: -2, high: 2 });

function spec(c: Case): ModelSpec {
  return {
    opset: c.opset,
    inputs: [valueInfo('x', TYPE.float, c.x)],
    outputs: [valueInfo('y', c.yType ?? TYPE.float, c.y)],
    nodes: c.nodes,
    initializers: c.initializers ?? [],
  };
}

function runKiln(bytes: Uint8Array, x: HostTensor = feed): HostTensor {
  const { graph } = importModel(bytes);
  return new GraphSession(graph).runHost({ x }).y;
}

/** kiln's import of the file against onnxruntime on the same file. */
async function expectOrtParity(c: Case, x: HostTensor = feed): Promise<HostTensor> {
  const bytes = modelBytes(spec(c));
  const k = runKiln(bytes, x);
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  const r = fromOrtTensor((await session.run({ x: toOrtTensor(x) })).y, 'y');
  expect(k.dims).toEqual(r.dims);
  expectClose(k, toFloat64(r), TOL, `opset ${c.opset}`);
  return k;
}

describe('Reduce*: axes attribute, then input (ReduceSum 13, the others 18)', () => {
  it.each([
    ['ReduceSum', 11, false],
    ['ReduceSum', 13, true],
    ['ReduceMean', 17, false],
    ['ReduceMean', 18, true],
    ['ReduceMax', 13, false],
    ['ReduceMax', 18, true],
    ['ReduceSumSquare', 18, true],
  ] as const)('%s opset %i', async (op, opset, asInput) => {
    const axes = [-1, 0];
    const n = asInput
      ? node(op, ['x', 'axes'], ['y'], { keepdims: a.int(0) })
      : node(op, ['x'], ['y'], { axes: a.ints(axes), keepdims: a.int(0) });
    await expectOrtParity({ opset, x: X_DIMS, y: [3], nodes: [n], initializers: asInput ? [int64Tensor('axes', axes)] : [] });
  });

  it('an omitted axes input reduces everything; noop_with_empty_axes=1 reduces nothing', async () => {
    await expectOrtParity({ opset: 18, x: X_DIMS, y: [1, 1, 1], nodes: [node('ReduceSumSquare', ['x'], ['y'])] });
    await expectOrtParity({ opset: 13, x: X_DIMS, y: X_DIMS, nodes: [node('ReduceSum', ['x'], ['y'], { noop_with_empty_axes: a.int(1) })] });
  });
});

describe('Squeeze / Unsqueeze: axes attribute until 11, input from 13', () => {
  it.each([[11], [13]])('opset %i', async (opset) => {
    const asInput = opset >= 13;
    const nodes = [
      asInput ? node('Unsqueeze', ['x', 'ua'], ['u']) : node('Unsqueeze', ['x'], ['u'], { axes: a.ints([0, -1]) }),
      asInput ? node('Squeeze', ['u', 'sa'], ['y']) : node('Squeeze', ['u'], ['y'], { axes: a.ints([-1]) }),
    ];
    const initializers = asInput ? [int64Tensor('ua', [0, -1]), int64Tensor('sa', [-1])] : [];
    const k = await expectOrtParity({ opset, x: X_DIMS, y: [1, 2, 3, 4], nodes, initializers });
    expect(k.dims).toEqual([1, 2, 3, 4]);
  });
});

describe('Slice: attributes at opset 9, inputs from 10', () => {
  it('opset 9 attributes', async () => {
    await expectOrtParity({ opset: 9, x: X_DIMS, y: [2, 2, 3], nodes: [node('Slice', ['x'], ['y'], { starts: a.ints([1, 1]), ends: a.ints([3, 1000]), axes: a.ints([1, 2]) })] });
  });

  it('opset 13 inputs with negative steps and INT64_MAX-style ends', async () => {
    const initializers = [int64Tensor('starts', [-1, 0]), int64Tensor('ends', [-1000, 9007199254740991]), int64Tensor('axes', [2, 1]), int64Tensor('steps', [-2, 2])];
    await expectOrtParity({ opset: 13, x: X_DIMS, y: [2, 2, 2], nodes: [node('Slice', ['x', 'starts', 'ends', 'axes', 'steps'], ['y'])], initializers });
  });

  it('starts from ConstantOfShape of a constant shape fold at import', async () => {
    const value = { name: 'v', dataType: TYPE.int64, dims: [1], int64Data: [1] };
    const nodes = [
      node('ConstantOfShape', ['one'], ['starts'], { value: a.tensor(value) }),
      node('Slice', ['x', 'starts', 'ends', 'axes'], ['y']),
    ];
    await expectOrtParity({ opset: 13, x: X_DIMS, y: [2, 2, 4], nodes, initializers: [int64Tensor('one', [1]), int64Tensor('ends', [3]), int64Tensor('axes', [1])] });
  });
});

describe('Pad: attributes at opset 2, inputs from 11, axes from 18', () => {
  it('opset 2 attributes', async () => {
    await expectOrtParity({ opset: 2, x: X_DIMS, y: [2, 4, 7], nodes: [node('Pad', ['x'], ['y'], { pads: a.ints([0, 1, 2, 0, 0, 1]), value: a.float(-1.5) })] });
  });

  it('opset 11 inputs (pads, constant_value)', async () => {
    const initializers = [int64Tensor('pads', [0, 1, 2, 0, 0, 1]), floatTensor('cv', [], [2.5])];
    await expectOrtParity({ opset: 11, x: X_DIMS, y: [2, 4, 7], nodes: [node('Pad', ['x', 'pads', 'cv'], ['y'])], initializers });
  });

  it('opset 13 reflect', async () => {
    await expectOrtParity({ opset: 13, x: X_DIMS, y: [2, 3, 6], nodes: [node('Pad', ['x', 'pads'], ['y'], { mode: a.string('reflect') })], initializers: [int64Tensor('pads', [0, 0, 1, 0, 0, 1])] });
  });

  it('opset 18 axes input', async () => {
    const initializers = [int64Tensor('pads', [1, 2, 0, 3]), int64Tensor('axes', [-1, 1])];
    await expectOrtParity({ opset: 18, x: X_DIMS, y: [2, 8, 5], nodes: [node('Pad', ['x', 'pads', '', 'axes'], ['y'])], initializers });
  });
});

describe('Clip: attributes at opset 6, inputs from 11', () => {
  it('opset 6 attributes', async () => {
    await expectOrtParity({ opset: 6, x: X_DIMS, y: X_DIMS, nodes: [node('Clip', ['x'], ['y'], { min: a.float(-0.5), max: a.float(0.75) })] });
  });

  it('opset 11 min only; opset 13 max only (empty min)', async () => {
    await expectOrtParity({ opset: 11, x: X_DIMS, y: X_DIMS, nodes: [node('Clip', ['x', 'lo'], ['y'])], initializers: [floatTensor('lo', [], [-0.25])] });
    await expectOrtParity({ opset: 13, x: X_DIMS, y: X_DIMS, nodes: [node('Clip', ['x', '', 'hi'], ['y'])], initializers: [floatTensor('hi', [], [0.5])] });
  });
});

describe('Dropout: ratio attribute until 10, inputs from 12', () => {
  it('opset 7 (inference only) and 12 with training_mode=false are the identity', async () => {
    await expectOrtParity({ opset: 7, x: X_DIMS, y: X_DIMS, nodes: [node('Dropout', ['x'], ['y'], { ratio: a.float(0.4) })] });
    const training = { name: 'tm', dataType: TYPE.bool, dims: [], int32Data: [0] };
    await expectOrtParity({ opset: 12, x: X_DIMS, y: X_DIMS, nodes: [node('Dropout', ['x', 'r', 'tm'], ['y'], { seed: a.int(3) })], initializers: [floatTensor('r', [], [0.4]), training] });
  });

  it('opset 6 is_test=1 is the identity; is_test=0 asks for random dropout', () => {
    const bytes = (isTest: number): Uint8Array => modelBytes(spec({ opset: 6, x: X_DIMS, y: X_DIMS, nodes: [node('Dropout', ['x'], ['y'], { is_test: a.int(isTest), ratio: a.float(0.3) })] }));
    expect(Array.from(runKiln(bytes(1)).data as Float32Array)).toEqual(Array.from(feed.data as Float32Array));
    expect(() => importModel(bytes(0))).toThrow(UnsupportedOpError);
  });
});

describe('Reshape: shape attribute in Reshape-1, input from 5, allowzero from 14', () => {
  it('opset 1 shape attribute (no onnxruntime kernel for Reshape-1: the data is unchanged)', () => {
    const k = runKiln(modelBytes(spec({ opset: 1, x: X_DIMS, y: [6, 4], nodes: [node('Reshape', ['x'], ['y'], { shape: a.ints([-1, 4]), consumed_inputs: a.ints([0]) })] })));
    expect(k.dims).toEqual([6, 4]);
    expect(Array.from(k.data as Float32Array)).toEqual(Array.from(feed.data as Float32Array));
  });

  it('opset 5 and 14 (0 copies a dim)', async () => {
    for (const opset of [5, 14]) {
      await expectOrtParity({ opset, x: X_DIMS, y: [2, 12], nodes: [node('Reshape', ['x', 's'], ['y'])], initializers: [int64Tensor('s', [0, -1])] });
    }
  });
});

describe('Softmax: 2-D coercion before opset 13', () => {
  it.each([[1], [11], [13]])('opset %i, axis=1 of a rank-3 input', async (opset) => {
    await expectOrtParity({ opset, x: X_DIMS, y: X_DIMS, nodes: [node('Softmax', ['x'], ['y'], { axis: a.int(1) })] });
  });

  it('opset 11 default axis (1) with a symbolic batch goes through Shape', async () => {
    const bytes = modelBytes(spec({ opset: 11, x: ['N', 3, 4], y: ['N', 3, 4], nodes: [node('Softmax', ['x'], ['y'])] }));
    const { graph } = importModel(bytes);
    expect(graph.nodes.map((n) => n.op)).toEqual(['Flatten', 'Softmax', 'Shape', 'Reshape']);
    await expectOrtParity({ opset: 11, x: ['N', 3, 4], y: ['N', 3, 4], nodes: [node('Softmax', ['x'], ['y'])] });
  });

  it('opset 11 last axis is a single Softmax', () => {
    const { graph } = importModel(modelBytes(spec({ opset: 11, x: X_DIMS, y: X_DIMS, nodes: [node('Softmax', ['x'], ['y'], { axis: a.int(-1) })] })));
    expect(graph.nodes.map((n) => [n.op, n.attrs])).toEqual([['Softmax', { axis: -1 }]]);
  });
});

describe('Cast, Constant, legacy attributes', () => {
  it('Cast `to` codes, and Cast-1 type names', async () => {
    const k = await expectOrtParity({ opset: 13, x: X_DIMS, y: X_DIMS, yType: TYPE.int32, nodes: [node('Cast', ['x'], ['y'], { to: a.int(TYPE.int32) })] });
    expect(k.dtype).toBe('int32');
    const old = runKiln(modelBytes(spec({ opset: 1, x: X_DIMS, y: X_DIMS, yType: TYPE.double, nodes: [node('Cast', ['x'], ['y'], { to: a.string('DOUBLE') })] })));
    expect(old.dtype).toBe('float64');
    expect(() => runKiln(modelBytes(spec({ opset: 13, x: X_DIMS, y: X_DIMS, nodes: [node('Cast', ['x'], ['y'], { to: a.int(12) })] })))).toThrow(/UINT32 \(code 12\)/);
  });

  it('Constant value, value_floats and value_ints become initializers', async () => {
    const nodes = [
      node('Constant', [], ['k'], { value_floats: a.floats([0.5, -1, 2, 4]) }),
      node('Constant', [], ['shape'], { value_ints: a.ints([2, 12]) }),
      node('Add', ['x', 'k'], ['s']),
      node('Reshape', ['s', 'shape'], ['y']),
    ];
    const bytes = modelBytes(spec({ opset: 13, x: X_DIMS, y: [2, 12], nodes }));
    const { graph } = importModel(bytes);
    expect(graph.nodes.map((n) => n.op)).toEqual(['Add', 'Reshape']);
    expect(graph.nodes[1].outputs[0].type.shape).toEqual([2, 12]); // the shape was known while building
    await expectOrtParity({ opset: 13, x: X_DIMS, y: [2, 12], nodes });
    const both = node('Constant', [], ['y'], { value_float: a.float(1), value_int: a.int(1) });
    expect(() => importModel(modelBytes(spec({ opset: 13, x: X_DIMS, y: [], nodes: [both] })))).toThrow(/exactly one of value/);
  });

  it('Add-6 legacy broadcast with axis (no onnxruntime kernel: hand formula)', () => {
    const b = floatTensor('b', [3], [10, 20, 30]);
    const k = runKiln(modelBytes(spec({ opset: 6, x: X_DIMS, y: X_DIMS, nodes: [node('Add', ['x', 'b'], ['y'], { broadcast: a.int(1), axis: a.int(1) })], initializers: [b] })));
    const xs = feed.data as Float32Array;
    const want = Float64Array.from(xs, (v, i) => Math.fround(v + [10, 20, 30][Math.floor(i / 4) % 3]));
    expectClose(k, { dims: X_DIMS, data: want });
  });

  it('Concat-1 without axis joins along axis 1; Gemm-6 broadcast attribute is accepted', () => {
    const k = runKiln(modelBytes(spec({ opset: 1, x: X_DIMS, y: [2, 6, 4], nodes: [node('Concat', ['x', 'x'], ['y'])] })));
    expect(k.dims).toEqual([2, 6, 4]);
    const g = modelBytes({
      opset: 6,
      inputs: [valueInfo('x', TYPE.float, [2, 3])],
      outputs: [valueInfo('y', TYPE.float, [2, 2])],
      initializers: [floatTensor('w', [3, 2], [1, 2, 3, 4, 5, 6]), floatTensor('c', [2], [0.5, -0.5])],
      nodes: [node('Gemm', ['x', 'w', 'c'], ['y'], { broadcast: a.int(1) })],
    });
    const y = new GraphSession(importModel(g).graph).runHost({ x: randomTensor('float32', [2, 3], { seed: 1 }) }).y;
    expect(y.dims).toEqual([2, 2]);
  });
});

describe('graph inputs and outputs', () => {
  it('IR 3 lists initializers as inputs too; they stay initializers', () => {
    const s = spec({ opset: 7, x: X_DIMS, y: X_DIMS, nodes: [node('Add', ['x', 'b'], ['y'])], initializers: [floatTensor('b', [4], [1, 2, 3, 4])] });
    expect(s.inputs.length).toBe(1);
    const { graph, irVersion } = importModel(modelBytes({ ...s, irVersion: 3 }));
    expect(irVersion).toBe(3);
    expect(graph.inputs.map((v) => v.name)).toEqual(['x']);
    expect(graph.initializers.size).toBe(1);
  });

  it('dim_param stays symbolic; a dim with neither value nor param gets a fresh symbol', () => {
    const x = { name: 'x', type: { tensorType: { elemType: TYPE.float, shape: { dim: [{ dimParam: 'batch' }, {}, { dimValue: 4 }] } } } };
    const bytes = modelBytes({ opset: 15, inputs: [x], outputs: [valueInfo('y', TYPE.float, ['batch', 'x_dim1', 4])], nodes: [node('Relu', ['x'], ['y'])] });
    const { graph } = importModel(bytes);
    expect(graph.inputs[0].type.shape).toEqual(['batch', 'x_dim1', 4]);
    const y = new GraphSession(graph).runHost({ x: randomTensor('float32', [2, 5, 4], { seed: 1 }) }).y;
    expect(y.dims).toEqual([2, 5, 4]);
  });

  it('Dropout-7 mask has the data type (kiln: all ones in inference; onnxruntime leaves it zero)', () => {
    const bytes = modelBytes({ ...spec({ opset: 7, x: X_DIMS, y: X_DIMS, nodes: [node('Dropout', ['x'], ['y', 'mask'])] }), outputs: [valueInfo('y', TYPE.float, X_DIMS), valueInfo('mask', TYPE.float, X_DIMS)] });
    const out = new GraphSession(importModel(bytes).graph).runHost({ x: feed });
    expect(out.mask.dtype).toBe('float32');
    expect(Array.from(out.mask.data as Float32Array).every((v) => v === 1)).toBe(true);
  });

  it('graph outputs keep their ONNX names', () => {
    const bytes = modelBytes(spec({ opset: 13, x: X_DIMS, y: X_DIMS, nodes: [node('Identity', ['x'], ['y'])] }));
    expect(importModel(bytes).graph.outputs.map((v) => v.name)).toEqual(['y']);
  });
});
