// `kiln conformance`: ONNX backend-test case folders, one line per case, the final count line, the
// exit code, the JSON report and the progress bar (terminal only).

import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostTensor } from '../../core/tensor.js';
import { runConformance, type ConformanceReport } from '../../cli/commands/conformance.js';
import { FileError } from '../../cli/errors.js';
import { bufferIO } from '../../cli/io.js';
import { runOnnxruntime } from '../../cli/ort-oracle.js';
import { f32, mulReluModel, reluModel, writeCase } from './onnx-models.js';

const root = mkdtempSync(join(tmpdir(), 'kiln-cli-conformance-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Expected outputs come from onnxruntime, never typed in by hand (DESIGN.md §8). */
async function expected(model: Uint8Array, feeds: Record<string, HostTensor>): Promise<HostTensor> {
  const r = await runOnnxruntime(model, feeds, { optimization: 'all' });
  if (!r.ok) throw new Error(r.reason);
  return r.outputs.y;
}

describe('kiln conformance', () => {
  const suite = join(root, 'suite');
  beforeAll(async () => {
    const x = f32([2, 4], [1, -2, 3, -4, 0.5, -0.5, 7, -7]);
    writeCase(join(suite, 'test_relu'), reluModel(), [x], [await expected(reluModel(), { x })]);
    const x2 = f32([2, 3], [1, 2, 3, -1, -2, -3]);
    const good = await expected(mulReluModel(), { x: x2 });
    const wrong = f32([2, 3], Array.from(good.data as Float32Array, (v, i) => (i === 2 ? v + 0.01 : v)));
    writeCase(join(suite, 'test_mul_relu_wrong'), mulReluModel(), [x2], [wrong]);
  });

  it('prints PASS and FAIL lines, the final count, and exits non-zero on a failure', () => {
    const io = bufferIO();
    expect(runConformance([suite], io)).toBe(1);
    // Cases run in name order.
    expect(io.stdout[1]).toBe('PASS test_relu');
    expect(io.stdout[0]).toMatch(/^FAIL test_mul_relu_wrong: output 'y' max abs err 1\.00e-2, max rel err \S+ \(test_data_set_0\)$/);
    expect(io.stdout.at(-1)).toBe('1 passed, 1 failed');
    expect(io.stdout).toHaveLength(3);
    expect(io.statuses).toEqual([]);
  });

  it('exits 0 when every case passes', () => {
    const io = bufferIO();
    expect(runConformance([join(suite, 'test_relu')], io)).toBe(0);
    expect(io.stdout).toEqual(['PASS test_relu', '1 passed, 0 failed']);
  });

  it('reports a broken case as ERROR with its typed error and keeps going', () => {
    const dir = join(root, 'broken');
    mkdirSync(join(dir, 'test_bad_model', 'test_data_set_0'), { recursive: true });
    writeFileSync(join(dir, 'test_bad_model', 'model.onnx'), 'not a model');
    writeCase(join(dir, 'test_relu'), reluModel(), [f32([1, 4], [1, 2, 3, 4])], [f32([1, 4], [1, 2, 3, 4])]);
    const io = bufferIO();
    expect(runConformance([dir], io)).toBe(1);
    expect(io.stdout[0]).toMatch(/^ERROR test_bad_model: OnnxImportError: /);
    expect(io.stdout.slice(1)).toEqual(['PASS test_relu', '1 passed, 1 failed']);
  });

  it('writes the JSON report', () => {
    const json = join(root, 'report.json');
    runConformance([suite, '--json', json], bufferIO());
    const report = JSON.parse(readFileSync(json, 'utf8')) as ConformanceReport;
    expect(report.passed).toBe(1);
    expect(report.failed).toBe(1);
    expect(report.cases.map((c) => [c.name, c.status])).toEqual([['test_mul_relu_wrong', 'fail'], ['test_relu', 'pass']]);
    const [out] = report.cases[0].outputs;
    expect(out.name).toBe('y');
    expect(out.pass).toBe(false);
    expect(out.maxAbsErr).toBeCloseTo(0.01, 5);
    expect(report.cases[1].outputs[0]).toMatchObject({ name: 'y', maxAbsErr: 0, maxRelErr: 0, pass: true });
  });

  it('draws a progress bar on the status line only in a terminal, and clears it', () => {
    const io = bufferIO(true);
    runConformance([suite], io);
    expect(io.statuses.some((s) => /^\[[#-]+\] \d\/2 /.test(s))).toBe(true);
    expect(io.statuses.at(-1)).toBe('');
    expect(io.stdout.at(-1)).toBe('1 passed, 1 failed');
  });

  it('refuses folders without cases', () => {
    const empty = join(root, 'empty');
    mkdirSync(empty);
    expect(() => runConformance([empty], bufferIO())).toThrow(FileError);
    expect(() => runConformance([join(root, 'missing')], bufferIO())).toThrow(FileError);
  });
});
