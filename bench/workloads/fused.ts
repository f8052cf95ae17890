// Fusion workloads: Conv 3×3 (64→64, pad 1) → BatchNormalization → Relu on [8,64,56,56], and
// MatMul [1024×1024]·[1024×1024] → BatchNormalization (axis 1, C=1024) → Relu. Inference mode: every
// peer may fold the BN into the conv/matmul and fuse the ReLU (kiln and onnxruntime do).

import { GraphBuilder } from '../../compiler/ir/builder.js';
import { Rng } from '../../core/rng.js';
import { bnParams, fillInput, normalTensor } from './data.js';
import { BN_EPSILON } from './bn.js';
import { lazyOnnx } from './onnx-cache.js';
import type { BuiltWorkload, Workload } from './types.js';

function buildConvBnRelu(dims: readonly number[], outChannels: number): BuiltWorkload {
  const rng = new Rng(2024);
  const cin = dims[1];
  const w = normalTensor(rng, [outChannels, cin, 3, 3], Math.sqrt(2 / (cin * 9)));
  const p = bnParams(rng, outChannels);
  const b = new GraphBuilder('conv_bn_relu');
  const x = b.input('x', 'float32', dims);
  const conv = b.op('Conv', [x, b.initializer('W', w)], { pads: [1, 1, 1, 1], kernel_shape: [3, 3] }, 'conv');
  const bn = b.op('BatchNormalization', [conv, b.initializer('scale', p.scale), b.initializer('B', p.B), b.initializer('input_mean', p.mean), b.initializer('input_var', p.var)], { epsilon: BN_EPSILON }, 'bn');
  const y = b.op('Relu', [bn], {}, 'relu');
  const graph = b.build([y]);
  return { graph, feeds: { x: fillInput(dims, 11) }, params: { W: w, scale: p.scale, B: p.B, mean: p.mean, var: p.var }, onnx: lazyOnnx(graph) };
}

function buildMatMulBnRelu(m: number, k: number, n: number): BuiltWorkload {
  const rng = new Rng(4096);
  const w = normalTensor(rng, [k, n], Math.sqrt(2 / k));
  const p = bnParams(rng, n);
  const b = new GraphBuilder('matmul_bn_relu');
  const x = b.input('x', 'float32', [m, k]);
  const mm = b.op('MatMul', [x, b.initializer('W', w)], {}, 'matmul');
  const bn = b.op('BatchNormalization', [mm, b.initializer('scale', p.scale), b.initializer('B', p.B), b.initializer('input_mean', p.mean), b.initializer('input_var', p.var)], { epsilon: BN_EPSILON }, 'bn');
  const y = b.op('Relu', [bn], {}, 'relu');
  const graph = b.build([y]);
  return { graph, feeds: { x: fillInput([m, k], 13) }, params: { W: w, scale: p.scale, B: p.B, mean: p.mean, var: p.var }, onnx: lazyOnnx(graph) };
}

export function fusedWorkloads(): Workload[] {
  const convDims = [8, 64, 56, 56];
  return [
    {
      name: 'conv-bn-relu',
      title: 'Conv 3×3 64→64 + BN + ReLU [8,64,56,56]',
      group: 'fused',
      spec: { kind: 'conv-bn-relu', dims: convDims, outChannels: 64 },
      build: () => buildConvBnRelu(convDims, 64),
    },
    {
      name: 'matmul-bn-relu',
      title: 'MatMul 1024×1024×1024 + BN + ReLU',
      group: 'fused',
      spec: { kind: 'matmul-bn-relu', m: 1024, k: 1024, n: 1024 },
      build: () => buildMatMulBnRelu(1024, 1024, 1024),
    },
  ];
}
