// Keras-style models through ONNX: import(export(model)) restores the same layer configs with
// bit-exact weights and identical outputs, and onnxruntime-node runs the exported files (inference
// and training mode, channels-last BatchNormalization included) within float32 tolerance of kiln.

import * as ort from 'onnxruntime-node';
import { Tensor } from 'onnxruntime-common';
import { describe, expect, it } from 'vitest';
import { importModel } from '../../compiler/onnx/index.js';
import { layers } from '../../models/layers/index.js';
import { BatchNormalization } from '../../models/layers/batch-normalization.js';
import { input, Model, Sequential } from '../../models/model.js';
import { exportOnnx, importOnnx } from '../../models/onnx-io.js';
import { smallConvNet } from '../../models/zoo/small-convnet.js';
import { expectClose } from '../helpers/compare.js';
import { mulberry32, randomValues } from '../helpers/random.js';

const ORT_TOL = { rtol: 1e-4, atol: 1e-5 };
const f64 = (t: Tensor): Float64Array => Float64Array.from(t.data as Float32Array);
const asF64 = (t: Tensor) => ({ dims: [...t.dims], data: f64(t) });

/** Distinct weights everywhere (onnxruntime's training BN misbehaves when scale/bias share buffers with mean/var). */
function randomizeBn(model: Model, seed: number): void {
  const rnd = mulberry32(seed);
  for (const l of model.layers) {
    if (!(l instanceof BatchNormalization)) continue;
    l.setWeights(l.getWeights().map((w, i) => new Tensor('float32', Float32Array.from({ length: w.dims[0] }, () => (i === 3 ? 0.5 + rnd() : i === 0 ? 0.5 + rnd() : rnd() - 0.5)), [...w.dims])));
  }
}

function channelsLastModel(): Model {
  const x = input({ shape: [5, 6, 4], name: 'x' });
  const h = layers.batchNormalization({ axis: -1, momentum: 0.8, name: 'bn_last' }).apply(x);
  const d = layers.dense({ units: 3, name: 'dense_head', kernelInitializer: { className: 'GlorotUniform', config: { seed: 3 } } }).apply(h);
  const y = layers.batchNormalization({ axis: -1, center: false, name: 'bn_head' }).apply(d);
  const m = new Model({ inputs: x, outputs: y, name: 'channels_last' });
  randomizeBn(m, 5);
  return m;
}

async function runOrt(bytes: Uint8Array, feeds: Record<string, Tensor>): Promise<Record<string, ort.Tensor>> {
  const s = await ort.InferenceSession.create(bytes);
  return s.run(feeds as Record<string, ort.Tensor>);
}

describe('exportOnnx / importOnnx round trips', () => {
  const models: [string, () => Model][] = [
    ['channels-last functional model', channelsLastModel],
    ['small convnet (channels-first BN, dense BN)', () => { const m = smallConvNet({ seed: 4, inputShape: [3, 8, 8], classes: 4 }); randomizeBn(m, 6); return m; }],
    ['BN with masks off, scale off, axis 2', () => new Sequential({ inputShape: [3, 4, 5], layers: [layers.batchNormalization({ axis: 2, scale: false, epsilon: 1e-2 })] })],
  ];
  for (const [name, make] of models) {
    it(`${name}: same layer configs, bit-exact weights, identical outputs`, () => {
      const model = make();
      const dims = [2, ...model.inputs[0].shape.slice(1).map((d) => d as number)];
      const x = new Tensor('float32', Float32Array.from(randomValues(dims.reduce((a, b) => a * b, 1), { seed: 9, offset: 3 })), dims);
      const before = model.predict(x);
      const back = importOnnx(exportOnnx(model)).keras!;
      expect(back.layers.map((l) => l.getConfig())).toEqual(model.layers.map((l) => l.getConfig()));
      const w0 = model.getWeights();
      const w1 = back.getWeights();
      expect(w1.length).toBe(w0.length);
      w0.forEach((w, i) => expect(Buffer.from((w1[i].data as Float32Array).buffer).equals(Buffer.from((w.data as Float32Array).buffer))).toBe(true));
      expect([...(back.predict(x).data as Float32Array)]).toEqual([...(before.data as Float32Array)]);
    });
  }

  it('the exported file runs directly (as a plain graph) with the same outputs', async () => {
    const model = channelsLastModel();
    const x = new Tensor('float32', Float32Array.from(randomValues(2 * 120, { seed: 1 })), [2, 5, 6, 4]);
    const imported = importOnnx(exportOnnx(model));
    const out = await imported.run({ x });
    expect([...(Object.values(out)[0].data as Float32Array)]).toEqual([...(model.predict(x).data as Float32Array)]);
  });
});

describe('exported models in onnxruntime-node', () => {
  it('channels-last BatchNormalization exports without Transpose nodes, epsilon and momentum written', () => {
    const { graph } = importModel(exportOnnx(channelsLastModel()));
    const ops = graph.nodes.map((n) => n.op);
    expect(ops).not.toContain('Transpose');
    expect(ops.filter((o) => o === 'BatchNormalization')).toHaveLength(2);
    for (const n of graph.nodes) if (n.op === 'BatchNormalization') expect(n.attrs).toMatchObject({ training_mode: 0 });
  });

  for (const opset of [15, 14, 9]) {
    it(`inference at opset ${opset} matches kiln`, async () => {
      const model = channelsLastModel();
      const x = new Tensor('float32', Float32Array.from(randomValues(3 * 120, { seed: 2 })), [3, 5, 6, 4]);
      const want = model.predict(x);
      const got = await runOrt(exportOnnx(model, { opset }), { x });
      expectClose(asF64(Object.values(got)[0]), asF64(want), ORT_TOL, 'y');
    });
  }

  for (const [name, make] of [['channels-last', channelsLastModel], ['convnet', () => { const m = smallConvNet({ seed: 2, inputShape: [3, 8, 8], classes: 4 }); randomizeBn(m, 8); return m; }]] as const) {
    it(`training mode (${name}): y and running statistics as graph outputs match kiln`, async () => {
      const model = make();
      const dims = [4, ...model.inputs[0].shape.slice(1).map((d) => d as number)];
      const x = new Tensor('float32', Float32Array.from(randomValues(dims.reduce((a, b) => a * b, 1), { seed: 7, low: -2, high: 3 })), dims);
      const bytes = exportOnnx(model, { training: true });
      const lowered = model.lowered({ training: true });
      const got = await runOrt(bytes, { [model.inputs[0].name]: x });
      const bns = model.layers.filter((l): l is BatchNormalization => l instanceof BatchNormalization);
      const y = model.call(x, { training: true }); // updates the moving statistics in place
      expectClose(asF64(got[lowered.outputNames[0]]), asF64(y), ORT_TOL, 'y');
      for (const [outName, w] of lowered.updates) {
        const owner = bns.find((l) => l.weights.includes(w))!;
        expect(owner).toBeDefined();
        expectClose(asF64(got[outName]), { dims: [...w.value.dims], data: Float64Array.from(w.value.data as Float32Array) }, ORT_TOL, outName);
      }
      expect(lowered.updates.size).toBe(2 * bns.length);
    });
  }
});
