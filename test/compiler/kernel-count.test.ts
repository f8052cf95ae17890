// Kernel counts after fusion (DESIGN.md §8: Conv → BN → ReLU is one kernel): how many plan steps run
// over the data once elementwise chains are fused and routines take their consumers as epilogues.
// Per-channel coefficient kernels (BN's scale/√(var+ε), running-stat updates on [C]) do not count.
// Every case also checks that fusion keeps the results (bit-identical to the unfused plan, close to
// the float64 reference).

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import type { Graph, Value } from '../../compiler/ir/types.js';
import { countDataKernels } from '../../compiler/kernels/count-kernels.js';
import type { KernelPlan } from '../../compiler/lowering/plan.js';
import type { DType } from '../../core/dtype.js';
import type { HostTensor } from '../../core/tensor.js';
import { smallConvNet } from '../../models/zoo/small-convnet.js';
import { GraphSession } from '../../runtime/graph-session.js';
import { expectFusionKeepsResults } from '../helpers/fusion-check.js';
import { randomTensor } from '../helpers/random.js';

/** Steps touching more elements than this run over the data (every per-channel vector here is smaller). */
const PER_CHANNEL = 32;

const kinds = (plan: KernelPlan): string[] => plan.steps.map((s) => (s.kind === 'routine' ? s.call.routine : s.kind));

/** BatchNormalization with distinct constant parameters (ONNX §7 trap: never share them). */
function bn(b: GraphBuilder, x: Value, c: number, attrs: { training_mode?: number } = {}, outputs = 1, dtype: DType = 'float32'): Value[] {
  const p = (name: string, seed: number, low: number, high: number): Value => b.initializer(`${name}_${seed}`, randomTensor(dtype, [c], { seed, low, high }));
  return b.node('BatchNormalization', [x, p('scale', 11, 0.5, 1.5), p('bias', 12, -1, 1), p('mean', 13, -0.5, 0.5), p('var', 14, 0.5, 2)], attrs, { name: 'bn', outputs });
}

function conv(b: GraphBuilder, x: Value, cin: number, cout: number, dtype: DType = 'float32'): Value {
  const w = b.initializer('w', randomTensor(dtype, [cout, cin, 3, 3], { seed: 2 }));
  const bias = b.initializer('conv_b', randomTensor(dtype, [cout], { seed: 3 }));
  return b.op('Conv', [x, w, bias], { pads: [1, 1, 1, 1] }, 'conv');
}

function check(g: Graph, feeds: Record<string, HostTensor>): { fused: KernelPlan; unfused: KernelPlan } {
  const r = expectFusionKeepsResults(g, feeds);
  return { fused: r.fusedPlan, unfused: r.unfusedPlan };
}

describe('kernel counts after fusion (CPU)', () => {
  it('Conv → BN (inference) → ReLU is one kernel over the data', () => {
    const b = new GraphBuilder('conv_bn_relu');
    const x = b.input('x', 'float32', ['N', 3, 8, 8]);
    const g = b.build([b.op('Relu', [bn(b, conv(b, x, 3, 4), 4)[0]], {}, 'relu')]);
    const { fused, unfused } = check(g, { x: randomTensor('float32', [2, 3, 8, 8], { seed: 1 }) });
    expect(countDataKernels(fused, PER_CHANNEL)).toBe(1);
    expect(countDataKernels(unfused, PER_CHANNEL)).toBe(3);
    const data = fused.steps.find((s) => s.kind === 'routine');
    expect(data?.kind === 'routine' && data.call.routine === 'conv2d' && 'epilogue' in data.call && data.call.epilogue !== undefined).toBe(true);
  });

  it('Conv → BN → Add(residual) → ReLU is one kernel over the data', () => {
    const b = new GraphBuilder('conv_bn_add_relu');
    const x = b.input('x', 'float32', ['N', 4, 6, 6]);
    const y = bn(b, conv(b, x, 4, 4), 4)[0];
    const g = b.build([b.op('Relu', [b.op('Add', [y, x], {}, 'residual')], {}, 'relu')]);
    const { fused, unfused } = check(g, { x: randomTensor('float32', [2, 4, 6, 6], { seed: 1 }) });
    expect(countDataKernels(fused, PER_CHANNEL)).toBe(1);
    expect(countDataKernels(unfused, PER_CHANNEL)).toBe(4);
  });

  it('BN (training) + ReLU is two kernels in all: the moments (which also write the factor and running statistics) and one normalize+ReLU', () => {
    const b = new GraphBuilder('bn_train_relu');
    const x = b.input('x', 'float32', ['N', 4, 5, 5]);
    const [y, runningMean, runningVar] = bn(b, x, 4, { training_mode: 1 }, 3);
    const g = b.build([b.op('Relu', [y], {}, 'relu'), runningMean, runningVar]);
    const { fused } = check(g, { x: randomTensor('float32', [3, 4, 5, 5], { seed: 1, offset: 100 }) });
    expect(countDataKernels(fused, PER_CHANNEL)).toBe(2);
    expect(fused.steps).toHaveLength(2);
    expect(kinds(fused).filter((k) => k === 'moments')).toHaveLength(1);
    const outputs = new Set(fused.outputs.map((o) => o.buffer));
    const moments = fused.steps.find((s) => s.kind === 'routine');
    expect(moments?.kind === 'routine' && moments.outputs.filter((o) => outputs.has(o))).toHaveLength(2);
  });

  it('Conv → BN (training) → ReLU: conv, moments, normalize+ReLU', () => {
    const b = new GraphBuilder('conv_bn_train_relu');
    const x = b.input('x', 'float32', ['N', 3, 6, 6]);
    const [y, runningMean, runningVar] = bn(b, conv(b, x, 3, 4), 4, { training_mode: 1 }, 3);
    const g = b.build([b.op('Relu', [y], {}, 'relu'), runningMean, runningVar]);
    const { fused } = check(g, { x: randomTensor('float32', [2, 3, 6, 6], { seed: 1 }) });
    // The conv output feeds both the moments and the normalization, so it stays materialized.
    expect(countDataKernels(fused, PER_CHANNEL)).toBe(3);
  });

  it('Gemm → BN → ReLU (a Dense block) is one kernel over the data', () => {
    const b = new GraphBuilder('dense_bn_relu');
    const x = b.input('x', 'float32', ['N', 12]);
    const w = b.initializer('w', randomTensor('float32', [6, 12], { seed: 2 }));
    const c = b.initializer('c', randomTensor('float32', [6], { seed: 3 }));
    const h = b.op('Gemm', [x, w, c], { transB: 1, alpha: 0.5, beta: 2 }, 'dense');
    const g = b.build([b.op('Relu', [bn(b, h, 6)[0]], {}, 'relu')]);
    const { fused } = check(g, { x: randomTensor('float32', [8, 12], { seed: 1 }) });
    expect(countDataKernels(fused, 6)).toBe(1);
    expect(kinds(fused).filter((k) => k !== 'elementwise')).toEqual(['matmul']);
  });

  it('ConvTranspose → BN → ReLU and 1-D Conv → BN → ReLU are one kernel over the data', () => {
    const b = new GraphBuilder('deconv');
    const x = b.input('x', 'float32', ['N', 3, 4, 4]);
    const w = b.initializer('w', randomTensor('float32', [3, 4, 3, 3], { seed: 2 }));
    const d = b.op('ConvTranspose', [x, w], { strides: [2, 2] }, 'deconv');
    const g = b.build([b.op('Relu', [bn(b, d, 4)[0]], {}, 'relu')]);
    expect(countDataKernels(check(g, { x: randomTensor('float32', [2, 3, 4, 4], { seed: 1 }) }).fused, PER_CHANNEL)).toBe(1);

    // 1-D: the conv runs as [N, C, 1, W] while BN sees [N, C, W]; the epilogue iterates BN's dims.
    const b1 = new GraphBuilder('conv1d');
    const x1 = b1.input('x', 'float32', ['N', 3, 16]);
    const w1 = b1.initializer('w', randomTensor('float32', [4, 3, 3], { seed: 2 }));
    const c1 = b1.op('Conv', [x1, w1], { pads: [1, 1] }, 'conv');
    const g1 = b1.build([b1.op('Relu', [bn(b1, c1, 4)[0]], {}, 'relu')]);
    expect(countDataKernels(check(g1, { x: randomTensor('float32', [2, 3, 16], { seed: 1 }) }).fused, PER_CHANNEL)).toBe(1);
  });

  it('float16 Conv → BN → ReLU is one kernel and keeps the float16 rounding of the conv output', () => {
    const b = new GraphBuilder('conv_bn_relu_f16');
    const x = b.input('x', 'float16', ['N', 3, 6, 6]);
    const g = b.build([b.op('Relu', [bn(b, conv(b, x, 3, 4, 'float16'), 4, {}, 1, 'float16')[0]], {}, 'relu')]);
    const { fused } = check(g, { x: randomTensor('float16', [2, 3, 6, 6], { seed: 1 }) });
    expect(countDataKernels(fused, PER_CHANNEL)).toBe(1);
  });

  it('smallConvNet: every BatchNormalization ends up in a routine epilogue, no elementwise pass over the data', () => {
    const model = smallConvNet({ seed: 1, inputShape: [3, 8, 8] });
    const g = model.graph({ training: false });
    const dims = new Map(g.inputs.map((v) => [v.name, v.type.shape.map((d) => (typeof d === 'number' ? d : 2))]));
    const plan = new GraphSession(g).planFor(dims);
    const epilogues = plan.steps.filter((s) => s.kind === 'routine' && 'epilogue' in s.call && s.call.epilogue !== undefined);
    expect(epilogues).toHaveLength(3);
    expect(plan.steps.filter((s) => s.kind === 'elementwise').every((s) => s.kind === 'elementwise' && s.kernel.outDims.reduce((a, d) => a * d, 1) <= 16)).toBe(true);
  });
});
