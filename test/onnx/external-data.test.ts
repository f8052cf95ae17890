// External tensor data: read relative to the model folder, and refused when the location is absolute,
// escapes the folder with `..` or through a symlink, or when no folder is known (bytes input).

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxImportError } from '../../core/errors.js';
import { importModel, importModelFile } from '../../compiler/onnx/index.js';
import { tensorFromProto } from '../../compiler/onnx/tensor-proto.js';
import { GraphSession } from '../../runtime/graph-session.js';
import { hostTensor } from '../../core/tensor.js';
import { modelBytes, node, onnx, TYPE, valueInfo } from './proto-builder.js';
import type { onnx as OnnxTypes } from 'onnx-proto';

let root: string;
let modelDir: string;

function floatBytes(values: number[]): Uint8Array {
  const b = new Uint8Array(values.length * 4);
  const view = new DataView(b.buffer);
  values.forEach((v, i) => view.setFloat32(4 * i, v, true));
  return b;
}

function external(location: string, dims: number[], extra: Record<string, string> = {}): OnnxTypes.ITensorProto {
  return {
    name: 'w',
    dataType: TYPE.float,
    dims,
    dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
    externalData: [{ key: 'location', value: location }, ...Object.entries(extra).map(([key, value]) => ({ key, value }))],
  };
}

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-external-'));
  modelDir = path.join(root, 'model');
  fs.mkdirSync(path.join(modelDir, 'weights'), { recursive: true });
  // Inside: four floats after an 8-byte header.
  fs.writeFileSync(path.join(modelDir, 'weights', 'w.bin'), Buffer.concat([Buffer.alloc(8, 0xaa), floatBytes([1, 2, 3, 4])]));
  // Outside the model folder, and a symlink inside pointing to it.
  fs.writeFileSync(path.join(root, 'secret.bin'), floatBytes([9, 9, 9, 9]));
  fs.symlinkSync(path.join(root, 'secret.bin'), path.join(modelDir, 'link.bin'));
  // A symlink that stays inside is fine.
  fs.symlinkSync(path.join(modelDir, 'weights', 'w.bin'), path.join(modelDir, 'inside-link.bin'));
});

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

function expectRefused(t: OnnxTypes.ITensorProto, baseDir: string | undefined, pattern: RegExp): void {
  let caught: unknown;
  try {
    tensorFromProto(t, baseDir === undefined ? {} : { baseDir }, 'initializer');
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(OnnxImportError);
  expect((caught as Error).message).toMatch(pattern);
}

describe('external data', () => {
  it('reads a file inside the model folder at offset/length', () => {
    const t = tensorFromProto(external('weights/w.bin', [2, 2], { offset: '8', length: '16' }), { baseDir: modelDir });
    expect(Array.from(t.data as Float32Array)).toEqual([1, 2, 3, 4]);
  });

  it('reads through a symlink that stays inside the folder', () => {
    const t = tensorFromProto(external('inside-link.bin', [2], { offset: '16' }), { baseDir: modelDir });
    expect(Array.from(t.data as Float32Array)).toEqual([3, 4]);
  });

  it('refuses an absolute location', () => {
    expectRefused(external(path.join(modelDir, 'weights', 'w.bin'), [4]), modelDir, /absolute path/);
  });

  it('refuses a location that escapes with ..', () => {
    expectRefused(external('../secret.bin', [4]), modelDir, /escapes the model folder/);
    expectRefused(external('weights/../../secret.bin', [4]), modelDir, /escapes the model folder/);
  });

  it('refuses a symlink that points outside the folder', () => {
    expectRefused(external('link.bin', [4]), modelDir, /symlink.*outside the model folder/);
  });

  it('refuses external data when the model came as bytes without a baseDir', () => {
    expectRefused(external('weights/w.bin', [4], { offset: '8' }), undefined, /no baseDir/);
  });

  it('reports missing files, reads past the end and a size mismatch', () => {
    expectRefused(external('weights/none.bin', [4]), modelDir, /cannot be opened/);
    expectRefused(external('weights/w.bin', [4], { offset: '8', length: '64' }), modelDir, /reads past its end/);
    expectRefused(external('weights/w.bin', [3], { offset: '8' }), modelDir, /external data holds 16 bytes, expected 12 bytes/);
  });

  it('importModelFile resolves external initializers next to the model file', async () => {
    const bytes = modelBytes({
      opset: 15,
      inputs: [valueInfo('x', TYPE.float, [2, 2])],
      outputs: [valueInfo('y', TYPE.float, [2, 2])],
      initializers: [external('weights/w.bin', [2, 2], { offset: '8', length: '16' })],
      nodes: [node('Add', ['x', 'w'], ['y'])],
    });
    const file = path.join(modelDir, 'model.onnx');
    fs.writeFileSync(file, bytes);
    const { graph } = importModelFile(file);
    const out = new GraphSession(graph).runHost({ x: hostTensor('float32', [2, 2], Float32Array.from([10, 20, 30, 40])) });
    expect(Array.from(out.y.data as Float32Array)).toEqual([11, 22, 33, 44]);
    expect(() => importModel(bytes)).toThrow(OnnxImportError);
  });
});
