// Single-node parity with onnxruntime-node for the heavy ops: MatMul (1-D, batched, broadcast), Gemm
// (transA/transB, alpha/beta, every C broadcast form), Conv (groups, depthwise, strides, dilations,
// asymmetric pads, auto_pad), MaxPool, AveragePool (count_include_pad, ceil_mode, dilations),
// GlobalAveragePool (ranks 3–5) and Softmax (every axis, opset 13).

import { describe, expect, it } from 'vitest';
import type { DType } from '../../../core/dtype.js';
import type { HostTensor } from '../../../core/tensor.js';
import type { AveragePoolAttrs } from '../../../ops/average-pool.js';
import type { ConvAttrs } from '../../../ops/conv.js';
import type { GemmAttrs } from '../../../ops/gemm.js';
import type { MaxPoolAttrs } from '../../../ops/max-pool.js';
import { runOrtSingleNode } from '../../helpers/ort-single-node.js';
import { randomTensor } from '../../helpers/random.js';
import { EXACT, expectMatchesReference, expectOrtParity, randomInts } from './harness.js';

type Dims = readonly number[];

function floats(dtype: DType, dims: Dims, seed: number, low = -1, high = 1): HostTensor {
  return randomTensor(dtype, dims, { seed, low, high });
}

// ---------------------------------------------------------------------------------------------
// MatMul (opset 13): numpy matmul semantics.

const MATMULS: readonly (readonly [string, Dims, Dims])[] = [
  ['1-D · 1-D (dot)', [6], [6]],
  ['1-D · 2-D', [4], [4, 5]],
  ['2-D · 1-D', [3, 4], [4]],
  ['2-D · 2-D', [3, 4], [4, 5]],
  ['1-D · batched', [4], [2, 4, 5]],
  ['batched · 1-D', [2, 3, 4], [4]],
  ['batched · batched', [2, 3, 4], [2, 4, 5]],
  ['batched · 2-D', [2, 3, 4], [4, 5]],
  ['2-D · batched', [3, 4], [2, 4, 5]],
  ['broadcast batch dims', [2, 1, 3, 4], [5, 4, 6]],
  ['broadcast both batch dims', [1, 3, 2, 4], [2, 1, 4, 3]],
  ['long K', [8, 200], [200, 7]],
  ['K = 0', [3, 0], [0, 4]],
];

describe('MatMul parity (opset 13)', () => {
  describe.each(['float32', 'float64', 'float16'] as const)('%s', (dtype) => {
    it.each(MATMULS)('%s %j x %j', async (_n, aDims, bDims) => {
      await expectOrtParity({ op: 'MatMul', inputs: [floats(dtype, aDims, 51), floats(dtype, bDims, 52)] });
    });
  });

  describe.each(['int32', 'int64'] as const)('%s (exact)', (dtype) => {
    it.each(MATMULS.filter(([n]) => n !== 'long K'))('%s %j x %j', async (_n, aDims, bDims) => {
      await expectOrtParity({ op: 'MatMul', inputs: [randomInts(dtype, aDims, 53, -9, 9), randomInts(dtype, bDims, 54, -9, 9)] });
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Gemm (opset 13): Y = alpha·A'·B' + beta·C, C unidirectionally broadcast to [M, N].

const M = 3;
const K = 4;
const N = 5;

/** C forms: absent, scalar, [1], [N], [M, 1], [1, N], [M, N]. */
const C_FORMS: readonly (readonly [string, Dims | undefined])[] = [
  ['no C', undefined],
  ['scalar C', []],
  ['C [1]', [1]],
  ['C [N]', [N]],
  ['C [M,1]', [M, 1]],
  ['C [1,N]', [1, N]],
  ['C [M,N]', [M, N]],
];

const TRANS = [
  [0, 0],
  [1, 0],
  [0, 1],
  [1, 1],
] as const;

const GEMMS = TRANS.flatMap(([transA, transB]) => C_FORMS.map(([name, c]) => [`transA=${transA} transB=${transB} ${name}`, transA, transB, c] as const));

function gemmInputs(dtype: DType, transA: number, transB: number, c: Dims | undefined, seed: number): (HostTensor | undefined)[] {
  const a = floats(dtype, transA ? [K, M] : [M, K], seed);
  const b = floats(dtype, transB ? [N, K] : [K, N], seed + 1);
  return [a, b, c === undefined ? undefined : floats(dtype, c, seed + 2)];
}

describe('Gemm parity (opset 13)', () => {
  it.each(GEMMS)('%s', async (_n, transA, transB, c) => {
    await expectOrtParity({ op: 'Gemm', inputs: gemmInputs('float32', transA, transB, c, 61), attrs: { transA, transB } });
  });

  const SCALES: readonly Partial<GemmAttrs>[] = [
    { alpha: 0.5, beta: 2 },
    { alpha: -1.25, beta: 0 },
    { alpha: 2, beta: -0.75, transA: 1 },
    { alpha: 0, beta: 1, transB: 1 },
  ];
  describe.each(['float32', 'float64'] as const)('alpha/beta, %s', (dtype) => {
    it.each(SCALES.flatMap((attrs) => C_FORMS.filter(([, c]) => c !== undefined).map(([name, c]) => [`${JSON.stringify(attrs)} ${name}`, attrs, c] as const)))('%s', async (_n, attrs, c) => {
      await expectOrtParity({ op: 'Gemm', inputs: gemmInputs(dtype, attrs.transA ?? 0, attrs.transB ?? 0, c, 62), attrs });
    });
  });

  it.each(GEMMS.filter((_, i) => i % 3 === 0))('float16: %s', async (_n, transA, transB, c) => {
    await expectOrtParity({ op: 'Gemm', inputs: gemmInputs('float16', transA, transB, c, 66), attrs: { transA, transB, alpha: 0.5, beta: 2 } });
  });

  it('larger K with alpha/beta and a row bias', async () => {
    const a = floats('float32', [16, 300], 63);
    const b = floats('float32', [20, 300], 64);
    const c = floats('float32', [20], 65);
    await expectOrtParity({ op: 'Gemm', inputs: [a, b, c], attrs: { transB: 1, alpha: 0.25, beta: 1.5 } });
  });
});

// ---------------------------------------------------------------------------------------------
// Conv (opset 11).

/** [name, X dims, W dims, bias, attrs]. */
type ConvCase = readonly [string, Dims, Dims, boolean, Partial<ConvAttrs>];

const CONVS: readonly ConvCase[] = [
  ['3x3, no padding', [2, 3, 7, 7], [4, 3, 3, 3], true, {}],
  ['3x3, pads 1', [1, 3, 6, 5], [4, 3, 3, 3], true, { pads: [1, 1, 1, 1] }],
  ['asymmetric pads', [1, 2, 6, 7], [3, 2, 3, 3], true, { pads: [0, 1, 2, 1] }],
  ['asymmetric pads, no bias', [2, 2, 5, 5], [3, 2, 2, 3], false, { pads: [2, 0, 1, 2] }],
  ['strides 2', [1, 3, 9, 8], [4, 3, 3, 3], true, { strides: [2, 2], pads: [1, 1, 1, 1] }],
  ['strides 2x1, dilations 1x2', [1, 3, 9, 10], [2, 3, 3, 3], true, { strides: [2, 1], dilations: [1, 2] }],
  ['dilations 2 with pads', [1, 2, 8, 8], [3, 2, 3, 3], true, { dilations: [2, 2], pads: [2, 1, 2, 1] }],
  ['dilations and strides', [2, 2, 11, 9], [4, 2, 3, 2], true, { dilations: [2, 3], strides: [3, 2], pads: [1, 0, 0, 2] }],
  ['1x1', [2, 8, 4, 4], [5, 8, 1, 1], true, {}],
  ['1x1 strided', [1, 6, 7, 7], [4, 6, 1, 1], false, { strides: [2, 2] }],
  ['non-square kernel', [1, 3, 6, 9], [2, 3, 2, 4], true, { pads: [1, 2, 0, 1] }],
  ['explicit kernel_shape', [1, 3, 5, 5], [2, 3, 3, 3], true, { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }],
  ['group 2', [2, 4, 6, 6], [6, 2, 3, 3], true, { group: 2, pads: [1, 1, 1, 1] }],
  ['group 3, strides', [1, 6, 7, 7], [9, 2, 3, 3], true, { group: 3, strides: [2, 2] }],
  ['depthwise', [2, 4, 6, 6], [4, 1, 3, 3], true, { group: 4, pads: [1, 1, 1, 1] }],
  ['depthwise, multiplier 2', [1, 3, 8, 8], [6, 1, 3, 3], true, { group: 3, pads: [1, 0, 1, 2], strides: [2, 1] }],
  ['depthwise, dilated', [1, 4, 9, 9], [4, 1, 3, 3], false, { group: 4, dilations: [2, 2], pads: [2, 2, 2, 2] }],
  ['SAME_UPPER, stride 2, odd input, even kernel', [1, 3, 7, 8], [2, 3, 4, 4], true, { auto_pad: 'SAME_UPPER', strides: [2, 2] }],
  ['SAME_LOWER, stride 2, odd input, even kernel', [1, 3, 7, 8], [2, 3, 4, 4], true, { auto_pad: 'SAME_LOWER', strides: [2, 2] }],
  ['SAME_UPPER, stride 1', [1, 2, 5, 6], [3, 2, 3, 2], true, { auto_pad: 'SAME_UPPER' }],
  ['SAME_LOWER, stride 3', [1, 2, 10, 7], [3, 2, 3, 3], true, { auto_pad: 'SAME_LOWER', strides: [3, 3] }],
  ['VALID', [1, 3, 8, 7], [2, 3, 3, 2], true, { auto_pad: 'VALID' }],
  ['VALID, strides 2', [1, 3, 9, 9], [2, 3, 3, 3], false, { auto_pad: 'VALID', strides: [2, 2] }],
  ['1-D', [2, 3, 10], [4, 3, 3], true, { pads: [1, 2] }],
  ['1-D strided, dilated', [2, 3, 15], [4, 3, 3], true, { strides: [2], dilations: [2], pads: [0, 1] }],
  ['1-D SAME_LOWER', [1, 2, 9], [3, 2, 4], false, { auto_pad: 'SAME_LOWER', strides: [2] }],
  ['1-D group 2', [1, 4, 8], [4, 2, 3], true, { group: 2 }],
];

function convInputs(dtype: DType, xDims: Dims, wDims: Dims, bias: boolean, seed: number): (HostTensor | undefined)[] {
  return [floats(dtype, xDims, seed), floats(dtype, wDims, seed + 1), bias ? floats(dtype, [wDims[0]], seed + 2) : undefined];
}

describe('Conv parity (opset 11)', () => {
  it.each(CONVS)('%s', async (_n, xDims, wDims, bias, attrs) => {
    await expectOrtParity({ op: 'Conv', inputs: convInputs('float32', xDims, wDims, bias, 71), attrs });
  });

  // onnxruntime registers no double Conv kernel on CPU ("Could not find an implementation for Conv(11)"):
  // float64 is checked against the float64 reference instead.
  it.each(CONVS.filter((_, i) => i % 3 === 0))('float64 (reference; no onnxruntime kernel): %s', (_n, xDims, wDims, bias, attrs) => {
    expectMatchesReference('Conv', convInputs('float64', xDims, wDims, bias, 72), attrs);
  });

  it.each(CONVS.filter((_, i) => i % 3 === 1))('float16: %s', async (_n, xDims, wDims, bias, attrs) => {
    await expectOrtParity({ op: 'Conv', inputs: convInputs('float16', xDims, wDims, bias, 75), attrs });
  });

  it('larger channel count (accumulation order)', async () => {
    await expectOrtParity({ op: 'Conv', inputs: convInputs('float32', [1, 64, 8, 8], [32, 64, 3, 3], true, 73), attrs: { pads: [1, 1, 1, 1] } });
  });

  // onnxruntime rejects dilations together with auto_pad SAME_UPPER/SAME_LOWER (conv_attributes.h:
  // "Dilation not supported for AutoPadType::SAME_UPPER or AutoPadType::SAME_LOWER"), though ONNX
  // defines them (the padding covers the dilated kernel). The float64 reference is the oracle there.
  it.each([
    ['SAME_UPPER, dilations 2', [1, 2, 7, 8], [3, 2, 3, 3], { auto_pad: 'SAME_UPPER', dilations: [2, 2] }],
    ['SAME_LOWER, dilations 2x3, stride 2', [1, 2, 9, 10], [3, 2, 2, 3], { auto_pad: 'SAME_LOWER', dilations: [2, 3], strides: [2, 2] }],
    ['1-D SAME_UPPER, dilation 3', [2, 3, 11], [2, 3, 2], { auto_pad: 'SAME_UPPER', dilations: [3] }],
  ] as const)('%s: against the reference', async (_n, xDims, wDims, attrs) => {
    const inputs = convInputs('float32', xDims, wDims, true, 74);
    const r = expectMatchesReference('Conv', inputs, attrs);
    const stride = 'strides' in attrs ? attrs.strides[0] : 1;
    expect(r.kiln[0].dims[2]).toBe(Math.ceil(xDims[2] / stride));
    await expect(runOrtSingleNode({ op: 'Conv', opset: 11, inputs, attrs: { auto_pad: { string: attrs.auto_pad }, dilations: { ints: attrs.dilations } } })).rejects.toThrow(/Dilation not supported/);
  });
});

// ---------------------------------------------------------------------------------------------
// MaxPool (opset 12) and AveragePool (opset 19; 11 for the pre-dilation form).

type MaxCase = readonly [string, Dims, Partial<MaxPoolAttrs>];

const MAXPOOLS: readonly MaxCase[] = [
  ['2x2', [2, 3, 6, 6], { kernel_shape: [2, 2] }],
  ['2x2 stride 2', [1, 3, 8, 7], { kernel_shape: [2, 2], strides: [2, 2] }],
  ['3x3 stride 2 pads 1', [1, 2, 7, 7], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }],
  ['asymmetric pads', [1, 2, 6, 5], { kernel_shape: [3, 2], pads: [0, 1, 2, 0] }],
  ['ceil_mode', [1, 2, 6, 6], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }],
  ['ceil_mode with pads', [2, 2, 7, 8], { kernel_shape: [3, 3], strides: [2, 3], pads: [1, 0, 1, 1], ceil_mode: 1 }],
  ['ceil_mode drops a window starting in the end padding', [1, 1, 5, 5], { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 1, 1], ceil_mode: 1 }],
  ['dilations 2', [1, 2, 8, 8], { kernel_shape: [2, 2], dilations: [2, 2] }],
  ['dilations with strides and pads', [1, 2, 10, 9], { kernel_shape: [3, 2], dilations: [2, 3], strides: [2, 1], pads: [1, 1, 2, 1] }],
  ['dilations with ceil_mode', [1, 2, 9, 9], { kernel_shape: [2, 2], dilations: [2, 2], strides: [2, 2], ceil_mode: 1 }],
  ['SAME_UPPER stride 2', [1, 3, 7, 6], { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' }],
  ['SAME_LOWER stride 2', [1, 3, 7, 6], { kernel_shape: [2, 2], strides: [2, 2], auto_pad: 'SAME_LOWER' }],
  ['VALID', [1, 3, 7, 6], { kernel_shape: [3, 2], strides: [2, 2], auto_pad: 'VALID' }],
  ['1-D', [2, 3, 11], { kernel_shape: [3], strides: [2], pads: [1, 1] }],
  ['1-D ceil_mode dilated', [2, 3, 12], { kernel_shape: [2], strides: [3], dilations: [2], ceil_mode: 1 }],
  ['kernel covers the input', [1, 2, 4, 4], { kernel_shape: [4, 4] }],
];

describe('MaxPool parity (opset 12)', () => {
  it.each(MAXPOOLS)('%s', async (_n, dims, attrs) => {
    await expectOrtParity({ op: 'MaxPool', inputs: [floats('float32', dims, 81, -5, 5)], attrs });
  });

  describe.each(['float64', 'float16', 'int8', 'uint8'] as const)('%s', (dtype) => {
    it.each(MAXPOOLS.filter((_, i) => i % 2 === 0))('%s', async (_n, dims, attrs) => {
      const x = dtype === 'int8' || dtype === 'uint8' ? randomInts(dtype, dims, 82, dtype === 'int8' ? -120 : 0, 120) : floats(dtype, dims, 82, -5, 5);
      await expectOrtParity({ op: 'MaxPool', inputs: [x], attrs, tol: dtype === 'float16' ? EXACT : undefined });
    });
  });
});

type AvgCase = readonly [string, Dims, Partial<AveragePoolAttrs>];

const AVGPOOLS: readonly AvgCase[] = [
  ['2x2', [2, 3, 6, 6], { kernel_shape: [2, 2] }],
  ['3x3 stride 2 pads 1', [1, 2, 7, 7], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }],
  ['asymmetric pads', [1, 2, 6, 5], { kernel_shape: [3, 3], pads: [0, 2, 2, 1] }],
  ['ceil_mode', [1, 2, 6, 6], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }],
  ['ceil_mode with pads', [2, 2, 7, 8], { kernel_shape: [3, 3], strides: [2, 3], pads: [1, 0, 1, 1], ceil_mode: 1 }],
  ['ceil_mode, window past the end padding', [1, 1, 6, 6], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1 }],
  ['SAME_UPPER stride 2', [1, 3, 7, 6], { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' }],
  ['SAME_LOWER', [1, 3, 5, 6], { kernel_shape: [2, 3], auto_pad: 'SAME_LOWER' }],
  ['VALID stride 2', [1, 3, 7, 6], { kernel_shape: [2, 2], strides: [2, 2], auto_pad: 'VALID' }],
  ['1-D', [2, 3, 11], { kernel_shape: [4], strides: [2], pads: [2, 1] }],
  ['1-D ceil_mode', [2, 3, 10], { kernel_shape: [3], strides: [2], pads: [1, 1], ceil_mode: 1 }],
];

/** Opset-19 only: AveragePool dilations. */
const AVGPOOLS_DILATED: readonly AvgCase[] = [
  ['dilations 2', [1, 2, 8, 8], { kernel_shape: [2, 2], dilations: [2, 2] }],
  ['dilations with pads', [1, 2, 9, 9], { kernel_shape: [3, 3], dilations: [2, 2], pads: [2, 1, 1, 2] }],
  ['dilations with ceil_mode and strides', [1, 2, 10, 9], { kernel_shape: [2, 2], dilations: [2, 3], strides: [2, 2], pads: [1, 1, 0, 1], ceil_mode: 1 }],
];

describe.each([0, 1] as const)('AveragePool parity, count_include_pad=%i', (countIncludePad) => {
  it.each([...AVGPOOLS, ...AVGPOOLS_DILATED])('opset 19: %s', async (_n, dims, attrs) => {
    await expectOrtParity({ op: 'AveragePool', inputs: [floats('float32', dims, 91, -5, 5)], attrs: { ...attrs, count_include_pad: countIncludePad } });
  });

  it.each(AVGPOOLS)('opset 11: %s', async (_n, dims, attrs) => {
    await expectOrtParity({ op: 'AveragePool', inputs: [floats('float32', dims, 92, -5, 5)], attrs: { ...attrs, count_include_pad: countIncludePad }, ort: { opset: 11 } });
  });

  it.each(AVGPOOLS.filter((_, i) => i % 2 === 0))('float16: %s', async (_n, dims, attrs) => {
    await expectOrtParity({ op: 'AveragePool', inputs: [floats('float16', dims, 93, -5, 5)], attrs: { ...attrs, count_include_pad: countIncludePad } });
  });

  // onnxruntime has no double AveragePool kernel on CPU: float64 against the float64 reference.
  it.each(AVGPOOLS.filter((_, i) => i % 2 === 0))('float64 (reference; no onnxruntime kernel): %s', (_n, dims, attrs) => {
    expectMatchesReference('AveragePool', [floats('float64', dims, 93, -5, 5)], { ...attrs, count_include_pad: countIncludePad });
  });
});

const GLOBAL_POOLS = [
  ['rank 3', [2, 3, 7]],
  ['rank 4', [2, 3, 5, 4]],
  ['rank 5', [1, 2, 3, 4, 5]],
  ['1x1 spatial', [2, 4, 1, 1]],
  ['large plane, offset', [1, 2, 32, 32]],
] as const;

describe('GlobalAveragePool parity', () => {
  it.each(GLOBAL_POOLS)('float32, opset 1: %s %j', async (_n, dims) => {
    await expectOrtParity({ op: 'GlobalAveragePool', inputs: [randomTensor('float32', dims, { seed: 101, offset: 3 })] });
  });

  // GlobalAveragePool-1 is the op's only version before 22, so float16 models are written at opset 13:
  // at opset 1 onnxruntime's float16 fallback inserts Cast nodes with an INT 'to', which Cast-1 (a
  // STRING 'to') rejects ("Mismatched attribute type in 'InsertedPrecisionFreeCast_x0 : to'").
  it.each(GLOBAL_POOLS)('float16, opset 13: %s %j', async (_n, dims) => {
    await expectOrtParity({ op: 'GlobalAveragePool', inputs: [randomTensor('float16', dims, { seed: 101 })], ort: { opset: 13 } });
  });

  // onnxruntime has no double GlobalAveragePool kernel on CPU: float64 against the float64 reference.
  it.each(GLOBAL_POOLS)('float64 (reference; no onnxruntime kernel): %s %j', (_n, dims) => {
    expectMatchesReference('GlobalAveragePool', [randomTensor('float64', dims, { seed: 101, offset: 3 })]);
  });
});

// ---------------------------------------------------------------------------------------------
// Softmax (opset 13: one axis, not the pre-13 2-D coercion).

const SOFTMAX_SHAPES: readonly Dims[] = [[7], [3, 5], [2, 3, 4], [2, 3, 2, 5]];
const SOFTMAXES = SOFTMAX_SHAPES.flatMap((dims) => Array.from({ length: 2 * dims.length }, (_, i) => [dims, i - dims.length] as const));

describe('Softmax parity (opset 13)', () => {
  it.each(SOFTMAXES)('%j axis=%i', async (dims, axis) => {
    await expectOrtParity({ op: 'Softmax', inputs: [floats('float32', dims, 111, -4, 4)], attrs: { axis } });
  });

  it('default axis (−1)', async () => {
    await expectOrtParity({ op: 'Softmax', inputs: [floats('float32', [2, 3, 4], 112)], ort: { attrs: {} } });
  });

  it.each([
    ['large offset (stability)', 1000, 4],
    ['wide range', 0, 60],
  ] as const)('%s', async (_n, offset, width) => {
    const x = randomTensor('float32', [3, 4, 6], { seed: 113, offset, low: -width, high: width });
    for (const axis of [0, 1, -1]) await expectOrtParity({ op: 'Softmax', inputs: [x], attrs: { axis } });
  });

  describe.each(['float64', 'float16'] as const)('%s', (dtype) => {
    it.each(SOFTMAXES.filter(([d]) => d.length === 3))('%j axis=%i', async (dims, axis) => {
      await expectOrtParity({ op: 'Softmax', inputs: [floats(dtype, dims, 114, -4, 4)], attrs: { axis } });
    });
  });
});
