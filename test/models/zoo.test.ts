// models/zoo smallConvNet: structure, seeded reproducibility, training-mode forward passes that move the
// BatchNormalization moving statistics (checked against the oracle on the first step), and inference
// that equals composing the float64 layer oracles and yields probability rows.

import { Tensor } from 'onnxruntime-common';
import { describe, expect, it } from 'vitest';
import { fromOrtTensor } from '../../core/tensor.js';
import type { Layer } from '../../models/layer.js';
import { BatchNormalization } from '../../models/layers/batch-normalization.js';
import { Conv2D, Dense } from '../../models/layers/index.js';
import { smallConvNet } from '../../models/zoo/small-convnet.js';
import { expectClose, type Tolerance } from '../helpers/compare.js';
import { mulberry32 } from '../helpers/random.js';
import { activate, bnInferenceOracle, channelMeans, conv2dOracle, denseOracle, globalAvgOracle, pool2dOracle, t64, type T64 } from './layer-oracles.js';

const F32: Tolerance = { rtol: 1e-5, atol: 1e-5 };
const BATCH = 4;

/** Seeded images whose channels have their own offset and spread (so BatchNormalization has work). */
function images(seed: number, dims: readonly number[] = [BATCH, 3, 16, 16]): { t: Tensor; x: T64 } {
  const rnd = mulberry32(seed);
  const [, c, h, w] = dims;
  const data = Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => {
    const ch = Math.floor(i / (h * w)) % c;
    return 2 * ch + 1 + (0.5 + ch) * (2 * rnd() - 1);
  });
  return { t: new Tensor('float32', data, [...dims]), x: t64(dims, data) };
}

function weights(layer: Layer): T64[] {
  return layer.getWeights().map((w) => t64(w.dims, w.data as Float32Array));
}

function bns(layers: readonly Layer[]): BatchNormalization[] {
  return layers.filter((l): l is BatchNormalization => l instanceof BatchNormalization);
}

/** The whole network in float64, inference mode, from the layers' current weights. */
function convNetOracle(layers: readonly Layer[], x: T64): T64 {
  const [conv1, bn1, , , conv2, bn2, , , dense, bn3] = layers;
  const bn = (h: T64, l: Layer, axis: number): T64 => {
    const [gamma, beta, mean, variance] = weights(l);
    return bnInferenceOracle(h, axis, 1e-3, { gamma, beta, mean, variance });
  };
  const [k1, b1] = weights(conv1);
  const [k2, b2] = weights(conv2);
  const [dk, db] = weights(dense);
  let h = conv2dOracle(x, k1, b1, { padding: 'same', format: 'channels_first' });
  h = activate(bn(h, bn1, 1), 'relu');
  h = pool2dOracle(h, 'max', { pool: [2, 2], padding: 'valid', format: 'channels_first' });
  h = conv2dOracle(h, k2, b2, { padding: 'same', format: 'channels_first' });
  h = activate(bn(h, bn2, 1), 'relu');
  h = globalAvgOracle(h, 'channels_first', false);
  h = denseOracle(h, dk, db, 'linear');
  return activate(bn(h, bn3, -1), 'softmax');
}

describe('smallConvNet', () => {
  it('has the documented layer stack and output shape', () => {
    const model = smallConvNet({ seed: 1 });
    expect(model.layers.map((l) => l.className)).toEqual([
      'Conv2D', 'BatchNormalization', 'ReLU', 'MaxPooling2D', 'Conv2D', 'BatchNormalization', 'ReLU',
      'GlobalAveragePooling2D', 'Dense', 'BatchNormalization', 'Activation',
    ]);
    expect(bns(model.layers).map((l) => l.axis)).toEqual([1, 1, -1]);
    const convs = model.layers.filter((l): l is Conv2D => l instanceof Conv2D);
    expect(convs.map((c) => [c.filters, c.padding, c.dataFormat])).toEqual([[8, 'same', 'channels_first'], [16, 'same', 'channels_first']]);
    expect(model.predict(images(2).t).dims).toEqual([BATCH, 10]);
    expect(smallConvNet({ classes: 4, inputShape: [1, 8, 8] }).predict(images(3, [2, 1, 8, 8]).t).dims).toEqual([2, 4]);
  });

  it('is reproducible for a seed and differs across seeds', () => {
    const values = (seed: number): number[][] => smallConvNet({ seed }).getWeights().map((w) => Array.from(w.data as Float32Array));
    expect(values(5)).toEqual(values(5));
    expect(values(5)).not.toEqual(values(6));
  });

  it('training-mode passes move every moving statistic; the first step matches the Keras update', () => {
    const model = smallConvNet({ seed: 7 });
    const layers = model.layers;
    const { t, x } = images(11);
    // Step 1, checked for the first BatchNormalization: moving = 0.99·moving + 0.01·batch statistic.
    const conv1 = layers[0];
    const [k1, b1] = weights(conv1);
    const h = conv2dOracle(x, k1, b1, { padding: 'same', format: 'channels_first' });
    const batchMean = channelMeans(h, 1);
    const centered = t64(h.dims, h.data.map((v, i) => (v - batchMean[Math.floor(i / 256) % 8]) ** 2));
    const batchVar = channelMeans(centered, 1);
    model.call(t, { training: true });
    const [, , mm1, mv1] = weights(layers[1]);
    expectClose(mm1, t64([8], batchMean.map((m) => 0.01 * m)), F32, 'moving_mean');
    expectClose(mv1, t64([8], batchVar.map((v) => 0.99 + 0.01 * v)), F32, 'moving_variance');
    // Later steps: every moving statistic of every BatchNormalization keeps changing and stays finite.
    for (let step = 0; step < 3; step++) {
      const before = bns(layers).map((l) => weights(l).slice(2));
      const y = model.call(images(20 + step).t, { training: true });
      expect(y.dims).toEqual([BATCH, 10]);
      bns(layers).forEach((l, k) => {
        weights(l).slice(2).forEach((stat, j) => {
          expect(stat.data.every(Number.isFinite), `${l.name} stat ${j} finite`).toBe(true);
          expect(Array.from(stat.data), `${l.name} stat ${j} changed`).not.toEqual(Array.from(before[k][j].data));
        });
      });
    }
  });

  it('inference equals the composed float64 oracle, and each row is a probability distribution', () => {
    const model = smallConvNet({ seed: 9 });
    for (let step = 0; step < 2; step++) model.call(images(30 + step).t, { training: true });
    const { t, x } = images(40);
    const before = model.getWeights().map((w) => Array.from(w.data as Float32Array));
    const y = model.predict(t);
    // Inference leaves every weight alone.
    expect(model.getWeights().map((w) => Array.from(w.data as Float32Array))).toEqual(before);
    expectClose(fromOrtTensor(y, 'probabilities'), convNetOracle(model.layers, x), F32, 'probabilities');
    const p = y.data as Float32Array;
    for (let r = 0; r < BATCH; r++) {
      const row = Array.from(p.subarray(r * 10, (r + 1) * 10));
      expect(row.every((v) => v > 0 && v < 1)).toBe(true);
      expect(Math.abs(row.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-5);
    }
    expect(model.layers.some((l) => l instanceof Dense)).toBe(true);
  });
});
