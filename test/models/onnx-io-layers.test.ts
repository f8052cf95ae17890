// Every layer configuration kind through ONNX: import(export(model)) restores the same configs with
// bit-exact weights and identical outputs, and onnxruntime-node runs the exported file within float32
// tolerance of kiln, in inference and in training mode.

import * as ort from 'onnxruntime-node';
import { Tensor } from 'onnxruntime-common';
import { describe, expect, it } from 'vitest';
import { BatchNormalization } from '../../models/layers/batch-normalization.js';
import { layers } from '../../models/layers/index.js';
import type { Layer } from '../../models/layer.js';
import { input, Model } from '../../models/model.js';
import { exportOnnx, importOnnx } from '../../models/onnx-io.js';
import type { UserShape } from '../../models/symbolic.js';
import { expectClose } from '../helpers/compare.js';
import { mulberry32, randomValues } from '../helpers/random.js';

interface Case {
  readonly name: string;
  readonly shape: readonly number[];
  readonly build: () => Layer[];
}

const seeded = (seed: number) => ({ className: 'GlorotUniform', config: { seed } });

const CASES: Case[] = [
  { name: 'BN axis -1 rank 4', shape: [5, 4, 3], build: () => [layers.batchNormalization({ momentum: 0.9 })] },
  { name: 'BN axis 1 rank 4', shape: [3, 4, 5], build: () => [layers.batchNormalization({ axis: 1 })] },
  { name: 'BN axis 2 rank 4, center off', shape: [3, 4, 5], build: () => [layers.batchNormalization({ axis: 2, center: false })] },
  { name: 'BN axis -1 rank 2, scale off', shape: [6], build: () => [layers.batchNormalization({ scale: false, epsilon: 1e-2 })] },
  { name: 'BN axis 1 rank 3 with regularizers and constraints', shape: [4, 7], build: () => [layers.batchNormalization({ axis: 1, gammaRegularizer: 'l2', betaConstraint: 'nonNeg', synchronized: true })] },
  { name: 'BN axis 3 rank 5', shape: [2, 3, 2, 4], build: () => [layers.batchNormalization({ axis: 3, momentum: 0.5 })] },
  { name: 'dense relu + BN', shape: [6], build: () => [layers.dense({ units: 5, activation: 'relu', kernelInitializer: seeded(1) }), layers.batchNormalization({})] },
  { name: 'dense softmax rank 3', shape: [3, 4], build: () => [layers.dense({ units: 3, activation: 'softmax', kernelInitializer: seeded(2) })] },
  { name: 'conv2d channels_last same + BN', shape: [6, 6, 3], build: () => [layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', kernelInitializer: seeded(3) }), layers.batchNormalization({})] },
  { name: 'conv2d channels_first strides valid + BN', shape: [3, 7, 7], build: () => [layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, dataFormat: 'channels_first', kernelInitializer: seeded(4) }), layers.batchNormalization({ axis: 1 })] },
  { name: 'conv2d dilation groups tanh', shape: [7, 7, 4], build: () => [layers.conv2d({ filters: 4, kernelSize: 2, dilationRate: 2, groups: 2, activation: 'tanh', kernelInitializer: seeded(5) })] },
  { name: 'pooling + flatten', shape: [6, 6, 2], build: () => [layers.maxPooling2d({ poolSize: 2 }), layers.averagePooling2d({ poolSize: 2, padding: 'same' }), layers.flatten()] },
  { name: 'global average pooling channels_first', shape: [3, 5, 5], build: () => [layers.globalAveragePooling2d({ dataFormat: 'channels_first' })] },
  { name: 'relu max_value and sigmoid activation', shape: [5], build: () => [layers.relu({ maxValue: 0.5 }), layers.activation({ activation: 'sigmoid' })] },
];

function makeModel(c: Case): Model {
  const x = input({ shape: c.shape as UserShape, name: 'x' });
  let t = x;
  for (const l of c.build()) t = l.apply(t);
  const m = new Model({ inputs: x, outputs: t, name: 'm' });
  const rnd = mulberry32(11);
  // Distinct BN weights (onnxruntime's training BN misbehaves when scale/bias alias mean/var).
  for (const l of m.layers) {
    if (!(l instanceof BatchNormalization)) continue;
    l.setWeights(l.getWeights().map((w, i) => new Tensor('float32', Float32Array.from({ length: w.dims[0] }, () => (i % 2 === 1 && i !== 1 ? 0.5 + rnd() : rnd() * 1.5 - 0.5 + (i === 0 ? 1 : 0))), [...w.dims])));
  }
  return m;
}

const f64 = (t: Tensor | ort.Tensor) => ({ dims: [...t.dims], data: Float64Array.from(t.data as Float32Array) });

describe.each(CASES.map((c) => [c.name, c] as const))('%s', (_, c) => {
  const dims = [3, ...c.shape];
  const x = new Tensor('float32', Float32Array.from(randomValues(dims.reduce((a, b) => a * b, 1), { seed: 5, low: -2, high: 3 })), dims);

  it('round-trips configs, bit-exact weights and outputs', () => {
    const m = makeModel(c);
    const back = importOnnx(exportOnnx(m)).keras!;
    expect(back.layers.map((l) => l.getConfig())).toEqual(m.layers.map((l) => l.getConfig()));
    const [w0, w1] = [m.getWeights(), back.getWeights()];
    w0.forEach((w, i) => expect(Buffer.from((w1[i].data as Float32Array).buffer).equals(Buffer.from((w.data as Float32Array).buffer))).toBe(true));
    expect([...(back.predict(x).data as Float32Array)]).toEqual([...(m.predict(x).data as Float32Array)]);
  });

  for (const training of [false, true]) {
    it(`runs in onnxruntime-node (${training ? 'training' : 'inference'})`, async () => {
      const m = makeModel(c);
      const lowered = m.lowered({ training });
      const s = await ort.InferenceSession.create(exportOnnx(m, { training }));
      const got = await s.run({ x: x as ort.Tensor });
      const y = m.call(x, { training });
      expectClose(f64(got[lowered.outputNames[0]]), f64(y), { rtol: 1e-4, atol: 1e-5 }, 'y');
      for (const [name, w] of lowered.updates) expectClose(f64(got[name]), { dims: [...w.value.dims], data: Float64Array.from(w.value.data as Float32Array) }, { rtol: 1e-4, atol: 1e-5 }, name);
    });
  }
});
