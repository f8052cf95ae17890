// kiln's InferenceSession (path or bytes) and kiln registered as an onnxruntime-common backend:
// code written for onnxruntime's InferenceSession runs on kiln by naming it as execution provider.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ortCommon from 'onnxruntime-common';
import * as ortNode from 'onnxruntime-node';
import { Tensor } from 'onnxruntime-common';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import { exportModel } from '../../compiler/onnx/index.js';
import { FeedError, OnnxImportError } from '../../core/errors.js';
import { hostTensor } from '../../core/tensor.js';
import { InferenceSession } from '../../runtime/onnx-session.js';
import { registerKilnBackend } from '../../runtime/ort-backend.js';
import { expectClose } from '../helpers/compare.js';
import { randomValues } from '../helpers/random.js';

function bnModel(): Uint8Array {
  const b = new GraphBuilder('bn_relu');
  const x = b.input('x', 'float32', ['N', 3, 4, 4]);
  const p = (n: string, v: number[]): ReturnType<typeof b.initializer> => b.initializer(n, hostTensor('float32', [3], Float32Array.from(v)));
  const [y] = b.node('BatchNormalization', [x, p('scale', [1, 2, 0.5]), p('bias', [0.1, -0.2, 0.3]), p('mean', [0.5, -1, 2]), p('var', [1, 4, 0.25])], {}, { name: 'bn' });
  return exportModel(b.build([b.op('Relu', [y], {}, 'y')]));
}

const x = new Tensor('float32', Float32Array.from(randomValues(2 * 48, { seed: 3, low: -3, high: 3 })), [2, 3, 4, 4]);

describe('InferenceSession', () => {
  it('loads bytes and files, exposes names and metadata, runs like onnxruntime', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-session-'));
    const file = join(dir, 'bn.onnx');
    writeFileSync(file, bnModel());
    for (const source of [bnModel(), file]) {
      const s = await InferenceSession.create(source);
      expect(s.inputNames).toEqual(['x']);
      expect(s.outputNames).toEqual(['y']);
      expect(s.inputMetadata[0]).toMatchObject({ name: 'x', isTensor: true, type: 'float32', shape: ['N', 3, 4, 4] });
      const out = await s.run({ x });
      const ref = await (await ortNode.InferenceSession.create(bnModel())).run({ x: x as ortNode.Tensor });
      expectClose({ dims: [...out.y.dims], data: Float64Array.from(out.y.data as Float32Array) }, { dims: [...ref.y.dims], data: Float64Array.from(ref.y.data as Float32Array) }, { rtol: 1e-4, atol: 1e-5 }, 'y');
    }
  });

  it('typed errors: unreadable file, unknown fetch', async () => {
    await expect(InferenceSession.create('/nonexistent/model.onnx')).rejects.toThrow(OnnxImportError);
    const s = await InferenceSession.create(bnModel());
    await expect(s.run({ x }, ['nope'])).rejects.toThrow(FeedError);
  });
});

describe('kiln as an onnxruntime-common backend', () => {
  it("runs through onnxruntime-common's InferenceSession with executionProviders ['kiln']", async () => {
    registerKilnBackend();
    const s = await ortCommon.InferenceSession.create(bnModel(), { executionProviders: ['kiln'] });
    expect(s.inputNames).toEqual(['x']);
    const out = await s.run({ x });
    const direct = await (await InferenceSession.create(bnModel())).run({ x });
    expect([...(out.y.data as Float32Array)]).toEqual([...(direct.y.data as Float32Array)]);
  });
});
