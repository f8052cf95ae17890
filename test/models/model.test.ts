// Sequential and functional models built from the Keras layers: predict equals composing the float64
// layer oracles, getWeights follows layer order, residual (Add) and two-input graphs, masks passing
// through Dense and rejected by layers without mask support.

import { Tensor } from 'onnxruntime-common';
import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../../core/errors.js';
import { fromOrtTensor } from '../../core/tensor.js';
import type { Layer } from '../../models/layer.js';
import { BatchNormalization, Conv2D, Dense, layers } from '../../models/layers/index.js';
import { Model, Sequential } from '../../models/model.js';
import { expectClose, type Tolerance } from '../helpers/compare.js';
import { mulberry32, randomValues } from '../helpers/random.js';
import { activate, addOracle, bnInferenceOracle, conv2dOracle, denseOracle, flattenOracle, pool2dOracle, t64, type T64 } from './layer-oracles.js';

const F32: Tolerance = { rtol: 1e-5, atol: 1e-5 };

function input(dims: readonly number[], seed: number): { t: Tensor; x: T64 } {
  const f32 = Float32Array.from(randomValues(dims.reduce((a, b) => a * b, 1), { seed }));
  return { t: new Tensor('float32', f32, [...dims]), x: t64(dims, f32) };
}

function weights(layer: Layer): T64[] {
  return layer.getWeights().map((w) => t64(w.dims, w.data as Float32Array));
}

/** Random non-default values for every weight (zero biases and unit BN statistics would hide errors). */
function randomizeAll(model: Model, seed: number): void {
  const rnd = mulberry32(seed);
  for (const l of model.layers) {
    l.setWeights(l.getWeights().map((w, i) => {
      // BatchNormalization moving_variance (index 3 with center and scale) must stay positive.
      const positive = l instanceof BatchNormalization && i === 3;
      const data = Float32Array.from({ length: w.data.length }, () => (positive ? 0.5 + rnd() : rnd() - 0.5));
      return new Tensor('float32', data, [...w.dims]);
    }));
  }
}

describe('Sequential', () => {
  it('conv → maxpool → flatten → dense → softmax: predict equals the composed oracles', () => {
    const conv = layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' });
    const pool = layers.maxPooling2d();
    const flat = layers.flatten();
    const dense = layers.dense({ units: 5 });
    const act = layers.activation({ activation: 'softmax' });
    const model = new Sequential({ layers: [conv, pool, flat, dense, act], inputShape: [6, 6, 2] });
    randomizeAll(model, 1);
    const { t, x } = input([3, 6, 6, 2], 2);
    const [k, b] = weights(conv);
    const [dk, db] = weights(dense);
    let h = conv2dOracle(x, k, b, { padding: 'same', act: 'relu' });
    h = pool2dOracle(h, 'max', { pool: [2, 2], padding: 'valid' });
    h = flattenOracle(h, 'channels_last');
    h = activate(denseOracle(h, dk, db, 'linear'), 'softmax');
    const y = model.predict(t);
    expect(y.dims).toEqual([3, 5]);
    expectClose(fromOrtTensor(y, 'y'), h, F32);
  });

  it('getWeights lists every layer\'s weights in layer order (Keras model.get_weights)', () => {
    const conv = new Conv2D({ filters: 3, kernelSize: 2, dataFormat: 'channels_first' });
    const bn = new BatchNormalization({ axis: 1 });
    const gap = layers.globalAveragePooling2d({ dataFormat: 'channels_first' });
    const dense = new Dense({ units: 2, useBias: false });
    const model = new Sequential({ layers: [conv, bn, gap, dense], inputShape: [2, 5, 5] });
    expect(model.layers).toEqual([conv, bn, gap, dense]);
    const ws = model.getWeights();
    expect(ws.map((w) => w.dims)).toEqual([[2, 2, 2, 3], [3], [3], [3], [3], [3], [3, 2]]);
    const expected = [conv, bn, dense].flatMap((l) => l.getWeights());
    ws.forEach((w, i) => expect(Array.from(w.data as Float32Array)).toEqual(Array.from(expected[i].data as Float32Array)));
  });

  it('channels_first conv → BatchNormalization(axis 1) → relu → avgpool → GAP → dense: inference oracle', () => {
    const conv = layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', dataFormat: 'channels_first' });
    const bn = layers.batchNormalization({ axis: 1 });
    const pool = layers.averagePooling2d({ poolSize: 2, padding: 'same', dataFormat: 'channels_first' });
    const gap = layers.globalAveragePooling2d({ dataFormat: 'channels_first' });
    const dense = layers.dense({ units: 3, activation: 'sigmoid' });
    const model = new Sequential({ layers: [conv, bn, layers.relu(), pool, gap, dense], inputShape: [2, 5, 5] });
    randomizeAll(model, 3);
    const { t, x } = input([2, 2, 5, 5], 4);
    const [k, b] = weights(conv);
    const [gamma, beta, mean, variance] = weights(bn);
    const [dk, db] = weights(dense);
    let h = conv2dOracle(x, k, b, { padding: 'same', format: 'channels_first' });
    h = activate(bnInferenceOracle(h, 1, 1e-3, { gamma, beta, mean, variance }), 'relu');
    h = pool2dOracle(h, 'avg', { pool: [2, 2], padding: 'same', format: 'channels_first' });
    const pooled = t64([2, 4], new Float64Array(8));
    for (let n = 0; n < 2; n++) for (let c = 0; c < 4; c++) {
      let s = 0;
      for (let i = 0; i < 9; i++) s += h.data[(n * 4 + c) * 9 + i];
      pooled.data[n * 4 + c] = s / 9;
    }
    expectClose(fromOrtTensor(model.predict(t), 'y'), denseOracle(pooled, dk, db, 'sigmoid'), F32);
  });
});

describe('functional models', () => {
  it('residual block: relu(x + dense(relu(dense(x))))', () => {
    const inp = layers.input({ shape: [6] });
    const d1 = layers.dense({ units: 6, activation: 'relu' });
    const d2 = layers.dense({ units: 6 });
    const add = layers.add();
    const out = layers.relu().apply(add.apply([inp, d2.apply(d1.apply(inp))]));
    const model = new Model({ inputs: inp, outputs: out });
    randomizeAll(model, 5);
    const { t, x } = input([4, 6], 6);
    const [k1, b1] = weights(d1);
    const [k2, b2] = weights(d2);
    const h = denseOracle(denseOracle(x, k1, b1, 'relu'), k2, b2, 'linear');
    const expected = activate(addOracle([x, h]), 'relu');
    expectClose(fromOrtTensor(model.predict(t), 'y'), expected, F32);
    expect(model.layers.map((l) => l.className)).toEqual(['Dense', 'Dense', 'Add', 'ReLU']);
  });

  it('two inputs merged by Add, then a shared Dense applied twice', () => {
    const a = layers.input({ shape: [3] });
    const b = layers.input({ shape: [3] });
    const shared = layers.dense({ units: 3, activation: 'tanh' });
    const sum = layers.add().apply([shared.apply(a), shared.apply(b)]);
    const model = new Model({ inputs: [a, b], outputs: sum });
    randomizeAll(model, 7);
    const ia = input([2, 3], 8);
    const ib = input([2, 3], 9);
    const [k, bias] = weights(shared);
    const expected = addOracle([denseOracle(ia.x, k, bias, 'tanh'), denseOracle(ib.x, k, bias, 'tanh')]);
    expectClose(fromOrtTensor(model.predict([ia.t, ib.t]), 'y'), expected, F32);
    // The shared layer's weights appear once.
    expect(model.getWeights()).toHaveLength(2);
  });

  it('a mask passes through Dense (supports_masking) and is rejected by Conv2D', () => {
    const inp = layers.input({ shape: [4, 3] });
    const model = new Model({ inputs: inp, outputs: layers.dense({ units: 2 }).apply(inp) });
    const { t } = input([2, 4, 3], 10);
    const mask = new Tensor('bool', Uint8Array.from([1, 1, 0, 1, 0, 1, 1, 1]), [2, 4]);
    const masked = model.call(t, { mask });
    expect(Array.from(masked.data as Float32Array)).toEqual(Array.from(model.predict(t).data as Float32Array));
    const img = layers.input({ shape: [3, 3, 1] });
    const conv = new Conv2D({ filters: 1, kernelSize: 1, name: 'no_mask_conv' });
    const convModel = new Model({ inputs: img, outputs: conv.apply(img) });
    const x = new Tensor('float32', new Float32Array(9), [1, 3, 3, 1]);
    expect(() => convModel.call(x, { mask: new Tensor('bool', new Uint8Array(3), [1, 3]) })).toThrow(ArgumentError);
  });

  it('unknown spatial sizes: conv/pool "same" lower to auto_pad SAME_UPPER and still match TF padding', () => {
    const inp = layers.input({ shape: [null, null, 2] });
    const conv = layers.conv2d({ filters: 3, kernelSize: 2, strides: 2, padding: 'same' });
    const pool = layers.maxPooling2d({ poolSize: 3, strides: 1, padding: 'same' });
    const out = pool.apply(conv.apply(inp));
    expect(out.shape).toEqual([null, null, null, 3]);
    const model = new Model({ inputs: inp, outputs: out });
    randomizeAll(model, 11);
    const { t, x } = input([2, 5, 6, 2], 12);
    const [k, b] = weights(conv);
    const h = conv2dOracle(x, k, b, { padding: 'same', strides: [2, 2] });
    expectClose(fromOrtTensor(model.predict(t), 'y'), pool2dOracle(h, 'max', { pool: [3, 3], strides: [1, 1], padding: 'same' }), F32);
  });

  it('shape errors surface when the model is built, naming the layer', () => {
    const inp = layers.input({ shape: [4] });
    const other = layers.input({ shape: [5] });
    expect(() => layers.add({ name: 'bad_add' }).apply([inp, other])).toThrow(/Add layer 'bad_add'.*inputs\[1\]/);
    expect(() => layers.conv2d({ filters: 1, kernelSize: 3, name: 'bad_conv' }).apply(inp)).toThrow(/Conv2D layer 'bad_conv'.*rank 4/);
  });
});
