// MaxPool (opset 12), AveragePool (opset 19) and GlobalAveragePool: the float64 reference against known
// windows (ceil_mode's dropped last window and count_include_pad's divisor included), kiln CPU against
// the reference over strides, dilations, asymmetric pads, every auto_pad and 1-D; typed errors.

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import type { Value } from '../../compiler/ir/types.js';
import type { DType } from '../../core/dtype.js';
import { ArgumentError, DTypeError, ShapeError, UnsupportedOpError } from '../../core/errors.js';
import type { Shape } from '../../core/shape.js';
import { F64Tensor, fromFloat64, HostTensor } from '../../core/tensor.js';
import type { AveragePoolAttrs } from '../../ops/average-pool.js';
import type { MaxPoolAttrs } from '../../ops/max-pool.js';
import { runReference } from '../../runtime/reference.js';
import { expectClose, toleranceFor } from '../helpers/compare.js';
import { randomTensor } from '../helpers/random.js';
import { runSingleNode, singleNodeGraph } from '../helpers/single-node.js';

type PoolOp = 'MaxPool' | 'AveragePool';
type PoolAttrs = Partial<MaxPoolAttrs> & Partial<AveragePoolAttrs>;

function reference(op: PoolOp | 'GlobalAveragePool', x: HostTensor, attrs: PoolAttrs = {}): F64Tensor {
  const { graph, feeds } = op === 'MaxPool' ? singleNodeGraph('MaxPool', [x], attrs) : op === 'AveragePool' ? singleNodeGraph('AveragePool', [x], attrs) : singleNodeGraph('GlobalAveragePool', [x]);
  return runReference(graph, feeds).outputs[graph.outputs[0].name];
}

function run(op: PoolOp, x: HostTensor, attrs: PoolAttrs) {
  return op === 'MaxPool' ? runSingleNode('MaxPool', [x], attrs) : runSingleNode('AveragePool', [x], attrs);
}

function buildPool(op: PoolOp | 'GlobalAveragePool', x: readonly [DType, Shape], attrs: PoolAttrs = {}, outputs = 1): () => Value[] {
  return () => {
    const g = new GraphBuilder();
    const inp = [g.input('x', x[0], x[1])];
    const options = { name: 'pool_node', outputs };
    if (op === 'MaxPool') return g.node('MaxPool', inp, attrs, options);
    if (op === 'AveragePool') return g.node('AveragePool', inp, attrs, options);
    return g.node('GlobalAveragePool', inp, {}, options);
  };
}

const seq = (dims: readonly number[]): HostTensor => {
  const n = dims.reduce((a, b) => a * b, 1);
  return fromFloat64('float64', dims, Array.from({ length: n }, (_, i) => i + 1));
};

describe('pool references against known windows', () => {
  const x44 = seq([1, 1, 4, 4]); // rows 1..4, 5..8, 9..12, 13..16

  it('2x2 stride 2 max and average', () => {
    const mx = reference('MaxPool', x44, { kernel_shape: [2, 2], strides: [2, 2] });
    expect(mx.dims).toEqual([1, 1, 2, 2]);
    expect([...mx.data]).toEqual([6, 8, 14, 16]);
    expect([...reference('AveragePool', x44, { kernel_shape: [2, 2], strides: [2, 2] }).data]).toEqual([3.5, 5.5, 11.5, 13.5]);
  });

  it('padding: max ignores it, average divides by the taps inside X unless count_include_pad', () => {
    // 2x2 windows, stride 2, pads 1 on every side: windows start at -1, 1, 3 on both axes.
    const attrs = { kernel_shape: [2, 2], strides: [2, 2], pads: [1, 1, 1, 1] };
    expect([...reference('MaxPool', x44, attrs).data]).toEqual([1, 3, 4, 9, 11, 12, 13, 15, 16]);
    expect([...reference('AveragePool', x44, attrs).data]).toEqual([1, 2.5, 4, 7, 8.5, 10, 13, 14.5, 16]);
    // corner window holds one real value of four taps; edge windows two of four
    expect([...reference('AveragePool', x44, { ...attrs, count_include_pad: 1 }).data]).toEqual([0.25, 1.25, 1, 3.5, 8.5, 5, 3.25, 7.25, 4]);
  });

  it('dilation 2 picks every other element', () => {
    const y = reference('MaxPool', x44, { kernel_shape: [2, 2], dilations: [2, 2] });
    // windows {0,2}x{0,2} from each start in [0,1]^2: max is the bottom-right tap
    expect([...y.data]).toEqual([11, 12, 15, 16]);
  });

  it('ceil_mode keeps a partial last window', () => {
    const x = seq([1, 1, 5]);
    expect([...reference('AveragePool', x, { kernel_shape: [2], strides: [2] }).data]).toEqual([1.5, 3.5]);
    expect([...reference('AveragePool', x, { kernel_shape: [2], strides: [2], ceil_mode: 1 }).data]).toEqual([1.5, 3.5, 5]);
    expect([...reference('MaxPool', x, { kernel_shape: [2], strides: [2], ceil_mode: 1 }).data]).toEqual([2, 4, 5]);
  });

  it('ceil_mode drops a window that would start in the end padding', () => {
    // in 5, k 2, s 2, pads [1, 1]: ceil((5 + 2 − 2) / 2) + 1 = 4, but window 4 starts at 5 (end pad) -> 3
    const x = seq([1, 1, 5]);
    const attrs = { kernel_shape: [2], strides: [2], pads: [1, 1], ceil_mode: 1 };
    const y = reference('AveragePool', x, attrs);
    expect(y.dims).toEqual([1, 1, 3]);
    expect([...y.data]).toEqual([1, 2.5, 4.5]);
    expect([...reference('AveragePool', x, { ...attrs, count_include_pad: 1 }).data]).toEqual([0.5, 2.5, 4.5]);
  });

  it('count_include_pad never counts a ceil_mode overhang past the end padding', () => {
    // in 5, k 3, s 2, pads [1, 0], ceil: windows start at −1, 1, 3; the last covers 3, 4 and 5 (past the padded end 5)
    const x = seq([1, 1, 5]);
    const attrs = { kernel_shape: [3], strides: [2], pads: [1, 0], ceil_mode: 1 };
    expect([...reference('AveragePool', x, attrs).data]).toEqual([1.5, 3, 4.5]);
    expect([...reference('AveragePool', x, { ...attrs, count_include_pad: 1 }).data]).toEqual([1, 3, 4.5]);
  });

  it('auto_pad SAME_UPPER / SAME_LOWER / VALID', () => {
    const x = seq([1, 1, 5]);
    // k 2, s 1: total pad 1 -> at the end for SAME_UPPER, at the beginning for SAME_LOWER
    expect([...reference('MaxPool', x, { kernel_shape: [2], auto_pad: 'SAME_UPPER' }).data]).toEqual([2, 3, 4, 5, 5]);
    expect([...reference('MaxPool', x, { kernel_shape: [2], auto_pad: 'SAME_LOWER' }).data]).toEqual([1, 2, 3, 4, 5]);
    expect([...reference('AveragePool', x, { kernel_shape: [2], auto_pad: 'SAME_LOWER' }).data]).toEqual([1, 1.5, 2.5, 3.5, 4.5]);
    expect([...reference('AveragePool', x, { kernel_shape: [2], auto_pad: 'SAME_LOWER', count_include_pad: 1 }).data]).toEqual([0.5, 1.5, 2.5, 3.5, 4.5]);
    expect([...reference('AveragePool', x, { kernel_shape: [3], strides: [2], auto_pad: 'VALID' }).data]).toEqual([2, 4]);
  });

  it('VALID with ceil_mode keeps the partial last window', () => {
    // in 8, k 3, s 2: ceil((8 − 3) / 2) + 1 = 4 windows starting at 0, 2, 4, 6 (the last sees 7, 8)
    expect([...reference('MaxPool', seq([1, 1, 8]), { kernel_shape: [3], strides: [2], auto_pad: 'VALID', ceil_mode: 1 }).data]).toEqual([3, 5, 7, 8]);
  });

  it('dilated average counts taps, not the window span', () => {
    // in 7, k 3, dilation 2, pads 2: window o sees o−2, o, o+2; the padded extent [−2, 9) holds all three
    const x = seq([1, 1, 7]);
    const attrs = { kernel_shape: [3], dilations: [2], pads: [2, 2] };
    expect([...reference('AveragePool', x, attrs).data]).toEqual([2, 3, 3, 4, 5, 5, 6]);
    const cip = reference('AveragePool', x, { ...attrs, count_include_pad: 1 });
    expectClose(cip, { dims: [1, 1, 7], data: Float64Array.from([4 / 3, 2, 3, 4, 5, 10 / 3, 4]) }, { rtol: 1e-15, atol: 0 });
  });

  it('max propagates NaN', () => {
    const x = fromFloat64('float64', [1, 1, 4], [1, Number.NaN, 3, 4]);
    expect([...reference('MaxPool', x, { kernel_shape: [2], strides: [2] }).data]).toEqual([Number.NaN, 4]);
  });

  it('GlobalAveragePool over every spatial axis, any rank', () => {
    const y3 = reference('GlobalAveragePool', seq([2, 2, 3]));
    expect(y3.dims).toEqual([2, 2, 1]);
    expect([...y3.data]).toEqual([2, 5, 8, 11]);
    const y5 = reference('GlobalAveragePool', seq([1, 2, 2, 2, 2]));
    expect(y5.dims).toEqual([1, 2, 1, 1, 1]);
    expect([...y5.data]).toEqual([4.5, 12.5]);
  });
});

describe('pool kiln CPU against the reference', () => {
  const cases: readonly (readonly [string, readonly number[], PoolAttrs])[] = [
    ['2x2 stride 2', [2, 3, 8, 8], { kernel_shape: [2, 2], strides: [2, 2] }],
    ['3x3 stride 1', [1, 2, 7, 6], { kernel_shape: [3, 3] }],
    ['3x2 stride 2x1, asymmetric pads', [1, 3, 9, 8], { kernel_shape: [3, 2], strides: [2, 1], pads: [1, 0, 2, 1] }],
    ['dilations 2x3', [1, 2, 11, 12], { kernel_shape: [2, 3], dilations: [2, 3], pads: [1, 1, 0, 2] }],
    ['ceil_mode', [1, 2, 7, 8], { kernel_shape: [3, 3], strides: [2, 3], ceil_mode: 1 }],
    ['ceil_mode with pads (drop rule)', [1, 2, 5, 6], { kernel_shape: [2, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1 }],
    ['ceil_mode, pads, dilation', [1, 2, 10, 9], { kernel_shape: [3, 2], strides: [3, 2], dilations: [2, 2], pads: [1, 0, 0, 1], ceil_mode: 1 }],
    ['SAME_UPPER stride 2', [1, 3, 7, 8], { kernel_shape: [3, 4], strides: [2, 2], auto_pad: 'SAME_UPPER' }],
    ['SAME_LOWER stride 2', [1, 3, 7, 8], { kernel_shape: [3, 4], strides: [2, 2], auto_pad: 'SAME_LOWER' }],
    ['VALID stride 2, ceil_mode', [1, 3, 9, 8], { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'VALID', ceil_mode: 1 }],
    ['1-D', [2, 3, 13], { kernel_shape: [3], strides: [2], pads: [2, 1] }],
    ['1-D dilated ceil_mode', [2, 3, 13], { kernel_shape: [3], strides: [2], dilations: [2], ceil_mode: 1 }],
  ];
  const ops: readonly PoolOp[] = ['MaxPool', 'AveragePool'];
  type Combo = readonly [PoolOp, string, readonly number[], PoolAttrs];
  const combos: Combo[] = cases.flatMap(([name, dims, attrs]): Combo[] =>
    ops.flatMap((op): Combo[] => (op === 'MaxPool' ? [[op, name, dims, attrs]] : [0, 1].map((cip): Combo => [op, `${name}, count_include_pad=${cip}`, dims, { ...attrs, count_include_pad: cip }]))),
  );

  it.each(combos)('%s %s (float32)', (op, _name, dims, attrs) => {
    const r = run(op, randomTensor('float32', dims, { seed: 41 }), attrs);
    expectClose(r.kiln[0], r.reference[0], { rtol: 1e-5, atol: 1e-5 });
  });

  it.each(['float64', 'float16'] as const)('AveragePool dtype %s', (dtype) => {
    const r = runSingleNode('AveragePool', [randomTensor(dtype, [1, 2, 6, 6], { seed: 2 })], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], count_include_pad: 1 });
    expectClose(r.kiln[0], r.reference[0], toleranceFor(dtype));
  });

  it.each(['int8', 'uint8', 'float16'] as const)('MaxPool dtype %s (exact)', (dtype) => {
    const x = fromFloat64(dtype, [1, 2, 5, 5], randomTensor('float64', [1, 2, 5, 5], { seed: 3, low: 0, high: 100 }).data.map(Math.round));
    const r = runSingleNode('MaxPool', [x], { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 });
    expect(r.kiln[0].dtype).toBe(dtype);
    expectClose(r.kiln[0], r.reference[0], { rtol: 0, atol: 0 });
  });

  it.each([
    [[2, 3, 7]],
    [[2, 3, 5, 6]],
    [[1, 2, 3, 4, 5]],
  ])('GlobalAveragePool %j', (dims) => {
    const r = runSingleNode('GlobalAveragePool', [randomTensor('float32', dims, { seed: 5, offset: 3 })]);
    expectClose(r.kiln[0], r.reference[0], { rtol: 1e-5, atol: 1e-5 });
  });

  it('3-D pooling: the reference computes it, the CPU backend reports it unsupported', () => {
    const x = seq([1, 1, 2, 2, 2]);
    expect([...reference('MaxPool', x, { kernel_shape: [2, 2, 2] }).data]).toEqual([8]);
    const xf = randomTensor('float32', [1, 1, 2, 2, 2], { seed: 1 });
    expect(() => runSingleNode('AveragePool', [xf], { kernel_shape: [2, 2, 2] })).toThrow(UnsupportedOpError);
    expect(() => runSingleNode('AveragePool', [xf], { kernel_shape: [2, 2, 2] })).toThrow(/AveragePool opset 19 at node 'averagepool_node': 3-D pooling/);
  });
});

describe('pool typed errors', () => {
  it('kernel_shape missing or of the wrong length', () => {
    const missing = buildPool('MaxPool', ['float32', [1, 3, 5, 5]]);
    expect(missing).toThrow(ArgumentError);
    expect(missing).toThrow(/MaxPool 'pool_node': argument 'kernel_shape' expected a value \(required attribute\), got nothing/);
    const short = buildPool('AveragePool', ['float32', [1, 3, 5, 5]], { kernel_shape: [3] });
    expect(short).toThrow(ArgumentError);
    expect(short).toThrow(/AveragePool 'pool_node': argument 'kernel_shape' expected 2 integers >= 1.*got \[3\]/);
  });

  it('pads not smaller than the kernel', () => {
    const f = buildPool('MaxPool', ['float32', [1, 3, 5, 5]], { kernel_shape: [2, 2], pads: [2, 0, 0, 0] });
    expect(f).toThrow(ArgumentError);
    expect(f).toThrow(/argument 'pads' expected each pad smaller than kernel_shape \[2,2\], got \[2,0,0,0\]/);
  });

  it('MaxPool Indices output is not implemented', () => {
    const f = buildPool('MaxPool', ['float32', [1, 3, 5, 5]], { kernel_shape: [2, 2] }, 2);
    expect(f).toThrow(UnsupportedOpError);
    expect(f).toThrow(/ai\.onnx::MaxPool opset 12 at node 'pool_node': the optional 'Indices' output/);
  });

  it('attribute values', () => {
    expect(buildPool('AveragePool', ['float32', [1, 3, 5, 5]], { kernel_shape: [2, 2], count_include_pad: 2 })).toThrow(/argument 'count_include_pad' expected 0 or 1, got 2/);
    expect(buildPool('MaxPool', ['float32', [1, 3, 5, 5]], { kernel_shape: [2, 2], storage_order: 3 })).toThrow(/argument 'storage_order' expected 0 or 1, got 3/);
    expect(buildPool('MaxPool', ['float32', [1, 3, 5, 5]], { kernel_shape: [2, 2], ceil_mode: 2 })).toThrow(/argument 'ceil_mode' expected 0 or 1, got 2/);
    expect(buildPool('MaxPool', ['float32', [1, 3, 5, 5]], { kernel_shape: [2, 2], auto_pad: 'same_upper' })).toThrow(/argument 'auto_pad' expected one of NOTSET\|SAME_UPPER\|SAME_LOWER\|VALID, got 'same_upper'/);
  });

  it('rank and dtype', () => {
    const r2 = buildPool('GlobalAveragePool', ['float32', [3, 5]]);
    expect(r2).toThrow(ShapeError);
    expect(r2).toThrow(/GlobalAveragePool 'pool_node': input 'X' expected shape rank >= 3, got \[3,5\]/);
    const i32 = buildPool('AveragePool', ['int32', [1, 3, 5, 5]], { kernel_shape: [2, 2] });
    expect(i32).toThrow(DTypeError);
    expect(i32).toThrow(/AveragePool 'pool_node': input 'X' expected dtype one of float32\|float64\|float16\|bfloat16, got int32/);
    expect(buildPool('MaxPool', ['int32', [1, 3, 5, 5]], { kernel_shape: [2, 2] })).toThrow(/expected dtype one of .*int8\|uint8, got int32/);
  });

  it('window larger than the padded input', () => {
    const f = buildPool('MaxPool', ['float32', [1, 3, 2, 5]], { kernel_shape: [3, 3] });
    expect(f).toThrow(ShapeError);
    expect(f).toThrow(/MaxPool 'pool_node': input 'X' expected shape spatial axis 2 of at least 3/);
  });
});
