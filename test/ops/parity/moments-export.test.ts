// ai.kiln::Moments is not an ONNX op, so its parity is checked through its ONNX export form: a
// one-node Moments graph exported by compiler/onnx (ReduceMean/ReduceSum/Sub/Mul/Div/Squeeze/Cast
// nodes) runs in onnxruntime-node and must match kiln's own Moments result — unweighted and weighted,
// keepdims 0/1, correction 0/1, at opsets with axes as attributes (11) and as inputs (13, 18).

import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { exportModel } from '../../../compiler/onnx/index.js';
import type { DType } from '../../../core/dtype.js';
import { fromFloat64, fromOrtTensor, HostTensor, toFloat64, toOrtTensor } from '../../../core/tensor.js';
import type { MomentsAttrs } from '../../../ops/moments.js';
import { GraphSession } from '../../../runtime/graph-session.js';
import { expectClose } from '../../helpers/compare.js';
import { randomTensor, randomValues } from '../../helpers/random.js';
import { singleNodeGraph } from '../../helpers/single-node.js';
import { parityTolerance } from './harness.js';

/** Export a one-node Moments graph at `opset`, run it in onnxruntime and in kiln, compare mean and variance. */
async function expectExportParity(inputs: readonly HostTensor[], attrs: Partial<MomentsAttrs>, opset: number): Promise<HostTensor[]> {
  const { graph, feeds } = singleNodeGraph('Moments', inputs, attrs, 2);
  const kiln = new GraphSession(graph).runHost(feeds);
  const session = await ort.InferenceSession.create(exportModel(graph, { opset }), { logSeverityLevel: 3 });
  const res = await session.run(Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, toOrtTensor(t)])));
  await session.release();
  return graph.outputs.map((v, i) => {
    const got = fromOrtTensor(res[v.name], v.name);
    const want = kiln[v.name];
    const what = `${i === 0 ? 'mean' : 'variance'} (opset ${opset}): kiln vs onnxruntime`;
    expect(got.dtype, what).toBe(want.dtype);
    expectClose(want, toFloat64(got), parityTolerance(want.dtype), what);
    return want;
  });
}

const OPSETS = [11, 13, 18] as const;

/** [X dims, axes]. */
const SHAPES: readonly (readonly [readonly number[], readonly number[]])[] = [
  [[7], [0]],
  [[4, 3], [0]],
  [[2, 3, 4], [0, 2]],
  [[2, 3, 4, 5], [-1, 0, 1]],
  [[2, 3, 2, 2, 3], [1, 3]],
];

const UNWEIGHTED = SHAPES.flatMap(([dims, axes]) => [0, 1].flatMap((keepdims) => [0, 1].map((correction) => [dims, axes, keepdims, correction] as const)));

describe.each(OPSETS)('Moments export parity, opset %i', (opset) => {
  it.each(UNWEIGHTED)('unweighted %j axes=%j keepdims=%i correction=%i', async (dims, axes, keepdims, correction) => {
    const [mean, variance] = await expectExportParity([randomTensor('float32', dims, { seed: 141, low: -2, high: 2 })], { axes, keepdims, correction }, opset);
    expect(mean.dims).toEqual(variance.dims);
  });

  it.each(SHAPES.flatMap(([dims, axes]) => [0, 1].map((keepdims) => [dims, axes, keepdims] as const)))('weighted, same-shape W %j axes=%j keepdims=%i', async (dims, axes, keepdims) => {
    const x = randomTensor('float32', dims, { seed: 142, low: -2, high: 2 });
    // Weights in [0, 1] with about a fifth of them exactly 0 (Keras masks); ε keeps Σw > 0.
    const w = fromFloat64('float32', dims, [...randomValues(x.data.length, { seed: 143, low: -0.25, high: 1 })].map((v) => Math.max(0, v)));
    await expectExportParity([x, w], { axes, keepdims, weight_epsilon: 1e-7 }, opset);
  });

  it.each([
    ['W over the reduced axes', [3, 4, 2], [3, 4, 1], [0, 1]],
    ['W per sample', [4, 3, 5], [4, 1, 1], [0, 2]],
    ['W scalar-like', [2, 3, 4], [1], [1, 2]],
  ] as const)('weighted, broadcast %s', async (_n, dims, wDims, axes) => {
    const x = randomTensor('float32', dims, { seed: 144 });
    const w = randomTensor('float32', wDims, { seed: 145, low: 0.1, high: 1 });
    for (const keepdims of [0, 1]) await expectExportParity([x, w], { axes, keepdims, weight_epsilon: 0 }, opset);
  });
});

describe('Moments export parity across dtypes (opset 15)', () => {
  it.each([
    ['float64', 'float64'],
    ['float16', 'float16'],
    ['float16', 'float32'],
  ] as const)('X %s, W %s (half inputs give float32 statistics)', async (xDtype: DType, wDtype: DType) => {
    const x = randomTensor(xDtype, [3, 4, 5], { seed: 146, low: -2, high: 2 });
    const w = randomTensor(wDtype, [3, 4, 5], { seed: 147, low: 0, high: 1 });
    const stat = xDtype === 'float16' ? 'float32' : xDtype;
    for (const keepdims of [0, 1]) {
      const [mean] = await expectExportParity([x], { axes: [0, 2], keepdims, correction: 1 }, 15);
      expect(mean.dtype).toBe(stat);
      await expectExportParity([x, w], { axes: [0, 2], keepdims, weight_epsilon: 1e-7 }, 15);
    }
  });

  it('large offset: two-pass variance in both', async () => {
    const x = randomTensor('float32', [8, 3, 16], { seed: 148, offset: 1e3 });
    await expectExportParity([x], { axes: [0, 2], keepdims: 0 }, 15);
    await expectExportParity([x], { axes: [0, 2], keepdims: 1, correction: 1 }, 18);
  });
});
