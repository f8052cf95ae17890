// `kiln check`: kiln against onnxruntime-node (or the float64 reference when onnxruntime cannot run
// the model), the per-output table, exit codes, --bisect and the typed errors for user mistakes.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FeedError, OnnxImportError } from '../../core/errors.js';
import { runCheck } from '../../cli/commands/check.js';
import { FileError, UsageError } from '../../cli/errors.js';
import { bufferIO } from '../../cli/io.js';
import { writeTensorFile } from '../../cli/tensor-files.js';
import { importModel } from '../../compiler/onnx/index.js';
import { bisect } from '../../cli/bisect.js';
import { batchNorm6Model, batchNormModel, f32, modelBytes, mulReluModel, reluModel } from './onnx-models.js';

const root = mkdtempSync(join(tmpdir(), 'kiln-cli-check-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function save(name: string, bytes: Uint8Array): string {
  const p = join(root, name);
  writeFileSync(p, bytes);
  return p;
}

describe('kiln check', () => {
  it('passes a Relu against onnxruntime-node with seeded random inputs', async () => {
    const io = bufferIO();
    expect(await runCheck([save('relu.onnx', reluModel()), '--seed', '3'], io)).toBe(0);
    const text = io.stdout.join('\n');
    expect(text).toMatch(/^oracle: onnxruntime-node \d/m);
    expect(text).toContain('inputs (seed 3): x float32[1,4] random');
    expect(text).toMatch(/^y\s+float32\s+\[1,4\]\s+\S+\s+\S+\s+PASS$/m);
    expect(text).toContain('all 1 output(s) pass');
  });

  it('passes BatchNormalization at opset 15', async () => {
    const io = bufferIO();
    expect(await runCheck([save('bn.onnx', batchNormModel())], io)).toBe(0);
    expect(io.stdout.join('\n')).toMatch(/^y\s+float32\s+\[2,3,4,4\].*PASS$/m);
  });

  it('takes inputs from TensorProto files and binds symbolic dims from them', async () => {
    const xFile = join(root, 'x.pb');
    writeTensorFile(xFile, 'x', f32([3, 4], Array.from({ length: 12 }, (_, i) => i - 6)));
    const io = bufferIO();
    expect(await runCheck([save('relu2.onnx', reluModel()), '--input', `x=${xFile}`], io)).toBe(0);
    expect(io.stdout.join('\n')).toContain('x float32[3,4] from file');
    const dims = bufferIO();
    expect(await runCheck([save('relu3.onnx', reluModel()), '--dim', 'N=5'], dims)).toBe(0);
    expect(dims.stdout.join('\n')).toMatch(/^y\s+float32\s+\[5,4\]/m);
  });

  it('falls back to the float64 reference when onnxruntime cannot run the model, and says so', async () => {
    const bf16 = modelBytes({
      inputs: [{ name: 'x', dtype: 'bfloat16', dims: [2, 3] }],
      outputs: [{ name: 'y', dtype: 'bfloat16', dims: [2, 3] }],
      nodes: [{ opType: 'Relu', name: 'relu', input: ['x'], output: ['y'] }],
    });
    const io = bufferIO();
    const code = await runCheck([save('bf16.onnx', bf16)], io);
    const text = io.stdout.join('\n');
    expect(text).toContain('oracle: kiln float64 reference interpreter (fallback: onnxruntime-node has no bfloat16 tensors');
    expect(text).toMatch(/^y\s+bfloat16\s+\[2,3\].*PASS$/m);
    expect(code).toBe(0);
  });

  it('falls back to the reference for BatchNormalization-6, which onnxruntime has no kernel for', async () => {
    const io = bufferIO();
    expect(await runCheck([save('bn6.onnx', batchNorm6Model())], io)).toBe(0);
    const text = io.stdout.join('\n');
    expect(text).toMatch(/oracle: kiln float64 reference interpreter \(fallback: onnxruntime-node cannot load the model: .*BatchNormalization/);
    expect(text).toMatch(/^y\s+float32\s+\[2,3,2,2\].*PASS$/m);
  });

  it('--bisect reports no divergence on a good model, after comparing every node output', async () => {
    const io = bufferIO();
    expect(await runCheck([save('mulrelu.onnx', mulReluModel()), '--bisect'], io)).toBe(0);
    const text = io.stdout.join('\n');
    expect(text).toMatch(/bisect: 2 intermediate value\(s\) compared in topological order against onnxruntime-node \S+ \(graph optimizations off\)/);
    expect(text).toContain('bisect: no divergence');
  });

  it('fails (exit 1) where onnxruntime loses accuracy, names the node, and the reference arbitrates', async () => {
    // Inputs offset by 1e4 with tiny variances: onnxruntime's x·a + (B − mean·a) loses ~1e-2 (DESIGN.md §7).
    const model = save('bn-offset.onnx', batchNormModel([1e4, 1e4 + 0.5, 1e4 + 1], [0.01, 0.02, 0.005]));
    const xFile = join(root, 'x-offset.pb');
    writeTensorFile(xFile, 'x', f32([2, 3, 4, 4], Array.from({ length: 96 }, (_, i) => 1e4 + ((i * 37) % 11) / 7)));
    const io = bufferIO();
    expect(await runCheck([model, '--input', `x=${xFile}`, '--bisect'], io)).toBe(1);
    const text = io.stdout.join('\n');
    expect(text).toMatch(/^y\s+float32\s+\[2,3,4,4\].*FAIL$/m);
    expect(text).toContain('1 of 1 output(s) FAIL');
    expect(text).toMatch(/arbiter: 'y' against the float64 reference: .*\(kiln matches it, onnxruntime does not\)/);
    expect(text).toContain("bisect: first divergence at BatchNormalization node 'bn', output 'y'");
  });

  it('bisect names the first diverging node when kiln runs a modified model', async () => {
    // onnxruntime runs the file (w = [2, -1, 0.5]); kiln runs the same graph with w changed, so the
    // Mul diverges first and the Relu after it must not be reported.
    const bytes = mulReluModel();
    const { graph } = importModel(mulReluModel([2, -1, 0.75]));
    const x = f32([2, 3], [1, 2, 3, -1, -2, -3]);
    const r = await bisect({ path: 'mulrelu.onnx', bytes, graph }, { x }, { backend: 'cpu' }, 'onnxruntime');
    expect(r.oracle).toMatch(/^onnxruntime-node/);
    expect(r.divergence?.probe).toEqual({ opType: 'Mul', nodeName: 'scale_mul', valueName: 'h' });
    expect(r.divergence?.comparison.maxAbsErr).toBeCloseTo(0.75, 6);
    const same = await bisect({ path: 'mulrelu.onnx', bytes, graph: importModel(bytes).graph }, { x }, { backend: 'cpu' }, 'reference');
    expect(same).toMatchObject({ compared: 2, oracle: 'kiln float64 reference interpreter' });
    expect(same.divergence).toBeUndefined();
  });

  it('reports user mistakes as typed errors', async () => {
    const model = save('relu4.onnx', reluModel());
    await expect(runCheck([join(root, 'missing.onnx')], bufferIO())).rejects.toThrow(FileError);
    await expect(runCheck([model, '--input', 'x.pb'], bufferIO())).rejects.toThrow(UsageError);
    await expect(runCheck([model, '--input', `nope=${join(root, 'x.pb')}`], bufferIO())).rejects.toThrow(FeedError);
    await expect(runCheck([model, '--input', `nope=${join(root, 'x.pb')}`], bufferIO())).rejects.toThrow("its inputs are 'x'");
    const junk = save('junk.pb', new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]));
    await expect(runCheck([model, '--input', `x=${junk}`], bufferIO())).rejects.toThrow(OnnxImportError);
    await expect(runCheck([model, '--seed', 'x'], bufferIO())).rejects.toThrow(UsageError);
  });
});
