// Pad (opset 13 semantics, wrap from 19): the float64 reference against hand values for every mode,
// crops (negative pads) and wide reflect/wrap pads; kiln CPU against the reference over ranks, modes,
// mixed crops and pads, integer data; typed errors; parity with onnxruntime-node (pads as an input).

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import type { Value } from '../../compiler/ir/types.js';
import type { DType } from '../../core/dtype.js';
import { ArgumentError, ShapeError } from '../../core/errors.js';
import type { Shape } from '../../core/shape.js';
import { F64Tensor, fromFloat64, HostTensor, toFloat64 } from '../../core/tensor.js';
import { PadAttrs, padSource } from '../../ops/pad.js';
import { GraphSession } from '../../runtime/graph-session.js';
import { runReference } from '../../runtime/reference.js';
import { expectClose } from '../helpers/compare.js';
import { A, runOrtSingleNode } from '../helpers/ort-single-node.js';
import { randomTensor } from '../helpers/random.js';
import { runSingleNode, singleNodeGraph } from '../helpers/single-node.js';

function reference(x: HostTensor, attrs: Partial<PadAttrs>): F64Tensor {
  const { graph, feeds } = singleNodeGraph('Pad', [x], attrs);
  return runReference(graph, feeds).outputs[graph.outputs[0].name];
}

function build(input: readonly [DType, Shape], attrs: Partial<PadAttrs>): () => Value {
  return () => {
    const g = new GraphBuilder();
    return g.op('Pad', [g.input('x', input[0], input[1])], attrs, 'pad_node');
  };
}

const v123 = fromFloat64('float64', [3], [1, 2, 3]);

describe('Pad reference against hand values', () => {
  it.each([
    ['constant', [1, 2], 9, [9, 1, 2, 3, 9, 9]],
    ['edge', [2, 1], 0, [1, 1, 1, 2, 3, 3]],
    ['reflect', [2, 2], 0, [3, 2, 1, 2, 3, 2, 1]],
    ['wrap', [2, 1], 0, [2, 3, 1, 2, 3, 1]],
    // negative pads crop first; the mode then reads the cropped extent [2, 3]
    ['constant', [-1, 1], 0, [2, 3, 0]],
    ['reflect', [-1, 1], 0, [2, 3, 2]],
    ['edge', [2, -2], 0, [1, 1, 1]],
    ['wrap', [1, -1], 0, [2, 1, 2]],
    ['constant', [-3, 2], 7, [7, 7]],
    // wider than the axis: numpy.pad semantics (reflection and wrap repeat)
    ['reflect', [4, 0], 0, [1, 2, 3, 2, 1, 2, 3]],
    ['wrap', [4, 0], 0, [3, 1, 2, 3, 1, 2, 3]],
    ['edge', [0, 0], 0, [1, 2, 3]],
  ] as const)('1-D %s pads %j', (mode, pads, value, want) => {
    expect([...reference(v123, { mode, pads, value }).data]).toEqual(want);
  });

  it('2-D: begins then ends, axis by axis', () => {
    const x = fromFloat64('float64', [2, 2], [1, 2, 3, 4]);
    // pads [top, left, bottom, right] = [1, 0, 0, 1]
    const y = reference(x, { pads: [1, 0, 0, 1] });
    expect(y.dims).toEqual([3, 3]);
    expect([...y.data]).toEqual([0, 0, 0, 1, 2, 0, 3, 4, 0]);
    const e = reference(x, { mode: 'edge', pads: [0, 1, 1, -1] });
    expect(e.dims).toEqual([3, 2]);
    expect([...e.data]).toEqual([1, 1, 3, 3, 3, 3]);
  });

  it('padSource maps positions outside the extent', () => {
    expect([-3, -2, -1, 3, 4, 5].map((q) => padSource(q, 3, 'reflect'))).toEqual([1, 2, 1, 1, 0, 1]);
    expect([-1, 3].map((q) => padSource(q, 1, 'reflect'))).toEqual([0, 0]);
    expect([-4, -1, 3, 7].map((q) => padSource(q, 3, 'wrap'))).toEqual([2, 2, 0, 1]);
    expect([-1, 3].map((q) => padSource(q, 3, 'constant'))).toEqual([-1, -1]);
  });

  it('integer data keeps its dtype and the value is cast', () => {
    const x = fromFloat64('int64', [2], [5, 6]);
    const r = runSingleNode('Pad', [x], { pads: [1, 1], value: -2 });
    expect(r.kiln[0].dtype).toBe('int64');
    expect([...r.kiln[0].data]).toEqual([-2n, 5n, 6n, -2n]);
  });
});

type Case = readonly [string, readonly number[], Partial<PadAttrs>];

const CASES: readonly Case[] = [
  ['constant 4-D spatial', [2, 3, 4, 5], { pads: [0, 0, 1, 2, 0, 0, 2, 1], value: 0.5 }],
  ['constant all axes', [2, 3, 4], { pads: [1, 0, 2, 0, 1, 1], value: -1 }],
  ['constant crop and pad', [3, 5, 6], { pads: [-1, 2, -2, 1, -1, 3], value: 2 }],
  ['constant crop to empty', [3, 4], { pads: [0, -2, 0, -2] }],
  ['reflect 4-D', [1, 2, 5, 6], { mode: 'reflect', pads: [0, 0, 2, 3, 0, 0, 4, 1] }],
  ['reflect with crops', [2, 6, 7], { mode: 'reflect', pads: [0, -2, 3, 1, 2, -3] }],
  ['edge 4-D', [2, 2, 3, 4], { mode: 'edge', pads: [0, 1, 2, 3, 1, 0, 4, 2] }],
  ['edge with crops', [4, 5], { mode: 'edge', pads: [-2, 3, 2, -4] }],
  ['wrap', [2, 4, 5], { mode: 'wrap', pads: [0, 2, 3, 0, 3, 4] }],
  ['wrap with crops', [5, 6], { mode: 'wrap', pads: [-1, 2, 3, -2] }],
  ['1-D', [7], { mode: 'reflect', pads: [3, 5] }],
];

describe('Pad kiln CPU against the reference', () => {
  it.each(CASES)('%s (float32)', (_n, dims, attrs) => {
    const r = runSingleNode('Pad', [randomTensor('float32', dims, { seed: 17 })], attrs);
    expectClose(r.kiln[0], r.reference[0], { rtol: 1e-5, atol: 1e-5 });
  });

  it.each(['int64', 'int32', 'float64'] as const)('%s data', (dtype) => {
    const x = randomTensor(dtype, [3, 4, 5], { seed: 2, low: -100, high: 100 });
    for (const mode of ['constant', 'reflect', 'edge', 'wrap']) {
      const r = runSingleNode('Pad', [x], { mode, pads: [1, -1, 2, 0, 2, -1], value: 42 });
      expect(r.kiln[0].dtype).toBe(dtype);
      expectClose(r.kiln[0], r.reference[0], { rtol: 0, atol: 0 }, `${mode} ${dtype}`);
    }
  });

  it('infinite fill values', () => {
    const r = runSingleNode('Pad', [randomTensor('float32', [2, 3], { seed: 1 })], { pads: [0, 1, 0, 1], value: -Infinity });
    expect(r.kiln[0].data[0]).toBe(-Infinity);
    expectClose(r.kiln[0], r.reference[0]);
  });

  it('zero pads are a view, not a copy step', () => {
    const { graph } = singleNodeGraph('Pad', [randomTensor('float32', [2, 3], { seed: 1 })], { pads: [0, 0, 0, 0] });
    const plan = new GraphSession(graph).planFor(new Map([['in0', [2, 3]]]));
    expect(plan.steps).toEqual([]);
  });

  it('symbolic dims survive only zero pads', () => {
    const g = new GraphBuilder();
    const y = g.op('Pad', [g.input('x', 'float32', ['n', 'c', 4])], { pads: [0, 1, 1, 0, 0, -1] }, 'p');
    expect(y.type.shape[0]).toBe('n');
    expect(y.type.shape[1]).toEqual(expect.stringMatching(/^p_/));
    expect(y.type.shape[2]).toBe(4);
  });
});

describe('Pad typed errors', () => {
  it('mode', () => {
    const f = build(['float32', [2, 3]], { mode: 'symmetric', pads: [1, 1, 1, 1] });
    expect(f).toThrow(ArgumentError);
    expect(f).toThrow(/Pad 'pad_node': argument 'mode' expected one of constant\|reflect\|edge\|wrap, got 'symmetric'/);
  });

  it('pads length and values', () => {
    const f = build(['float32', [2, 3]], { pads: [1, 1] });
    expect(f).toThrow(ArgumentError);
    expect(f).toThrow(/Pad 'pad_node': argument 'pads' expected 4 integers \(a begin and an end per axis of data, rank 2\), got \[1,1\]/);
    expect(build(['float32', [2, 3]], { pads: [1, 0.5, 0, 0] })).toThrow(/argument 'pads' expected 4 integers/);
    expect(build(['float32', [2, 3]], {})).toThrow(/argument 'pads' expected a value \(required attribute\), got nothing/);
  });

  it('crops larger than the axis', () => {
    const f = build(['float32', [2, 3]], { pads: [0, -2, 0, -2] });
    expect(f).toThrow(ArgumentError);
    expect(f).toThrow(/argument 'pads' expected crops of at most the axis size \(axis 1 of data \[2,3\] has 3\), got \[0,-2,0,-2\]/);
  });

  it('edge/reflect/wrap need something left after the crops', () => {
    const f = build(['float32', [2, 3]], { mode: 'edge', pads: [0, -3, 0, 2] });
    expect(f).toThrow(ShapeError);
    expect(f).toThrow(/Pad 'pad_node': input 'data' expected shape axis 1 with elements left after the crops to edge-pad from \(pads \[0,-3,0,2\]\), got \[2,3\]/);
    expect(build(['float32', [0, 3]], { mode: 'reflect', pads: [1, 0, 0, 0] })).toThrow(ShapeError);
    // constant mode pads an empty axis fine
    expect(build(['float32', [0, 3]], { pads: [1, 0, 0, 0] })().type.shape).toEqual([1, 3]);
  });

  it('every kiln dtype pads, bool included', () => {
    expect(build(['bool', [2]], { pads: [1, 1] })().type).toEqual({ dtype: 'bool', shape: [4] });
  });
});

describe('Pad parity with onnxruntime-node', () => {
  // ONNX Pad-13 takes pads and constant_value as inputs (wrap needs Pad-19); onnxruntime limits reflect
  // to pads < the cropped axis and mis-wraps pads wider than the axis, so these cases stay inside both.
  it.each(CASES.filter(([name]) => !name.startsWith('1-D')))('%s', async (_n, dims, attrs) => {
    const x = randomTensor('float32', dims, { seed: 23 });
    const kiln = runSingleNode('Pad', [x], attrs).kiln[0];
    const mode = attrs.mode ?? 'constant';
    const pads = fromFloat64('int64', [attrs.pads!.length], attrs.pads!);
    const value = fromFloat64('float32', [], [attrs.value ?? 0]);
    const [ort] = await runOrtSingleNode({
      op: 'Pad',
      opset: mode === 'wrap' ? 19 : 13,
      inputs: [x, pads, value],
      constantInputs: [1, 2],
      attrs: { mode: A.string(mode) },
    });
    expectClose(kiln, toFloat64(ort), { rtol: 1e-4, atol: 1e-5 }, 'kiln vs onnxruntime');
  });

  it('int64 data with a constant value', async () => {
    const x = randomTensor('int64', [3, 4], { seed: 5, low: -50, high: 50 });
    const kiln = runSingleNode('Pad', [x], { pads: [1, -1, 0, 2], value: 7 }).kiln[0];
    const [ort] = await runOrtSingleNode({
      op: 'Pad',
      inputs: [x, fromFloat64('int64', [4], [1, -1, 0, 2]), fromFloat64('int64', [], [7])],
      constantInputs: [1, 2],
    });
    expect([...kiln.data]).toEqual([...ort.data]);
  });
});
