// BatchNormalization workloads: one BatchNormalization node (channel axis 1, float32), inference
// (training_mode=0, one output) and training forward (training_mode=1 with y, running_mean and
// running_var all graph outputs — DESIGN.md §7), on the shapes from the benchmark issue.
//
// Bytes moved (the GB/s columns), counting only the x/y streams (per-channel vectors are negligible):
//   inference: read x once, write y once            = 8 bytes per element
//   training:  read x for the mean, again for the variance (two-pass statistics), again to normalize,
//              and write y                          = 16 bytes per element

import { GraphBuilder } from '../../compiler/ir/builder.js';
import { Rng } from '../../core/rng.js';
import { bnParams, fillInput } from './data.js';
import { lazyOnnx } from './onnx-cache.js';
import type { BuiltWorkload, Workload } from './types.js';

export const BN_SHAPES: readonly (readonly number[])[] = [
  [8, 64, 56, 56],
  [32, 256, 14, 14],
  [1, 32, 224, 224],
  [256, 1024],
  [64, 64, 112, 112],
];

export const BN_EPSILON = 1e-5;
export const BN_MOMENTUM = 0.9;

function elements(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

export function bnBytesMoved(dims: readonly number[], training: boolean): number {
  return elements(dims) * (training ? 16 : 8);
}

function buildBn(dims: readonly number[], training: boolean): BuiltWorkload {
  const c = dims[1];
  const p = bnParams(new Rng(1000 + c), c);
  const b = new GraphBuilder(training ? 'bn_training' : 'bn_inference');
  const x = b.input('x', 'float32', dims);
  const inputs = [x, b.initializer('scale', p.scale), b.initializer('B', p.B), b.initializer('input_mean', p.mean), b.initializer('input_var', p.var)];
  const attrs = { epsilon: BN_EPSILON, momentum: BN_MOMENTUM, training_mode: training ? 1 : 0 };
  const outputs = b.node('BatchNormalization', inputs, attrs, { name: 'bn', outputs: training ? ['y', 'running_mean', 'running_var'] : ['y'] });
  const graph = b.build(outputs);
  return { graph, feeds: { x: fillInput(dims, 7) }, params: { scale: p.scale, B: p.B, mean: p.mean, var: p.var }, onnx: lazyOnnx(graph) };
}

export function bnWorkloads(): Workload[] {
  const out: Workload[] = [];
  for (const training of [false, true]) {
    for (const dims of BN_SHAPES) {
      const shape = dims.join('x');
      out.push({
        name: `bn-${training ? 'train' : 'infer'}-${shape}`,
        title: `BN ${training ? 'training' : 'inference'} [${dims.join(',')}]`,
        group: training ? 'bn-training' : 'bn-inference',
        spec: { kind: 'bn', training, dims },
        bytesMoved: bnBytesMoved(dims, training),
        build: () => buildBn(dims, training),
      });
    }
  }
  return out;
}
