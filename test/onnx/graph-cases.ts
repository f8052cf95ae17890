// Graphs built with GraphBuilder over many ops, with seeded feeds: the corpus of the export/import
// round-trip and onnxruntime parity tests. `exact` marks graphs whose every node is written 1:1 at
// every opset (so a round trip must reproduce kiln's outputs bit for bit); `minOpset` marks graphs
// that cannot be expressed below it (export must refuse them with OnnxExportError).

import { GraphBuilder } from '../../compiler/ir/builder.js';
import type { Graph, Value } from '../../compiler/ir/types.js';
import type { DType } from '../../core/dtype.js';
import { fromFloat64, hostTensor, HostTensor } from '../../core/tensor.js';
import { randomTensor } from '../helpers/random.js';

export interface GraphCase {
  readonly name: string;
  readonly graph: Graph;
  readonly feeds: Record<string, HostTensor>;
  /** Every node maps 1:1 at opsets 9, 14 and 15: the round trip is bit-exact. */
  readonly exact: boolean;
  /** Lowest opset that can express the graph (default: any). */
  readonly minOpset?: number;
  /** Opsets at which onnxruntime has kernels for the graph (default: all); the reason is in the case. */
  readonly ortOpsets?: readonly number[];
  /** Outputs onnxruntime defines differently below an opset: [output, opset, why]. */
  readonly ortSkip?: readonly (readonly [string, number, string])[];
}

function init(b: GraphBuilder, name: string, dims: readonly number[], seed: number, o: { low?: number; high?: number; dtype?: DType } = {}): Value {
  return b.initializer(name, randomTensor(o.dtype ?? 'float32', dims, { seed, low: o.low ?? -1, high: o.high ?? 1 }));
}

function ints(b: GraphBuilder, name: string, values: readonly number[]): Value {
  return b.initializer(name, fromFloat64('int64', [values.length], values));
}

function convNet(): GraphCase {
  const b = new GraphBuilder('convnet');
  const x = b.input('x', 'float32', ['N', 3, 8, 8]);
  const c = b.op('Conv', [x, init(b, 'conv_w', [4, 3, 3, 3], 1), init(b, 'conv_b', [4], 2)], { pads: [1, 1, 1, 1] }, 'conv');
  const [bn] = b.node('BatchNormalization', [c, init(b, 'gamma', [4], 3, { low: 0.5, high: 1.5 }), init(b, 'beta', [4], 4), init(b, 'mean', [4], 5), init(b, 'var', [4], 6, { low: 0.5, high: 2 })], { epsilon: 1e-3, momentum: 0.99 }, { name: 'bn' });
  const r = b.op('Relu', [bn], {}, 'relu');
  const p = b.op('MaxPool', [r], { kernel_shape: [2, 2], strides: [2, 2] }, 'pool');
  const ap = b.op('AveragePool', [p], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], count_include_pad: 1 }, 'avgpool');
  const g = b.op('GlobalAveragePool', [ap], {}, 'gap');
  const f = b.op('Flatten', [g], { axis: 1 }, 'flatten');
  const d = b.op('Gemm', [f, init(b, 'dense_w', [5, 4], 7), init(b, 'dense_b', [5], 8)], { transB: 1, alpha: 0.5 }, 'dense');
  const s = b.op('Softmax', [d], { axis: 1 }, 'softmax');
  return { name: 'conv-bn-relu-pool-gemm-softmax', graph: b.build([s]), feeds: { x: randomTensor('float32', [2, 3, 8, 8], { seed: 11 }) }, exact: true };
}

function elementwise(): GraphCase {
  const b = new GraphBuilder('elementwise');
  const x = b.input('x', 'float32', [2, 3, 4]);
  const y = b.input('y', 'float32', [3, 1]);
  const row = init(b, 'row', [4], 21);
  let v = b.op('Add', [x, y]);
  v = b.op('Sub', [v, row]);
  v = b.op('Mul', [v, init(b, 'scale', [1, 3, 1], 22)]);
  v = b.op('Div', [v, init(b, 'den', [4], 23, { low: 1, high: 2 })]);
  const positive = b.op('Add', [b.op('Abs', [v]), init(b, 'one', [], 24, { low: 1, high: 1 })]);
  const pw = b.op('Pow', [positive, init(b, 'exponent', [], 25, { low: 1.5, high: 1.5 })]);
  const m = b.op('Max', [b.op('Sigmoid', [v]), b.op('Tanh', [v])]);
  const n = b.op('Min', [b.op('Exp', [b.op('Neg', [v])]), b.op('Log', [positive])]);
  const q = b.op('Reciprocal', [b.op('Sqrt', [positive])]);
  const sum = b.op('Sum', [m, n, q, b.op('Identity', [pw])]);
  const clip = b.op('Clip', [sum], { min: -0.5, max: 2.5 });
  const clipLow = b.op('Clip', [v], { min: 0 });
  const leaky = b.op('LeakyRelu', [v], { alpha: 0.2 });
  const hs = b.op('HardSigmoid', [v], { alpha: 0.25, beta: 0.4 });
  const out = b.op('Add', [b.op('Add', [clip, clipLow]), b.op('Mul', [leaky, hs])]);
  return {
    name: 'elementwise',
    graph: b.build([out]),
    feeds: { x: randomTensor('float32', [2, 3, 4], { seed: 1 }), y: randomTensor('float32', [3, 1], { seed: 2 }) },
    exact: true,
  };
}

function hardSwish(): GraphCase {
  const b = new GraphBuilder('hardswish');
  const x = b.input('x', 'float32', [2, 8]);
  const out = b.op('HardSwish', [x], {}, 'hswish');
  // Below opset 14 HardSwish is written as x·HardSigmoid(x): close, not bit-identical.
  return { name: 'hard-swish', graph: b.build([out]), feeds: { x: randomTensor('float32', [2, 8], { seed: 3, low: -5, high: 5 }) }, exact: false };
}

function reductions(): GraphCase {
  const b = new GraphBuilder('reductions');
  const x = b.input('x', 'float32', ['N', 3, 4]);
  const mean = b.op('ReduceMean', [x], { axes: [1], keepdims: 1 }, 'mean');
  const all = b.op('ReduceSum', [x], { keepdims: 1 }, 'sum_all');
  const sq = b.op('ReduceSumSquare', [x], { axes: [-1], keepdims: 0 }, 'sumsq');
  const mx = b.op('ReduceMax', [x], { axes: [0, 2], keepdims: 0 }, 'max');
  const none = b.op('ReduceSum', [x], { axes: [], noop_with_empty_axes: 1 }, 'noop');
  const out = b.op('Add', [b.op('Add', [mean, all]), none]);
  return {
    name: 'reductions',
    graph: b.build([out, sq, mx]),
    feeds: { x: randomTensor('float32', [2, 3, 4], { seed: 4 }) },
    exact: false, // noop_with_empty_axes before opset 13 is written as Identity
  };
}

function layout(): GraphCase {
  const b = new GraphBuilder('layout');
  const x = b.input('x', 'float32', [2, 3, 4]);
  const r = b.op('Reshape', [x, ints(b, 'shape', [0, -1, 2])], {}, 'reshape'); // [2, 6, 2]
  const t = b.op('Transpose', [r], { perm: [2, 0, 1] }, 'transpose'); // [2, 2, 6]
  const u = b.op('Unsqueeze', [t], { axes: [0, -1] }, 'unsqueeze'); // [1, 2, 2, 6, 1]
  const s = b.op('Squeeze', [u], { axes: [0, 4] }, 'squeeze'); // [2, 2, 6]
  const c = b.op('Concat', [s, init(b, 'extra', [2, 2, 3], 31)], { axis: -1 }, 'concat'); // [2, 2, 9]
  const sl = b.op('Slice', [c], { starts: [1, 0], ends: [9007199254740991, 7], axes: [-1, 1] }, 'slice'); // [2, 2, 6]
  const ga = b.op('Gather', [sl, ints(b, 'idx', [1, 0, 1])], { axis: -1 }, 'gather'); // [2, 2, 3]
  const p = b.op('Pad', [ga], { pads: [0, 1, 0, 0, 0, 2], value: 1.5 }, 'pad'); // [2, 3, 5]
  const pr = b.op('Pad', [p], { pads: [0, 0, 1, 0, 0, 1], mode: 'reflect' }, 'pad_reflect'); // [2, 3, 7]
  const f = b.op('Flatten', [pr], { axis: -1 }, 'flatten'); // [6, 7]
  const sq2 = b.op('Squeeze', [b.op('Reshape', [f, ints(b, 'shape2', [1, 42])])], {}, 'squeeze_all');
  return { name: 'layout', graph: b.build([f, sq2]), feeds: { x: randomTensor('float32', [2, 3, 4], { seed: 5 }) }, exact: true };
}

function sliceSteps(): GraphCase {
  const b = new GraphBuilder('slice_steps');
  const x = b.input('x', 'float32', [4, 6]);
  const s = b.op('Slice', [x], { starts: [-1, 0], ends: [-5, 6], steps: [-2, 3] }, 'slice');
  return { name: 'slice-steps', graph: b.build([s]), feeds: { x: randomTensor('float32', [4, 6], { seed: 6 }) }, exact: true, minOpset: 10 };
}

function casts(): GraphCase {
  const b = new GraphBuilder('casts');
  const x = b.input('x', 'float32', [3, 4]);
  const i = b.op('Cast', [b.op('Mul', [x, init(b, 'ten', [], 41, { low: 10, high: 10 })])], { to: 'int32' }, 'to_int');
  const back = b.op('Cast', [i], { to: 'float32' }, 'to_float');
  const h = b.op('Cast', [x], { to: 'float16' }, 'to_half');
  const hb = b.op('Cast', [h], { to: 'float64' }, 'to_double');
  const i64 = b.op('Cast', [i], { to: 'int64' }, 'to_long');
  return { name: 'casts', graph: b.build([back, hb, i64]), feeds: { x: randomTensor('float32', [3, 4], { seed: 7, low: -3, high: 3 }) }, exact: true };
}

function softmaxMiddle(): GraphCase {
  const b = new GraphBuilder('softmax_axis');
  const x = b.input('x', 'float32', [2, 5, 3]);
  const s = b.op('Softmax', [x], { axis: 1 }, 'softmax');
  const last = b.op('Softmax', [x], { axis: -1 }, 'softmax_last');
  // Below opset 13 a non-last axis is written Transpose -> Softmax -> Transpose.
  return { name: 'softmax-middle-axis', graph: b.build([s, last]), feeds: { x: randomTensor('float32', [2, 5, 3], { seed: 8, low: -3, high: 3 }) }, exact: false };
}

function heavy(): GraphCase {
  const b = new GraphBuilder('heavy');
  const x = b.input('x', 'float32', [1, 4, 5, 5]);
  const ct = b.op('ConvTranspose', [x, init(b, 'ct_w', [4, 2, 3, 3], 51), init(b, 'ct_b', [2], 52)], { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1] }, 'deconv');
  const l = b.op('LRN', [ct], { size: 3, alpha: 1e-3, beta: 0.75, bias: 2 }, 'lrn');
  const m = b.op('MatMul', [l, init(b, 'mm', [10, 3], 53)], {}, 'matmul');
  const g = b.op('Conv', [x, init(b, 'gw', [4, 2, 3, 3], 54)], { group: 2, strides: [2, 2], dilations: [1, 1], auto_pad: 'SAME_UPPER' }, 'grouped');
  return { name: 'convtranspose-lrn-matmul-grouped-conv', graph: b.build([m, g]), feeds: { x: randomTensor('float32', [1, 4, 5, 5], { seed: 9 }) }, exact: true };
}

function dropoutConstants(): GraphCase {
  const b = new GraphBuilder('dropout_constants');
  const x = b.input('x', 'float32', [2, 3]);
  const [d, mask] = b.node('Dropout', [x], { ratio: 0.3 }, { name: 'dropout', outputs: 2 });
  const k = b.op('Constant', [], { value: hostTensor('float32', [3], Float32Array.from([0.5, -1, 2])) }, 'const');
  const shape = b.op('Constant', [], { value: fromFloat64('int64', [2], [2, 3]) }, 'const_shape');
  const fill = b.op('ConstantOfShape', [shape], { value: hostTensor('float32', [1], Float32Array.from([0.25])) }, 'fill');
  const out = b.op('Add', [b.op('Add', [d, k]), fill]);
  const m = b.op('Cast', [mask], { to: 'float32' }, 'mask_float');
  return {
    name: 'dropout-constant-constantofshape',
    graph: b.build([out, m]),
    feeds: { x: randomTensor('float32', [2, 3], { seed: 10 }) },
    exact: true,
    // Dropout-7..11 leave the inference mask unspecified; onnxruntime fills it with false (identity_op.h),
    // kiln with true as Dropout-12+ (and onnxruntime there) do.
    ortSkip: [[m.name, 12, 'inference mask unspecified before Dropout-12']],
  };
}

function dynamicShape(): GraphCase {
  const b = new GraphBuilder('dynamic_shape');
  const x = b.input('x', 'float32', ['N', 3, 4]);
  const shape = b.op('Shape', [x], {}, 'shape');
  const batch = b.op('Gather', [shape, ints(b, 'zero', [0])], { axis: 0 }, 'batch');
  const target = b.op('Concat', [batch, ints(b, 'minus_one', [-1])], { axis: 0 }, 'target');
  const r = b.op('Reshape', [x, target], {}, 'reshape');
  return { name: 'shape-gather-concat-reshape', graph: b.build([r]), feeds: { x: randomTensor('float32', [2, 3, 4], { seed: 12 }) }, exact: true };
}

function moments(): GraphCase {
  const b = new GraphBuilder('moments');
  const x = b.input('x', 'float32', [4, 3, 5]);
  const w = b.input('w', 'float32', [4, 1, 5]);
  const [m, v] = b.node('Moments', [x], { axes: [0, 2], keepdims: 0 }, { name: 'moments' });
  const [wm, wv] = b.node('Moments', [x, w], { axes: [0, 2], keepdims: 1, weight_epsilon: 1e-3 }, { name: 'weighted' });
  return {
    name: 'moments (ai.kiln)',
    graph: b.build([m, v, wm, wv]),
    feeds: { x: randomTensor('float32', [4, 3, 5], { seed: 13, offset: 3 }), w: randomTensor('float32', [4, 1, 5], { seed: 14, low: 0, high: 1 }) },
    exact: false, // written as ReduceMean/Sub/Mul/ReduceSum/Div
  };
}

function bnTraining(): GraphCase {
  const b = new GraphBuilder('bn_training');
  const x = b.input('x', 'float32', [4, 3, 2, 2]);
  // Distinct values for scale/bias and mean/var (DESIGN.md §7: shared buffers confuse onnxruntime).
  const outs = b.node(
    'BatchNormalization',
    [x, init(b, 'scale', [3], 61, { low: 0.5, high: 1.5 }), init(b, 'bias', [3], 62), init(b, 'running_mean_in', [3], 63), init(b, 'running_var_in', [3], 64, { low: 1, high: 2 })],
    { training_mode: 1, momentum: 0.8, epsilon: 1e-4 },
    { name: 'bn', outputs: ['y', 'running_mean', 'running_var'] },
  );
  return { name: 'batchnorm-training', graph: b.build(outs), feeds: { x: randomTensor('float32', [4, 3, 2, 2], { seed: 15, offset: 2 }) }, exact: true, minOpset: 14 };
}

function bnTypeMix(): GraphCase {
  const b = new GraphBuilder('bn_type_mix');
  const x = b.input('x', 'float32', [2, 3, 4]);
  const [y] = b.node(
    'BatchNormalization',
    [x, init(b, 'scale', [3], 71, { dtype: 'float64', low: 0.5, high: 1.5 }), init(b, 'bias', [3], 72, { dtype: 'float64' }), init(b, 'mean', [3], 73, { dtype: 'float64' }), init(b, 'var', [3], 74, { dtype: 'float64', low: 0.5, high: 1 })],
    {},
    { name: 'bn' },
  );
  // Below 15 (scale/B) and 14 (mean/var) the float64 parameters are cast to float32.
  return {
    name: 'batchnorm-type-mix',
    graph: b.build([y]),
    feeds: { x: randomTensor('float32', [2, 3, 4], { seed: 16 }) },
    exact: false,
    // onnxruntime's CPU BatchNormalization-14/15 has no kernel for float32 X with float64 parameters.
    ortOpsets: [9],
  };
}

export function graphCases(): GraphCase[] {
  return [convNet(), elementwise(), hardSwish(), reductions(), layout(), sliceSteps(), casts(), softmaxMiddle(), heavy(), dropoutConstants(), dynamicShape(), moments(), bnTraining(), bnTypeMix()];
}
