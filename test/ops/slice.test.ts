// Slice (opset 13 semantics): clamping, negative starts/ends/axes/steps and the INT64 sentinels against
// hand values; kiln CPU against the reference over ranks, dtypes (int64 shape data) and step patterns;
// typed errors; parity with onnxruntime-node (starts/ends/axes/steps as int64 inputs).

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import type { Value } from '../../compiler/ir/types.js';
import type { DType } from '../../core/dtype.js';
import { ArgumentError } from '../../core/errors.js';
import type { Shape } from '../../core/shape.js';
import { fromFloat64, HostTensor, hostTensor, toFloat64 } from '../../core/tensor.js';
import { resolveSlice, SliceAttrs } from '../../ops/slice.js';
import { GraphSession } from '../../runtime/graph-session.js';
import { expectClose } from '../helpers/compare.js';
import { runOrtSingleNode } from '../helpers/ort-single-node.js';
import { randomTensor } from '../helpers/random.js';
import { runSingleNode, singleNodeGraph } from '../helpers/single-node.js';

/** INT64_MAX / INT64_MIN as they arrive from an int64 tensor read into a JS number. */
const I64_MAX = Number(2n ** 63n - 1n);
const I64_MIN = Number(-(2n ** 63n));

type Attrs = Partial<SliceAttrs> & Pick<SliceAttrs, 'starts' | 'ends'>;

function build(input: readonly [DType, Shape], attrs: Attrs): () => Value {
  return () => {
    const g = new GraphBuilder();
    return g.op('Slice', [g.input('x', input[0], input[1])], attrs, 'slice_node');
  };
}

const range10 = fromFloat64('float32', [10], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);

describe('Slice reference against hand values', () => {
  it.each([
    ['2:8:2', { starts: [2], ends: [8], steps: [2] }, [2, 4, 6]],
    ['-3:', { starts: [-3], ends: [I64_MAX] }, [7, 8, 9]],
    ['reverse with the INT64 sentinels', { starts: [I64_MAX], ends: [I64_MIN], steps: [-1] }, [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]],
    ['-1::-1 with end -11 (clamped to -1 = before the start)', { starts: [-1], ends: [-11], steps: [-1] }, [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]],
    ['8:2:-3', { starts: [8], ends: [2], steps: [-3] }, [8, 5]],
    ['-100:100 clamps', { starts: [-100], ends: [100] }, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]],
    ['5:2 is empty', { starts: [5], ends: [2] }, []],
    ['2:5:-1 is empty', { starts: [2], ends: [5], steps: [-1] }, []],
    ['huge start, step 1, is empty', { starts: [I64_MAX], ends: [I64_MAX] }, []],
    ['1:-1:4', { starts: [1], ends: [-1], steps: [4] }, [1, 5]],
  ] as const)('1-D %s', (_n, attrs, want) => {
    const r = runSingleNode('Slice', [range10], attrs);
    expect([...r.reference[0].data]).toEqual(want);
    expect([...r.kiln[0].data]).toEqual(want);
  });

  it('axes pick the sliced axes (negative allowed); the rest are whole', () => {
    const x = fromFloat64('float32', [3, 4], [0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23]);
    const r = runSingleNode('Slice', [x], { starts: [1, -1], ends: [4, I64_MIN], axes: [-1, 0], steps: [2, -2] });
    // columns 1, 3 of rows 2, 0
    expect(r.reference[0].dims).toEqual([2, 2]);
    expect([...r.reference[0].data]).toEqual([21, 23, 1, 3]);
    expect([...r.kiln[0].data]).toEqual([21, 23, 1, 3]);
  });

  it('resolveSlice reports start, step and size per axis', () => {
    const site = { op: 'Slice', node: 'slice_node' };
    expect(resolveSlice(site, [10, 4], { starts: [-2], ends: [I64_MIN], axes: [0], steps: [-3] })).toEqual([
      { start: 8, step: -3, size: 3 },
      { start: 0, step: 1, size: 4 },
    ]);
    // symbolic axes keep their symbol only for whole-axis slices
    expect(resolveSlice(site, ['n', 'm'], { starts: [0, I64_MAX], ends: [I64_MAX, I64_MIN], axes: undefined, steps: [1, -1] }).map((a) => a.size)).toEqual(['n', 'm']);
    expect(resolveSlice(site, ['n'], { starts: [1], ends: [I64_MAX], axes: undefined, steps: undefined })[0].size).toBe('slice_node_n_slice0');
  });
});

type Case = readonly [string, readonly number[], Attrs];

const CASES: readonly Case[] = [
  ['4-D spatial crop', [2, 3, 8, 9], { starts: [1, 2], ends: [-1, 7], axes: [2, 3] }],
  ['all axes with steps', [4, 5, 6], { starts: [0, 1, 5], ends: [4, 5, 0], steps: [2, 3, -2] }],
  ['negative axes and steps', [3, 6, 7], { starts: [-1, 6], ends: [-8, 1], axes: [-1, -2], steps: [-1, -2] }],
  ['INT64 sentinels', [5, 4, 3], { starts: [1, I64_MIN], ends: [I64_MAX, I64_MAX], axes: [0, 2] }],
  ['reverse every axis', [3, 4, 5], { starts: [-1, -1, -1], ends: [I64_MIN, I64_MIN, I64_MIN], steps: [-1, -1, -1] }],
  ['leading axis only', [6, 2, 3], { starts: [2], ends: [5] }],
  ['last axis stride 3', [2, 3, 10], { starts: [1], ends: [10], axes: [2], steps: [3] }],
  ['empty result', [4, 5], { starts: [3], ends: [1], axes: [1] }],
  ['out-of-range starts and ends clamp', [4, 5], { starts: [-10, 2], ends: [10, 100], steps: [1, 2] }],
];

describe('Slice kiln CPU against the reference', () => {
  it.each(CASES)('%s (float32)', (_n, dims, attrs) => {
    const r = runSingleNode('Slice', [randomTensor('float32', dims, { seed: 9 })], attrs);
    expectClose(r.kiln[0], r.reference[0], { rtol: 1e-5, atol: 1e-5 });
  });

  it.each(['int64', 'int32', 'float64', 'float16', 'bool'] as const)('%s data', (dtype) => {
    const x = randomTensor(dtype, [4, 6], { seed: 4, low: -1000, high: 1000 });
    const r = runSingleNode('Slice', [x], { starts: [-1, 1], ends: [0, I64_MAX], steps: [-2, 2] });
    expect(r.kiln[0].dtype).toBe(dtype);
    expectClose(r.kiln[0], r.reference[0], { rtol: 0, atol: 0 });
  });

  it('int64 shape data: the PyTorch [:-1] of a shape vector', () => {
    const shape = fromFloat64('int64', [4], [8, 3, 224, 224]);
    const r = runSingleNode('Slice', [shape], { starts: [0], ends: [-1] });
    expect([...r.kiln[0].data]).toEqual([8n, 3n, 224n]);
  });

  it('a whole-tensor slice is a view; a constant input folds at plan time', () => {
    const x = randomTensor('float32', [3, 4], { seed: 1 });
    const whole = singleNodeGraph('Slice', [x], { starts: [0], ends: [I64_MAX] }).graph;
    expect(new GraphSession(whole).planFor(new Map([['in0', [3, 4]]])).steps).toEqual([]);
    const folded = singleNodeGraph('Slice', [{ tensor: x, constant: true }], { starts: [1], ends: [3] }).graph;
    const plan = new GraphSession(folded).planFor(new Map());
    expect(plan.steps).toEqual([]);
  });
});

describe('Slice typed errors', () => {
  const x: readonly [DType, Shape] = ['float32', [3, 4]];

  it('ends must match starts', () => {
    const f = build(x, { starts: [0, 1], ends: [2] });
    expect(f).toThrow(ArgumentError);
    expect(f).toThrow(/Slice 'slice_node': argument 'ends' expected 2 integers \(one per entry of starts\), got \[2\]/);
  });

  it('more starts than axes', () => {
    expect(build(x, { starts: [0, 0, 0], ends: [1, 1, 1] })).toThrow(/argument 'starts' expected at most 2 entries \(data rank 2\), got \[0,0,0\]/);
  });

  it('axes: length, range, duplicates', () => {
    expect(build(x, { starts: [0], ends: [1], axes: [0, 1] })).toThrow(/argument 'axes' expected 1 axes \(one per entry of starts\), got \[0,1\]/);
    expect(build(x, { starts: [0], ends: [1], axes: [2] })).toThrow(/argument 'axes' expected an integer in \[-2, 1\], got 2/);
    expect(build(x, { starts: [0, 0], ends: [1, 1], axes: [1, -1] })).toThrow(/argument 'axes' expected distinct axes, got \[1,-1\]/);
  });

  it('steps: non-zero, one per start', () => {
    const f = build(x, { starts: [0], ends: [1], steps: [0] });
    expect(f).toThrow(ArgumentError);
    expect(f).toThrow(/argument 'steps' expected 1 non-zero integers \(one per entry of starts\), got \[0\]/);
    expect(build(x, { starts: [0], ends: [1], steps: [1, 1] })).toThrow(/argument 'steps'/);
  });

  it('starts and ends are required integers', () => {
    expect(() => {
      const g = new GraphBuilder();
      g.op('Slice', [g.input('x', 'float32', [3])], { ends: [1] }, 'slice_node');
    }).toThrow(/argument 'starts' expected a value \(required attribute\), got nothing/);
    expect(build(x, { starts: [0.5], ends: [1] })).toThrow(/argument 'starts' expected integers, got \[0.5\]/);
  });
});

/** ONNX Slice-13 inputs: data, starts, ends, axes, steps (int64, fed as initializers). */
function sliceInputs(x: HostTensor, a: Attrs): (HostTensor | undefined)[] {
  // 2^63 (INT64_MAX rounded to a double) would wrap in a BigInt64Array: write the true INT64_MAX.
  const vec = (v: readonly number[]): HostTensor => hostTensor('int64', [v.length], BigInt64Array.from(v, (e) => (e >= 2 ** 63 ? 2n ** 63n - 1n : BigInt(e))));
  return [x, vec(a.starts), vec(a.ends), a.axes === undefined ? undefined : vec(a.axes), a.steps === undefined ? undefined : vec(a.steps)];
}

describe('Slice parity with onnxruntime-node', () => {
  it.each(CASES)('%s', async (_n, dims, attrs) => {
    const x = randomTensor('float32', dims, { seed: 19 });
    const kiln = runSingleNode('Slice', [x], attrs).kiln[0];
    const [ort] = await runOrtSingleNode({ op: 'Slice', inputs: sliceInputs(x, attrs), constantInputs: [1, 2, 3, 4] });
    expectClose(kiln, toFloat64(ort), { rtol: 1e-4, atol: 1e-5 }, 'kiln vs onnxruntime');
  });

  it('int64 data reversed', async () => {
    const x = fromFloat64('int64', [5], [1, 2 ** 40, -3, 4, 5]);
    const attrs: Attrs = { starts: [-1], ends: [I64_MIN], steps: [-2] };
    const kiln = runSingleNode('Slice', [x], attrs).kiln[0];
    const [ort] = await runOrtSingleNode({ op: 'Slice', inputs: sliceInputs(x, attrs), constantInputs: [1, 2, 3, 4] });
    expect([...kiln.data]).toEqual([...ort.data]);
  });
});
