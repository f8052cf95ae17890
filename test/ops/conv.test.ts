// Conv (opset 11): the window arithmetic and the float64 reference against hand-derived values and a
// plain 2-D loop written here; kiln CPU against the reference over groups (depthwise included),
// strides, dilations, asymmetric pads, every auto_pad, 1-D and no-bias; typed errors.

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import type { Value } from '../../compiler/ir/types.js';
import type { DType } from '../../core/dtype.js';
import { ArgumentError, DTypeError, ShapeError, UnsupportedOpError } from '../../core/errors.js';
import type { Shape } from '../../core/shape.js';
import { F64Tensor, fromFloat64, HostTensor, toFloat64 } from '../../core/tensor.js';
import type { ConvAttrs } from '../../ops/conv.js';
import { resolveWindow } from '../../ops/window.js';
import { GraphSession } from '../../runtime/graph-session.js';
import { runReference } from '../../runtime/reference.js';
import { expectClose, toleranceFor } from '../helpers/compare.js';
import { randomTensor } from '../helpers/random.js';
import { runSingleNode, singleNodeGraph } from '../helpers/single-node.js';

const site = { op: 'Conv', node: 'conv_node' };

function reference(inputs: readonly (HostTensor | undefined)[], attrs: Partial<ConvAttrs> = {}): F64Tensor {
  const { graph, feeds } = singleNodeGraph('Conv', inputs, attrs);
  return runReference(graph, feeds).outputs[graph.outputs[0].name];
}

function buildConv(inputs: readonly (readonly [DType, Shape])[], attrs: Partial<ConvAttrs> = {}): () => Value {
  return () => {
    const g = new GraphBuilder();
    return g.op('Conv', inputs.map(([d, s], i) => g.input(`in${i}`, d, s)), attrs, 'conv_node');
  };
}

/** 2-D grouped convolution straight from the definition, explicit pads [top, left, bottom, right]. */
function conv2dByHand(x: F64Tensor, w: F64Tensor, b: F64Tensor | undefined, group: number, strides: readonly number[], pads: readonly number[], dil: readonly number[]): F64Tensor {
  const [n, c, h, wd] = x.dims;
  const [m, cg, kh, kw] = w.dims;
  const oh = Math.floor((h + pads[0] + pads[2] - (dil[0] * (kh - 1) + 1)) / strides[0]) + 1;
  const ow = Math.floor((wd + pads[1] + pads[3] - (dil[1] * (kw - 1) + 1)) / strides[1]) + 1;
  const out = new Float64Array(n * m * oh * ow);
  const xAt = (ni: number, ci: number, y: number, xx: number): number => (y < 0 || y >= h || xx < 0 || xx >= wd ? 0 : x.data[((ni * c + ci) * h + y) * wd + xx]);
  for (let ni = 0; ni < n; ni++)
    for (let mi = 0; mi < m; mi++)
      for (let y = 0; y < oh; y++)
        for (let xx = 0; xx < ow; xx++) {
          let s = b ? b.data[mi] : 0;
          const g = Math.floor(mi / (m / group));
          for (let ci = 0; ci < cg; ci++)
            for (let i = 0; i < kh; i++)
              for (let j = 0; j < kw; j++) {
                s += xAt(ni, g * cg + ci, y * strides[0] - pads[0] + i * dil[0], xx * strides[1] - pads[1] + j * dil[1]) * w.data[((mi * cg + ci) * kh + i) * kw + j];
              }
          out[((ni * m + mi) * oh + y) * ow + xx] = s;
        }
  return { dims: [n, m, oh, ow], data: out };
}

describe('Conv window arithmetic (auto_pad, pads, dilations) by hand', () => {
  const win = (inSize: number, k: number, s: number, autoPad: string, d = 1) =>
    resolveWindow(site, [inSize], { auto_pad: autoPad, kernel: [k], strides: [s], dilations: [d], pads: undefined, ceil_mode: 0 });

  it('SAME_UPPER puts the odd pad at the end, SAME_LOWER at the beginning', () => {
    // in 5, k 4, s 2: out = ceil(5/2) = 3, total = (3−1)·2 + 4 − 5 = 3
    expect(win(5, 4, 2, 'SAME_UPPER')).toMatchObject({ pads: [1, 2], outDims: [3] });
    expect(win(5, 4, 2, 'SAME_LOWER')).toMatchObject({ pads: [2, 1], outDims: [3] });
    // even total splits equally: in 5, k 3, s 1: total 2
    expect(win(5, 3, 1, 'SAME_UPPER')).toMatchObject({ pads: [1, 1], outDims: [5] });
    // dilated kernel: k 3, d 2 -> effective 5, total 4
    expect(win(6, 3, 1, 'SAME_LOWER', 2)).toMatchObject({ pads: [2, 2], outDims: [6] });
    // negative need clamps to 0: in 6, k 1, s 3 -> out 2, need (1)·3 + 1 − 6 < 0
    expect(win(6, 1, 3, 'SAME_UPPER')).toMatchObject({ pads: [0, 0], outDims: [2] });
  });

  it('VALID and NOTSET', () => {
    expect(win(7, 3, 2, 'VALID')).toMatchObject({ pads: [0, 0], outDims: [3] });
    const explicit = resolveWindow(site, [7, 6], { auto_pad: 'NOTSET', kernel: [3, 2], strides: [2, 1], dilations: [1, 3], pads: [1, 0, 2, 1], ceil_mode: 0 });
    // axis 0: (7 + 1 + 2 − 3) / 2 + 1 = 4 (floor); axis 1: (6 + 0 + 1 − 4) / 1 + 1 = 4
    expect(explicit).toMatchObject({ pads: [1, 0, 2, 1], outDims: [4, 4] });
  });
});

describe('Conv reference against hand values', () => {
  it('3x3 input, 2x2 ones kernel, no padding', () => {
    const x = fromFloat64('float64', [1, 1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const w = fromFloat64('float64', [1, 1, 2, 2], [1, 1, 1, 1]);
    const y = reference([x, w]);
    expect(y.dims).toEqual([1, 1, 2, 2]);
    expect([...y.data]).toEqual([12, 16, 24, 28]);
  });

  it('padding 1, stride 2, bias', () => {
    const x = fromFloat64('float64', [1, 1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const w = fromFloat64('float64', [1, 1, 3, 3], [0, 0, 0, 0, 1, 0, 0, 0, 0]);
    const b = fromFloat64('float64', [1], [10]);
    // identity kernel with pad 1 and stride 2 samples the corners
    expect([...reference([x, w, b], { pads: [1, 1, 1, 1], strides: [2, 2] }).data]).toEqual([11, 13, 17, 19]);
  });

  it('1-D with dilation 2 and asymmetric pads', () => {
    const x = fromFloat64('float64', [1, 1, 5], [1, 2, 3, 4, 5]);
    const w = fromFloat64('float64', [1, 1, 2], [1, -1]);
    // padded [0, 1, 2, 3, 4, 5, 0, 0]; taps i and i+2: out = p[i] − p[i+2] for i = 0..5
    const y = reference([x, w], { pads: [1, 2], dilations: [2] });
    expect(y.dims).toEqual([1, 1, 6]);
    expect([...y.data]).toEqual([-2, -2, -2, -2, 4, 5]);
  });

  it.each([
    ['grouped, strided, dilated, asymmetric pads', [2, 4, 7, 8], [6, 2, 3, 2], 2, [2, 1], [1, 0, 2, 1], [1, 2]],
    ['depthwise', [1, 3, 5, 5], [3, 1, 3, 3], 3, [1, 1], [1, 1, 1, 1], [1, 1]],
    ['depthwise multiplier 2', [1, 3, 6, 4], [6, 1, 2, 2], 3, [2, 1], [0, 1, 1, 0], [2, 1]],
  ] as const)('%s matches the plain loop', (_n, xd, wd, group, strides, pads, dilations) => {
    const x = randomTensor('float64', xd, { seed: 1 });
    const w = randomTensor('float64', wd, { seed: 2 });
    const b = randomTensor('float64', [wd[0]], { seed: 3 });
    const y = reference([x, w, b], { group, strides, pads, dilations });
    expectClose(y, conv2dByHand(toFloat64(x), toFloat64(w), toFloat64(b), group, strides, pads, dilations), { rtol: 1e-12, atol: 1e-12 });
  });
});

describe('Conv kiln CPU against the reference', () => {
  const cases: readonly (readonly [string, readonly number[], readonly number[], Partial<ConvAttrs>, boolean])[] = [
    ['plain 3x3', [2, 3, 7, 6], [4, 3, 3, 3], {}, true],
    ['no bias', [2, 3, 7, 6], [4, 3, 3, 3], {}, false],
    ['1x1', [2, 5, 4, 4], [3, 5, 1, 1], {}, true],
    ['stride 2, asymmetric pads', [1, 3, 9, 8], [4, 3, 3, 3], { strides: [2, 2], pads: [1, 0, 2, 1] }, true],
    ['strides 3x1 with pads', [1, 2, 10, 7], [2, 2, 2, 3], { strides: [3, 1], pads: [0, 2, 1, 0] }, true],
    ['dilations 2x3', [1, 3, 11, 12], [2, 3, 3, 2], { dilations: [2, 3], pads: [2, 1, 0, 2] }, true],
    ['group 2', [2, 4, 6, 6], [6, 2, 3, 3], { group: 2, pads: [1, 1, 1, 1] }, true],
    ['depthwise', [2, 6, 7, 7], [6, 1, 3, 3], { group: 6, pads: [1, 1, 1, 1] }, true],
    ['depthwise multiplier 2, stride 2', [1, 4, 8, 9], [8, 1, 3, 3], { group: 4, strides: [2, 2], pads: [0, 1, 1, 0] }, true],
    ['SAME_UPPER stride 2', [1, 3, 8, 7], [4, 3, 4, 3], { auto_pad: 'SAME_UPPER', strides: [2, 2] }, true],
    ['SAME_LOWER stride 2', [1, 3, 8, 7], [4, 3, 4, 3], { auto_pad: 'SAME_LOWER', strides: [2, 2] }, true],
    ['SAME_UPPER dilated', [1, 2, 6, 6], [3, 2, 3, 3], { auto_pad: 'SAME_UPPER', dilations: [2, 1] }, true],
    ['VALID stride 2', [1, 3, 9, 8], [2, 3, 3, 3], { auto_pad: 'VALID', strides: [2, 2] }, true],
    ['NOTSET explicit, kernel_shape given', [1, 3, 5, 5], [2, 3, 3, 3], { auto_pad: 'NOTSET', kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, true],
    ['1-D', [2, 3, 10], [4, 3, 3], { strides: [2], pads: [1, 2], dilations: [2] }, true],
    ['1-D SAME_LOWER', [2, 3, 10], [4, 3, 4], { auto_pad: 'SAME_LOWER' }, false],
    ['1-D grouped', [1, 4, 9], [4, 2, 2], { group: 2 }, true],
  ];

  it.each(cases)('%s (float32)', (_name, xd, wd, attrs, bias) => {
    const x = randomTensor('float32', xd, { seed: 31 });
    const w = randomTensor('float32', wd, { seed: 32 });
    const b = bias ? randomTensor('float32', [wd[0]], { seed: 33 }) : undefined;
    const r = runSingleNode('Conv', [x, w, b], attrs);
    expectClose(r.kiln[0], r.reference[0], { rtol: 1e-5, atol: 1e-5 });
  });

  it.each(['float64', 'float16'] as const)('dtype %s', (dtype) => {
    const r = runSingleNode('Conv', [randomTensor(dtype, [1, 4, 6, 5], { seed: 1 }), randomTensor(dtype, [4, 2, 3, 3], { seed: 2 }), randomTensor(dtype, [4], { seed: 3 })], { group: 2, pads: [1, 1, 0, 0] });
    expect(r.kiln[0].dtype).toBe(dtype);
    expectClose(r.kiln[0], r.reference[0], toleranceFor(dtype));
  });

  it('constant weights still run the conv2d routine (only the node input is a graph input)', () => {
    const { graph } = singleNodeGraph('Conv', [randomTensor('float32', [1, 2, 5, 5], { seed: 1 }), { tensor: randomTensor('float32', [3, 2, 3, 3], { seed: 2 }), constant: true }]);
    const plan = new GraphSession(graph).planFor(new Map([['in0', [1, 2, 5, 5]]]));
    expect(plan.steps.map((s) => (s.kind === 'routine' ? s.call.routine : s.kind))).toEqual(['conv2d']);
  });

  it('3-D convolution: the reference computes it, the CPU backend reports it unsupported', () => {
    const x = randomTensor('float32', [1, 2, 3, 4, 4], { seed: 1 });
    const w = randomTensor('float32', [2, 2, 2, 2, 2], { seed: 2 });
    const y = reference([x, w]);
    expect(y.dims).toEqual([1, 2, 2, 3, 3]);
    // spot-check one output against the definition: y[0,1,1,2,0]
    let s = 0;
    for (let c = 0; c < 2; c++)
      for (let i = 0; i < 2; i++)
        for (let j = 0; j < 2; j++)
          for (let k = 0; k < 2; k++) s += x.data[((c * 3 + 1 + i) * 4 + 2 + j) * 4 + k] * w.data[(((1 * 2 + c) * 2 + i) * 2 + j) * 2 + k];
    expect(y.data[((1 * 2 + 1) * 3 + 2) * 3 + 0]).toBeCloseTo(s, 6);
    expect(() => runSingleNode('Conv', [x, w])).toThrow(UnsupportedOpError);
    expect(() => runSingleNode('Conv', [x, w])).toThrow(/Conv opset 11 at node 'conv_node': 3-D convolution/);
  });
});

describe('Conv typed errors', () => {
  it('W channels do not match C/group', () => {
    const f = buildConv([['float32', [1, 3, 5, 5]], ['float32', [4, 2, 3, 3]]]);
    expect(f).toThrow(ShapeError);
    expect(f).toThrow(/Conv 'conv_node': input 'W' expected shape \[4,3,3,3\] \(dim 1 = C\/group = 3\/1\), got \[4,2,3,3\]/);
  });

  it('group does not divide C', () => {
    const f = buildConv([['float32', [1, 3, 5, 5]], ['float32', [4, 1, 3, 3]]], { group: 2 });
    expect(f).toThrow(ArgumentError);
    expect(f).toThrow(/Conv 'conv_node': argument 'group' expected a divisor of X's channel count C=3, got 2/);
  });

  it('group does not divide M', () => {
    const f = buildConv([['float32', [1, 4, 5, 5]], ['float32', [3, 2, 3, 3]]], { group: 2 });
    expect(f).toThrow(ShapeError);
    expect(f).toThrow(/input 'W' expected shape dim 0 \(M output channels\) divisible by group=2, got \[3,2,3,3\]/);
  });

  it('kernel_shape disagrees with W', () => {
    const f = buildConv([['float32', [1, 3, 5, 5]], ['float32', [4, 3, 3, 3]]], { kernel_shape: [5, 5] });
    expect(f).toThrow(ArgumentError);
    expect(f).toThrow(/argument 'kernel_shape' expected W's spatial dims \[3,3\], got \[5,5\]/);
    expect(buildConv([['float32', [1, 3, 5, 5]], ['float32', [4, 3, 3, 3]]], { kernel_shape: [3] })).toThrow(/argument 'kernel_shape'.*got \[3\]/);
  });

  it('W rank differs from X', () => {
    expect(buildConv([['float32', [1, 3, 5, 5]], ['float32', [4, 3, 3]]])).toThrow(/input 'W' expected shape rank 4, got \[4,3,3\]/);
  });

  it('bias shape', () => {
    const f = buildConv([['float32', [1, 3, 5, 5]], ['float32', [4, 3, 3, 3]], ['float32', [3]]]);
    expect(f).toThrow(ShapeError);
    expect(f).toThrow(/input 'B' expected shape \[4\], got \[3\]/);
  });

  it('non-float and mixed dtypes', () => {
    const f = buildConv([['int32', [1, 3, 5, 5]], ['int32', [4, 3, 3, 3]]]);
    expect(f).toThrow(DTypeError);
    expect(f).toThrow(/Conv 'conv_node': input 'X' expected dtype one of float32\|float64\|float16\|bfloat16, got int32/);
    expect(buildConv([['float32', [1, 3, 5, 5]], ['float64', [4, 3, 3, 3]]])).toThrow(/input 'W' expected dtype float32 \(same as 'X'\), got float64/);
  });

  it('bad window attributes', () => {
    const x: readonly [DType, Shape] = ['float32', [1, 3, 5, 5]];
    const w: readonly [DType, Shape] = ['float32', [4, 3, 3, 3]];
    expect(buildConv([x, w], { auto_pad: 'SAME' })).toThrow(/argument 'auto_pad' expected one of NOTSET\|SAME_UPPER\|SAME_LOWER\|VALID, got 'SAME'/);
    expect(buildConv([x, w], { pads: [1, 1] })).toThrow(/argument 'pads' expected 4 integers >= 0.*got \[1,1\]/);
    expect(buildConv([x, w], { strides: [0, 1] })).toThrow(/argument 'strides' expected 2 integers >= 1.*got \[0,1\]/);
    expect(buildConv([x, w], { dilations: [1, 1, 1] })).toThrow(/argument 'dilations'/);
    expect(buildConv([x, w], { auto_pad: 'VALID', pads: [1, 1, 1, 1] })).toThrow(/argument 'pads' expected no explicit pads with auto_pad=VALID, got \[1,1,1,1\]/);
    expect(buildConv([x, w], { group: 0 })).toThrow(/argument 'group' expected an integer >= 1, got 0/);
  });

  it('input smaller than the kernel', () => {
    const f = buildConv([['float32', [1, 3, 2, 5]], ['float32', [4, 3, 3, 3]]]);
    expect(f).toThrow(ShapeError);
    expect(f).toThrow(/input 'X' expected shape spatial axis 2 of at least 3/);
  });

  it('symbolic batch and spatial dims', () => {
    const g = new GraphBuilder();
    const same = g.op('Conv', [g.input('x', 'float32', ['n', 3, 'h', 8]), g.input('w', 'float32', [4, 3, 3, 3])], { auto_pad: 'SAME_UPPER' }, 'c1');
    expect(same.type.shape).toEqual(['n', 4, 'h', 8]);
    const strided = g.op('Conv', [g.input('x2', 'float32', ['n', 3, 'h', 8]), g.input('w2', 'float32', [4, 3, 3, 3])], { strides: [2, 2] }, 'c2');
    expect(strided.type.shape[2]).toEqual(expect.any(String));
    expect(strided.type.shape[3]).toBe(3);
  });
});
