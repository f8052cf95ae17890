// The PyTorch statistic convention (import/export option batchNormConvention: 'pytorch'): momentum m
// weights the batch value (kiln uses 1 − m) and the running variance takes the unbiased batch
// variance. Checked against PyTorch's update rule written out by hand in float64.

import { describe, expect, it } from 'vitest';
import { exportModel, importModel } from '../../compiler/onnx/index.js';
import { HostTensor, toFloat64 } from '../../core/tensor.js';
import { GraphSession } from '../../runtime/graph-session.js';
import { expectClose } from '../helpers/compare.js';
import { randomTensor } from '../helpers/random.js';
import { a, floatTensor, modelBytes, node, TYPE, valueInfo } from './proto-builder.js';

const C = 3;
const DIMS = [4, C, 2, 3];
const params = {
  scale: [1.5, 0.5, 2],
  bias: [0.1, -0.3, 0.7],
  mean: [0.2, -0.4, 1.1],
  var: [0.9, 1.7, 0.4],
};

function bnTrainingModel(momentum: number | undefined): Uint8Array {
  return modelBytes({
    opset: 15,
    inputs: [valueInfo('x', TYPE.float, ['N', C, 2, 3])],
    outputs: [valueInfo('y', TYPE.float, undefined), valueInfo('running_mean', TYPE.float, [C]), valueInfo('running_var', TYPE.float, [C])],
    initializers: Object.entries(params).map(([n, v]) => floatTensor(n, [C], v)),
    nodes: [node('BatchNormalization', ['x', 'scale', 'bias', 'mean', 'var'], ['y', 'running_mean', 'running_var'], { training_mode: a.int(1), ...(momentum === undefined ? {} : { momentum: a.float(momentum) }) }, 'bn')],
  });
}

/** torch.nn.BatchNorm2d training step in float64: biased variance normalizes, unbiased updates. */
function torchStep(x: Float64Array, momentum: number) {
  const inner = 6;
  const n = x.length / C;
  const mean = new Float64Array(C);
  x.forEach((v, i) => (mean[Math.floor(i / inner) % C] += v / n));
  const ss = new Float64Array(C);
  x.forEach((v, i) => (ss[Math.floor(i / inner) % C] += (v - mean[Math.floor(i / inner) % C]) ** 2));
  const y = x.map((v, i) => {
    const c = Math.floor(i / inner) % C;
    return ((v - mean[c]) / Math.sqrt(ss[c] / n + 1e-5)) * params.scale[c] + params.bias[c];
  });
  return {
    y,
    batchMean: mean,
    batchVar: ss.map((v) => v / n),
    runningMean: Float64Array.from(params.mean, (r, c) => (1 - momentum) * r + momentum * mean[c]),
    runningVar: Float64Array.from(params.var, (r, c) => (1 - momentum) * r + (momentum * ss[c]) / (n - 1)),
  };
}

function run(bytes: Uint8Array, convention: 'onnx' | 'pytorch', x: HostTensor): Record<string, HostTensor> {
  const { graph } = importModel(bytes, { batchNormConvention: convention });
  return new GraphSession(graph).runHost({ x });
}

describe("batchNormConvention: 'pytorch'", () => {
  const x = randomTensor('float32', DIMS, { seed: 4, low: -2, high: 3 });
  const xf = toFloat64(x).data;
  const tol = { rtol: 1e-5, atol: 1e-6 };

  it('imports momentum 0.1 as PyTorch momentum with the unbiased running variance', () => {
    const m = Math.fround(0.1);
    const want = torchStep(xf, m);
    const out = run(bnTrainingModel(0.1), 'pytorch', x);
    expectClose(out.y, { dims: DIMS, data: want.y }, tol, 'y');
    expectClose(out.running_mean, { dims: [C], data: want.runningMean }, tol, 'running_mean');
    expectClose(out.running_var, { dims: [C], data: want.runningVar }, tol, 'running_var');
  });

  it('an absent momentum means PyTorch’s default 0.1', () => {
    const out = run(bnTrainingModel(undefined), 'pytorch', x);
    expectClose(out.running_var, { dims: [C], data: torchStep(xf, Math.fround(0.1)).runningVar }, tol, 'running_var');
  });

  it('the ONNX convention reads the same file differently (momentum weights the running value)', () => {
    const out = run(bnTrainingModel(0.1), 'onnx', x);
    const m = Math.fround(0.1);
    const s = torchStep(xf, m);
    // ONNX: running = input·m + batch·(1 − m), with the population variance.
    expectClose(out.running_mean, { dims: [C], data: Float64Array.from(params.mean, (r, c) => r * m + s.batchMean[c] * (1 - m)) }, tol, 'running_mean');
    expectClose(out.running_var, { dims: [C], data: Float64Array.from(params.var, (r, c) => r * m + s.batchVar[c] * (1 - m)) }, tol, 'running_var');
  });

  it('export with the PyTorch convention writes 1 − m and round-trips', () => {
    const { graph } = importModel(bnTrainingModel(0.1), { batchNormConvention: 'pytorch' });
    const bytes = exportModel(graph, { batchNormConvention: 'pytorch' });
    const back = importModel(bytes, { batchNormConvention: 'pytorch' }).graph;
    const bn = back.nodes.find((n) => n.op === 'BatchNormalization')!;
    expect((bn.attrs as { momentum: number }).momentum).toBeCloseTo(0.9, 6);
    const a1 = new GraphSession(graph).runHost({ x });
    const a2 = new GraphSession(back).runHost({ x });
    for (const k of ['y', 'running_mean', 'running_var']) expect([...(a2[k].data as Float32Array)]).toEqual([...(a1[k].data as Float32Array)]);
    // The ONNX reading of the exported file keeps ONNX semantics for the written momentum (0.1).
    const onnxBn = importModel(bytes).graph.nodes.find((n) => n.op === 'BatchNormalization')!;
    expect((onnxBn.attrs as { momentum: number }).momentum).toBeCloseTo(0.1, 6);
  });

  it('inference is unaffected by the convention', () => {
    const inf = modelBytes({
      opset: 15,
      inputs: [valueInfo('x', TYPE.float, DIMS)],
      outputs: [valueInfo('y', TYPE.float, DIMS)],
      initializers: Object.entries(params).map(([n, v]) => floatTensor(n, [C], v)),
      nodes: [node('BatchNormalization', ['x', 'scale', 'bias', 'mean', 'var'], ['y'], { momentum: a.float(0.1) }, 'bn')],
    });
    const p = run(inf, 'pytorch', x).y;
    const o = run(inf, 'onnx', x).y;
    expect([...(p.data as Float32Array)]).toEqual([...(o.data as Float32Array)]);
  });
});
