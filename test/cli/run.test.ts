// `kiln run`: outputs written as output_K.pb TensorProtos named after the graph outputs.

import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FeedError } from '../../core/errors.js';
import { runRun } from '../../cli/commands/run.js';
import { UsageError } from '../../cli/errors.js';
import { bufferIO } from '../../cli/io.js';
import { runOnnxruntime } from '../../cli/ort-oracle.js';
import { readTensorFile, writeTensorFile } from '../../cli/tensor-files.js';
import { f32, mulReluModel } from './onnx-models.js';

const root = mkdtempSync(join(tmpdir(), 'kiln-cli-run-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('kiln run', () => {
  const model = join(root, 'mulrelu.onnx');
  writeFileSync(model, mulReluModel());
  const x = f32([2, 3], [1, 2, 3, -1, -2, -3]);
  const xFile = join(root, 'x.pb');
  writeTensorFile(xFile, 'x', x);

  it('writes output_0.pb that decodes back to the values onnxruntime computes', async () => {
    const out = join(root, 'out', 'nested');
    const io = bufferIO();
    expect(runRun([model, '--input', `x=${xFile}`, '--output-dir', out], io)).toBe(0);
    const file = join(out, 'output_0.pb');
    expect(io.stdout).toEqual([`${file}: 'y' float32[2,3]`]);
    const back = readTensorFile(file);
    expect(back.name).toBe('y');
    expect(back.tensor.dims).toEqual([2, 3]);
    const ort = await runOnnxruntime(model, { x }, { optimization: 'all' });
    if (!ort.ok) expect.fail(ort.reason);
    expect(Array.from(back.tensor.data as Float32Array)).toEqual(Array.from(ort.outputs.y.data as Float32Array));
  });

  it('needs every input and an output folder', () => {
    expect(() => runRun([model, '--output-dir', join(root, 'o2')], bufferIO())).toThrow(FeedError);
    expect(() => runRun([model, '--input', `x=${xFile}`], bufferIO())).toThrow(UsageError);
    expect(existsSync(join(root, 'o2'))).toBe(false);
  });
});
