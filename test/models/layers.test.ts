// Keras layers (Dense, Conv2D, pooling, Flatten, Activation, ReLU, Add) run eagerly as one-layer graphs
// against the float64 oracles in ./layer-oracles.ts; typed errors for bad arguments and inputs; config
// round trips (getConfig → layerFromConfig → same config, same outputs after setWeights).

import { Tensor } from 'onnxruntime-common';
import { describe, expect, it } from 'vitest';
import { ArgumentError, DTypeError, KilnError, ShapeError } from '../../core/errors.js';
import { fromOrtTensor } from '../../core/tensor.js';
import type { KerasConfig, Layer } from '../../models/layer.js';
import { Activation, Add, AveragePooling2D, Conv2D, Dense, Flatten, GlobalAveragePooling2D, layerFromConfig, layers, MaxPooling2D, ReLU } from '../../models/layers/index.js';
import { expectClose, type Tolerance } from '../helpers/compare.js';
import { randomValues } from '../helpers/random.js';
import {
  activate, type Act, addOracle, conv2dOracle, type ConvCase, denseOracle, flattenOracle, type Format, globalAvgOracle, pool2dOracle, type PoolCase, t64, type T64,
} from './layer-oracles.js';

/** float32 results against the float64 oracle (DESIGN.md §8; the brief's f32 tolerance). */
const F32: Tolerance = { rtol: 1e-5, atol: 1e-5 };

/** A seeded float32 input and its exact float64 widening (what the oracle sees). */
function input(dims: readonly number[], seed: number, low = -1, high = 1): { t: Tensor; x: T64 } {
  const f32 = Float32Array.from(randomValues(dims.reduce((a, b) => a * b, 1), { seed, low, high }));
  return { t: new Tensor('float32', f32, [...dims]), x: t64(dims, f32) };
}

function weights(layer: Layer): T64[] {
  return layer.getWeights().map((w) => t64(w.dims, w.data as Float32Array));
}

function expectOracle(y: Tensor, expected: T64, tol: Tolerance = F32, what = 'output'): void {
  expectClose(fromOrtTensor(y, what), expected, tol, what);
}

/** Give the bias non-zero values (Keras initializes it to zeros, which would hide a wrong bias path). */
function randomizeBias(layer: Dense | Conv2D, seed: number): void {
  const ws = layer.getWeights();
  if (ws.length === 2) {
    const b = ws[1];
    ws[1] = new Tensor('float32', Float32Array.from(randomValues(b.dims[0], { seed, low: -0.5, high: 0.5 })), [...b.dims]);
  }
  layer.setWeights(ws);
}

function expectError(fn: () => unknown, type: new (...args: never[]) => KilnError, ...fragments: string[]): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(type);
  const message = caught instanceof Error ? caught.message : '';
  for (const f of fragments) expect(message).toContain(f);
}

// ---------------------------------------------------------------------------------------------

describe('Dense', () => {
  const acts: Act[] = ['linear', 'relu', 'sigmoid', 'tanh', 'softmax'];

  it.each(acts)('rank-2 input, activation %s, equals the loop oracle over the kernel', (act) => {
    const layer = layers.dense({ units: 5, activation: act, kernelInitializer: { className: 'GlorotUniform', config: { seed: 1 } } });
    const { t, x } = input([4, 7], 11);
    layer.build([[4, 7]]);
    randomizeBias(layer, 2);
    const y = layer.call(t);
    const [kernel, bias] = weights(layer);
    expect(kernel.dims).toEqual([7, 5]);
    expectOracle(y, denseOracle(x, kernel, bias, act));
  });

  it('rank-3 input contracts the last axis (tensordot), without bias', () => {
    const layer = new Dense({ units: 3, use_bias: false, kernel_initializer: { class_name: 'RandomNormal', config: { seed: 4, stddev: 0.5 } } });
    const { t, x } = input([2, 3, 6], 5);
    const y = layer.call(t);
    expect(y.dims).toEqual([2, 3, 3]);
    expect(layer.getWeights()).toHaveLength(1);
    expectOracle(y, denseOracle(x, weights(layer)[0], undefined, 'linear'));
  });

  it('float64 layer dtype casts a float32 input up and computes in float64', () => {
    const layer = layers.dense({ units: 4, dtype: 'float64', kernelInitializer: { className: 'GlorotUniform', config: { seed: 9 } } });
    const { t, x } = input([3, 5], 8);
    const y = layer.call(t);
    expect(y.type).toBe('float64');
    const ws = layer.getWeights().map((w) => t64(w.dims, w.data as Float64Array));
    expectOracle(y, denseOracle(x, ws[0], ws[1], 'linear'), { rtol: 1e-12, atol: 1e-12 });
  });

  it('Keras defaults: glorot_uniform kernel within its limit, zero bias, linear, use_bias', () => {
    const layer = new Dense({ units: 6 });
    layer.build([[null, 10]]);
    const [kernel, bias] = weights(layer);
    const limit = Math.sqrt(6 / (10 + 6));
    expect(kernel.data.every((v) => Math.abs(v) <= limit)).toBe(true);
    expect([...bias.data]).toEqual(new Array(6).fill(0));
    const c = layer.getConfig();
    expect(c.activation).toBe('linear');
    expect(c.use_bias).toBe(true);
    expect(c.kernel_initializer).toEqual({ class_name: 'GlorotUniform', config: { seed: null } });
    expect(c.bias_initializer).toEqual({ class_name: 'Zeros', config: {} });
  });

  it('rejects bad arguments and inputs with typed errors naming layer, argument, expected and received', () => {
    expectError(() => new Dense({ units: 0, name: 'd0' }), ArgumentError, "Dense layer 'd0'", "'units'", 'positive integer', '0');
    expectError(() => new Dense({ units: 2, activation: 'elu' as Act, name: 'd1' }), ArgumentError, "'activation'", "'elu'");
    expectError(() => new Dense({ units: 2, kernelInitializer: 'nope', name: 'd2' }), ArgumentError, "'kernel_initializer'");
    expectError(() => new Dense({ units: 2, activity_regularizer: 'l2', name: 'd3' }), ArgumentError, "'activity_regularizer'", 'not supported');
    expectError(() => new Dense({ units: 2, use_bias: true, useBias: false, name: 'd4' }), ArgumentError, 'use_bias');
    expectError(() => new Dense({ units: 2, bogus: 1, name: 'd5' }), ArgumentError, "unknown key 'bogus'");
    const d = new Dense({ units: 2, name: 'd6' });
    expectError(() => d.call(new Tensor('float32', new Float32Array(3), [3])), ShapeError, "Dense layer 'd6'", "'inputs'", 'rank >= 2', '[3]');
    expectError(() => d.call(new Tensor('int32', new Int32Array(6), [2, 3])), DTypeError, "'inputs'", 'int32');
    d.call(new Tensor('float32', new Float32Array(6), [2, 3]));
    expectError(() => d.call(new Tensor('float32', new Float32Array(8), [2, 4])), ShapeError, 'last axis of size 3', '[2,4]');
  });
});

// ---------------------------------------------------------------------------------------------

describe('Conv2D', () => {
  interface Case extends ConvCase {
    readonly title: string;
    readonly dims: readonly number[];
    readonly filters: number;
    readonly kernel: readonly [number, number];
  }
  const cases: Case[] = [
    { title: '3x3 same stride 1', dims: [2, 6, 5, 3], filters: 4, kernel: [3, 3], padding: 'same' },
    { title: '3x3 valid stride 2', dims: [2, 7, 6, 3], filters: 4, kernel: [3, 3], padding: 'valid', strides: [2, 2] },
    { title: '3x3 same stride 2 on even sizes (padding only at the end)', dims: [1, 6, 8, 2], filters: 3, kernel: [3, 3], padding: 'same', strides: [2, 2] },
    { title: '2x2 same (even kernel: the odd pad goes at the end)', dims: [2, 5, 5, 2], filters: 3, kernel: [2, 2], padding: 'same' },
    { title: '4x3 same strides [2,3]', dims: [1, 9, 10, 2], filters: 2, kernel: [4, 3], padding: 'same', strides: [2, 3] },
    { title: 'dilation 2 same', dims: [1, 7, 7, 2], filters: 3, kernel: [3, 3], padding: 'same', dilation: [2, 2] },
    { title: 'dilation [2,1] valid', dims: [2, 8, 6, 2], filters: 2, kernel: [3, 2], padding: 'valid', dilation: [2, 1] },
    { title: 'groups 2', dims: [2, 5, 5, 4], filters: 6, kernel: [3, 3], padding: 'same', groups: 2 },
    { title: 'relu activation', dims: [2, 5, 4, 3], filters: 4, kernel: [3, 3], padding: 'valid', act: 'relu' },
    { title: 'softmax activation (over the filters axis)', dims: [1, 4, 4, 3], filters: 5, kernel: [3, 3], padding: 'same', act: 'softmax' },
    { title: 'channels_first same stride 2', dims: [2, 3, 7, 6], filters: 4, kernel: [3, 3], padding: 'same', strides: [2, 2], format: 'channels_first' },
    { title: 'channels_first softmax (over the last spatial axis, as Keras)', dims: [1, 2, 4, 5], filters: 3, kernel: [3, 3], padding: 'valid', format: 'channels_first', act: 'softmax' },
  ];

  it.each(cases)('$title equals the naive loop over the Keras-layout kernel', (c) => {
    const layer = new Conv2D({
      filters: c.filters, kernelSize: [...c.kernel], strides: c.strides && [...c.strides], padding: c.padding,
      dilationRate: c.dilation && [...c.dilation], groups: c.groups, dataFormat: c.format, activation: c.act,
      kernelInitializer: { className: 'GlorotUniform', config: { seed: 3 } },
    });
    const { t, x } = input(c.dims, 21);
    layer.build([c.dims]);
    randomizeBias(layer, 5);
    const [kernel, bias] = weights(layer);
    const cin = c.dims[c.format === 'channels_first' ? 1 : 3];
    expect(kernel.dims).toEqual([...c.kernel, cin / (c.groups ?? 1), c.filters]);
    const y = layer.call(t);
    expectOracle(y, conv2dOracle(x, kernel, bias, c));
  });

  it("'same' with a 2x2 kernel of ones sums x[i..i+1, j..j+1] with zeros past the bottom/right edge (TF SAME)", () => {
    const layer = new Conv2D({ filters: 1, kernelSize: 2, padding: 'same', useBias: false, kernelInitializer: 'ones' });
    const { t, x } = input([1, 4, 4, 1], 3);
    const y = layer.call(t);
    const expected = t64([1, 4, 4, 1]);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) {
      for (let a = 0; a < 2; a++) for (let e = 0; e < 2; e++) if (i + a < 4 && j + e < 4) expected.data[i * 4 + j] += x.data[(i + a) * 4 + j + e];
    }
    expectOracle(y, expected);
  });

  it('symbolic batch and spatial sizes: output shape via Keras rules', () => {
    const layer = layers.conv2d({ filters: 2, kernelSize: 3, strides: 2, padding: 'same' });
    const s = layer.computeOutput([{ shape: [null, 9, null, 3], dtype: 'float32' }]);
    expect(s.shape).toEqual([null, 5, null, 2]);
    const v = layers.conv2d({ filters: 2, kernelSize: [3, 2], padding: 'valid', dataFormat: 'channels_first' });
    expect(v.computeOutput([{ shape: [4, 3, 9, 8], dtype: 'float32' }]).shape).toEqual([4, 2, 7, 7]);
  });

  it('rejects bad arguments and inputs with typed errors', () => {
    expectError(() => new Conv2D({ filters: 4, kernelSize: [3, 0], name: 'c0' }), ArgumentError, "Conv2D layer 'c0'", "'kernel_size'", '[3,0]');
    expectError(() => new Conv2D({ filters: 4, kernelSize: 3, padding: 'causal' as 'same', name: 'c1' }), ArgumentError, "'padding'", "'causal'");
    expectError(() => new Conv2D({ filters: 4, kernelSize: 3, dataFormat: 'nhwc' as Format, name: 'c2' }), ArgumentError, "'data_format'");
    expectError(() => new Conv2D({ filters: 5, kernelSize: 3, groups: 2, name: 'c3' }), ArgumentError, "'groups'", 'filters=5');
    expectError(() => new Conv2D({ filters: 4, kernelSize: 3, strides: 2, dilationRate: 2, name: 'c4' }), ArgumentError, "'dilation_rate'");
    expectError(() => Conv2D.fromConfig({ filters: 4, name: 'c5' }), ArgumentError, "'kernel_size'", 'required');
    const c = new Conv2D({ filters: 4, kernelSize: 3, groups: 2, name: 'c6' });
    expectError(() => c.call(new Tensor('float32', new Float32Array(27), [1, 3, 3, 3])), ShapeError, "Conv2D layer 'c6'", 'divisible by groups=2');
    expectError(() => c.call(new Tensor('float32', new Float32Array(12), [1, 3, 4])), ShapeError, 'rank 4');
    const v = new Conv2D({ filters: 1, kernelSize: 5, name: 'c7' });
    expectError(() => v.call(new Tensor('float32', new Float32Array(16), [1, 4, 4, 1])), ShapeError, "padding='valid'", '[1,4,4,1]');
  });
});

// ---------------------------------------------------------------------------------------------

describe('MaxPooling2D and AveragePooling2D', () => {
  interface Case extends PoolCase {
    readonly title: string;
    readonly dims: readonly number[];
  }
  const cases: Case[] = [
    { title: 'defaults (2x2, strides = pool_size, valid) on odd sizes', dims: [2, 5, 7, 3], pool: [2, 2], padding: 'valid' },
    { title: '3x3 same stride 1 (partial border windows)', dims: [1, 5, 4, 2], pool: [3, 3], strides: [1, 1], padding: 'same' },
    { title: '2x2 same strides 2 on odd sizes', dims: [2, 5, 5, 2], pool: [2, 2], padding: 'same' },
    { title: '3x2 valid strides [1,2]', dims: [1, 6, 7, 3], pool: [3, 2], strides: [1, 2], padding: 'valid' },
    { title: 'channels_first 2x2 same', dims: [2, 3, 5, 4], pool: [2, 2], padding: 'same', format: 'channels_first' },
  ];

  for (const fn of ['max', 'avg'] as const) {
    it.each(cases)(`${fn}: $title`, (c) => {
      const args = { poolSize: [...c.pool], strides: c.strides && [...c.strides], padding: c.padding, dataFormat: c.format };
      const layer = fn === 'max' ? layers.maxPooling2d(args) : layers.averagePooling2d(args);
      // An offset keeps every value away from 0, so padding counted as a zero would show.
      const { t, x } = input(c.dims, 31, 2, 5);
      expectOracle(layer.call(t), pool2dOracle(x, fn, c));
    });
  }

  it('default config is Keras: pool_size [2,2], strides = pool_size, valid, channels_last', () => {
    expect(new MaxPooling2D({ name: 'mp' }).getConfig()).toEqual({
      name: 'mp', trainable: true, dtype: 'float32', pool_size: [2, 2], padding: 'valid', strides: [2, 2], data_format: 'channels_last',
    });
    expect(new AveragePooling2D({ pool_size: 3, strides: 1, padding: 'SAME' }).getConfig()).toMatchObject({ pool_size: [3, 3], strides: [1, 1], padding: 'same' });
  });

  it('rejects bad inputs', () => {
    const p = new MaxPooling2D({ poolSize: 3, name: 'mp1' });
    expectError(() => p.call(new Tensor('float32', new Float32Array(8), [1, 2, 4, 1])), ShapeError, "MaxPooling2D layer 'mp1'", 'pool_size 3');
    expectError(() => p.call(new Tensor('float32', new Float32Array(8), [2, 4])), ShapeError, 'rank 4');
    expectError(() => new AveragePooling2D({ poolSize: [2, 2, 2] }), ArgumentError, "'pool_size'");
  });
});

describe('GlobalAveragePooling2D', () => {
  it.each([
    ['channels_last', false], ['channels_last', true], ['channels_first', false], ['channels_first', true],
  ] as const)('%s keepdims=%s', (format, keepdims) => {
    const layer = new GlobalAveragePooling2D({ data_format: format, keepdims });
    const { t, x } = input([3, 4, 5, 2], 41, -3, 4);
    const y = layer.call(t);
    expectOracle(y, globalAvgOracle(x, format, keepdims));
  });
});

// ---------------------------------------------------------------------------------------------

describe('Flatten', () => {
  it.each([
    [[2, 3, 4, 5], 'channels_last'], [[2, 3, 4, 5], 'channels_first'], [[2, 3, 4], 'channels_first'], [[2, 6], 'channels_first'],
  ] as const)('%j %s', (dims, format) => {
    const layer = new Flatten({ dataFormat: format });
    const { t, x } = input(dims, 51);
    const y = layer.call(t);
    const e = flattenOracle(x, format);
    expect(y.dims).toEqual(e.dims);
    expectOracle(y, e, { rtol: 0, atol: 0 });
  });

  it('rank 1 gives (batch, 1); symbolic sizes give an unknown flattened size', () => {
    const layer = new Flatten();
    expect(layer.call(new Tensor('float32', Float32Array.from([1, 2, 3]), [3])).dims).toEqual([3, 1]);
    expect(new Flatten().computeOutput([{ shape: [null, 3, null], dtype: 'float32' }]).shape).toEqual([null, null]);
    expect(new Flatten().computeOutput([{ shape: [null, 3, 4], dtype: 'float32' }]).shape).toEqual([null, 12]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('Activation and ReLU', () => {
  it.each(['linear', 'relu', 'sigmoid', 'tanh', 'softmax'] as const)('Activation %s', (act) => {
    const { t, x } = input([3, 4, 5], 61, -4, 4);
    expectOracle(new Activation({ activation: act }).call(t), activate(x, act));
  });

  it('ReLU default and with max_value', () => {
    const { t, x } = input([4, 6], 71, -3, 3);
    expectOracle(new ReLU().call(t), activate(x, 'relu'));
    expectOracle(layers.relu({ maxValue: 1.5 }).call(t), t64(x.dims, x.data.map((v) => Math.min(Math.max(v, 0), 1.5))));
    expectOracle(layers.relu({ max_value: 0 }).call(t), t64(x.dims, new Float64Array(x.data.length)));
  });

  it('rejects what kiln does not lower, and Keras-invalid values', () => {
    expectError(() => new ReLU({ negativeSlope: 0.1, name: 'r0' }), ArgumentError, "ReLU layer 'r0'", "'negative_slope'", '0.1');
    expectError(() => new ReLU({ threshold: 1, name: 'r1' }), ArgumentError, "'threshold'", '1');
    expectError(() => new ReLU({ maxValue: -1, name: 'r2' }), ArgumentError, "'max_value'", '-1');
    expectError(() => layerFromConfig({ class_name: 'Activation', config: { name: 'a0' } }), ArgumentError, "'activation'", 'required');
    expectError(() => new Activation({ activation: 'gelu' as Act, name: 'a1' }), ArgumentError, "Activation layer 'a1'", "'gelu'");
    expectError(() => new Activation({ activation: 'relu', name: 'a2' }).call(new Tensor('int32', new Int32Array(2), [2])), DTypeError, "'inputs'");
  });

  it('accepts the Keras serialized-function form of an activation', () => {
    const a = layerFromConfig({ class_name: 'Activation', config: { name: 'a3', activation: { class_name: 'function', config: 'tanh' } } });
    expect(a.getConfig().activation).toBe('tanh');
  });
});

// ---------------------------------------------------------------------------------------------

describe('Add', () => {
  it('sums two and three same-shape inputs', () => {
    const a = input([2, 3, 4], 81);
    const b = input([2, 3, 4], 82);
    const c = input([2, 3, 4], 83);
    expectOracle(new Add().call([a.t, b.t]), addOracle([a.x, b.x]));
    expectOracle(layers.add().call([a.t, b.t, c.t]), addOracle([a.x, b.x, c.x]));
  });

  it('broadcasts size-1 axes like Keras Merge', () => {
    const a = input([2, 3, 4], 84);
    const b = input([2, 1, 4], 85);
    const y = new Add().call([a.t, b.t]);
    expect(y.dims).toEqual([2, 3, 4]);
    expectOracle(y, addOracle([a.x, b.x]));
  });

  it('rejects one input, incompatible shapes, ranks and batch sizes', () => {
    const add = new Add({ name: 'add0' });
    const t = (dims: number[]): Tensor => new Tensor('float32', new Float32Array(dims.reduce((p, q) => p * q, 1)), dims);
    expectError(() => add.call([t([2, 3])]), ArgumentError, "Add layer 'add0'", 'at least 2', '1');
    expectError(() => new Add().call([t([2, 3]), t([2, 4])]), ShapeError, 'inputs[1]', '[2,4]');
    expectError(() => new Add().call([t([2, 3]), t([2, 3, 1])]), ShapeError, 'rank 2');
    expectError(() => new Add().call([t([2, 3]), t([4, 3])]), ShapeError, 'one batch size');
  });
});

// ---------------------------------------------------------------------------------------------

describe('config round trips', () => {
  const json = (c: KerasConfig): KerasConfig => JSON.parse(JSON.stringify(c)) as KerasConfig;
  const made: [string, () => Layer, number[]][] = [
    ['Dense', () => layers.dense({ units: 3, activation: 'tanh', kernelRegularizer: { className: 'L2', config: { l2: 0.1 } }, biasConstraint: 'non_neg', kernelInitializer: { className: 'HeNormal', config: { seed: 5 } } }), [2, 4]],
    ['Conv2D', () => layers.conv2d({ filters: 4, kernel_size: [3, 2], strides: [2, 1], padding: 'same', data_format: 'channels_first', groups: 2, activation: 'relu', kernel_constraint: { class_name: 'MaxNorm', config: { max_value: 3, axis: [0, 1, 2] } } }), [2, 4, 5, 6]],
    ['Activation', () => layers.activation({ activation: 'sigmoid' }), [2, 3]],
    ['ReLU', () => layers.relu({ maxValue: 6 }), [2, 3]],
    ['Flatten', () => layers.flatten({ dataFormat: 'channels_first' }), [2, 3, 2, 2]],
    ['MaxPooling2D', () => layers.maxPooling2d({ poolSize: [3, 2], strides: 1, padding: 'same' }), [2, 4, 5, 3]],
    ['AveragePooling2D', () => layers.averagePooling2d({ poolSize: 2, dataFormat: 'channels_first' }), [2, 3, 4, 6]],
    ['GlobalAveragePooling2D', () => layers.globalAveragePooling2d({ keepdims: true }), [2, 3, 4, 5]],
    ['BatchNormalization', () => layers.batchNormalization({ axis: 1, momentum: 0.9 }), [3, 4, 2]],
  ];

  it.each(made)('%s: getConfig → JSON → layerFromConfig gives the same config and, with setWeights, the same outputs', (cls, make, dims) => {
    const a = make();
    const { t } = input(dims, 91);
    const ya = a.call(t);
    const config = json(a.getConfig());
    const b = layerFromConfig({ class_name: a.className, config });
    expect(b.className).toBe(cls);
    expect(b.getConfig()).toEqual(a.getConfig());
    b.build([dims]);
    b.setWeights(a.getWeights());
    const yb = b.call(t);
    expect(yb.dims).toEqual(ya.dims);
    expect(Array.from(yb.data as Float32Array)).toEqual(Array.from(ya.data as Float32Array));
  });

  it('Add round trip (two inputs)', () => {
    const a = new Add({ name: 'my_add' });
    const b = layerFromConfig({ class_name: 'Add', config: json(a.getConfig()) });
    expect(b).toBeInstanceOf(Add);
    expect(b.getConfig()).toEqual({ name: 'my_add', trainable: true, dtype: 'float32' });
  });

  it('snake_case and camelCase arguments give the same config', () => {
    const snake = new Conv2D({ name: 'c', filters: 2, kernel_size: 3, dilation_rate: 2, use_bias: false, data_format: 'channels_first', kernel_initializer: 'he_uniform' });
    const camel = new Conv2D({ name: 'c', filters: 2, kernelSize: 3, dilationRate: 2, useBias: false, dataFormat: 'channels_first', kernelInitializer: 'heUniform' });
    expect(camel.getConfig()).toEqual(snake.getConfig());
  });

  it('reads a Keras 3 saved Dense config (module/registered_name entries, DTypePolicy, quantization_config)', () => {
    const keras = {
      module: 'keras.layers', class_name: 'Dense', registered_name: null,
      config: {
        name: 'dense_7', trainable: true,
        dtype: { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null },
        units: 8, activation: 'relu', use_bias: true,
        kernel_initializer: { module: 'keras.initializers', class_name: 'GlorotUniform', config: { seed: null }, registered_name: null },
        bias_initializer: { module: 'keras.initializers', class_name: 'Zeros', config: {}, registered_name: null },
        kernel_regularizer: null, bias_regularizer: null, kernel_constraint: null, bias_constraint: null, quantization_config: null,
      },
    };
    const layer = layerFromConfig(keras);
    expect(layer).toBeInstanceOf(Dense);
    expect(layer.getConfig()).toMatchObject({ name: 'dense_7', units: 8, activation: 'relu', dtype: 'float32' });
    expect(layerFromConfig({ class_name: 'MaxPool2D', config: {} })).toBeInstanceOf(MaxPooling2D);
    expectError(() => layerFromConfig({ class_name: 'LSTM', config: {} }), ArgumentError, "'class_name'", "'LSTM'");
  });

  it('default names follow Keras (snake_case class name, numbered)', () => {
    expect(new ReLU().name).toMatch(/^re_lu(_\d+)?$/);
    expect(new GlobalAveragePooling2D().name).toMatch(/^global_average_pooling2d(_\d+)?$/);
    expect(new Conv2D({ filters: 1, kernelSize: 1 }).name).toMatch(/^conv2d(_\d+)?$/);
  });
});
