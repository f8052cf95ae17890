// Tensor files, case discovery, random feeds and the progress bar.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import { OnnxImportError } from '../../core/errors.js';
import { hostTensor } from '../../core/tensor.js';
import { dataSetsOf, findCases } from '../../cli/conformance-cases.js';
import { FileError, UsageError } from '../../cli/errors.js';
import { completeFeeds, readDimFlags } from '../../cli/feeds.js';
import { bufferIO } from '../../cli/io.js';
import { ProgressBar } from '../../cli/progress.js';
import { readTensorFile, writeTensorFile } from '../../cli/tensor-files.js';
import { f32, reluModel, writeCase } from './onnx-models.js';

const root = mkdtempSync(join(tmpdir(), 'kiln-cli-files-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('tensor files', () => {
  it('round-trips a TensorProto with its name', () => {
    const file = join(root, 't.pb');
    const t = hostTensor('int64', [2, 2], BigInt64Array.from([1n, -2n, 3n, 2n ** 40n]));
    writeTensorFile(file, 'idx', t);
    const back = readTensorFile(file);
    expect(back.name).toBe('idx');
    expect(back.tensor.dtype).toBe('int64');
    expect(back.tensor.dims).toEqual([2, 2]);
    expect(Array.from(back.tensor.data as BigInt64Array)).toEqual([1n, -2n, 3n, 2n ** 40n]);
  });

  it('reports missing and unreadable files as typed errors', () => {
    expect(() => readTensorFile(join(root, 'missing.pb'))).toThrow(FileError);
    const junk = join(root, 'junk.pb');
    writeFileSync(junk, new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]));
    expect(() => readTensorFile(junk)).toThrow(OnnxImportError);
    const text = join(root, 'text.pb');
    writeFileSync(text, 'hello, this is not a tensor');
    expect(() => readTensorFile(text)).toThrow(/text\.pb/);
  });
});

describe('findCases', () => {
  it('finds case folders recursively, sorted, and reads data sets in numeric order', () => {
    const suite = join(root, 'suite');
    writeCase(join(suite, 'b_case'), reluModel(), [f32([1, 4], [1, 2, 3, 4])], [f32([1, 4], [1, 2, 3, 4])]);
    writeCase(join(suite, 'nested', 'a_case'), reluModel(), [], []);
    mkdirSync(join(suite, 'empty'));
    mkdirSync(join(suite, 'b_case', 'test_data_set_10'));
    mkdirSync(join(suite, 'b_case', 'test_data_set_2'));
    expect(findCases(suite).map((c) => c.name)).toEqual(['b_case', 'nested/a_case']);
    expect(findCases(join(suite, 'b_case')).map((c) => c.name)).toEqual(['b_case']);
    const sets = dataSetsOf(join(suite, 'b_case'));
    expect(sets.map((s) => s.name)).toEqual(['test_data_set_0', 'test_data_set_2', 'test_data_set_10']);
    expect(sets[0].inputs.map((f) => f.slice(-10))).toEqual(['input_0.pb']);
    expect(() => findCases(join(root, 'nowhere'))).toThrow(FileError);
  });

  it('refuses a gap in the numbered files', () => {
    const dir = join(root, 'gap');
    mkdirSync(join(dir, 'test_data_set_0'), { recursive: true });
    writeFileSync(join(dir, 'test_data_set_0', 'input_1.pb'), '');
    expect(() => dataSetsOf(dir)).toThrow(/input_0\.pb is missing/);
  });
});

describe('completeFeeds', () => {
  const b = new GraphBuilder('g');
  const x = b.input('x', 'float32', ['N', 3]);
  const i = b.input('i', 'int64', ['N']);
  const g = b.build([b.op('Relu', [x]), b.op('Identity', [i])]);

  it('binds symbols to 1 by default, draws seeded floats in [-1, 1) and small ints', () => {
    const a = completeFeeds(g, {}, new Map(), 5);
    expect(a.feeds.x.dims).toEqual([1, 3]);
    expect(a.described).toEqual(['x float32[1,3] random', 'i int64[1] random']);
    const xs = Array.from(a.feeds.x.data as Float32Array);
    expect(xs.every((v) => v >= -1 && v < 1)).toBe(true);
    const again = completeFeeds(g, {}, new Map(), 5);
    expect(Array.from(again.feeds.x.data as Float32Array)).toEqual(xs);
    const other = completeFeeds(g, {}, new Map(), 6);
    expect(Array.from(other.feeds.x.data as Float32Array)).not.toEqual(xs);
    const big = completeFeeds(g, {}, readDimFlags('check', ['N=50']), 5);
    expect((Array.from(big.feeds.i.data as BigInt64Array)).every((v) => v >= 0n && v < 4n)).toBe(true);
  });

  it('binds symbols from given inputs and keeps the other inputs unchanged', () => {
    const given = { x: f32([2, 3], [1, 2, 3, 4, 5, 6]) };
    const r = completeFeeds(g, given, new Map(), 5);
    expect(r.feeds.x).toBe(given.x);
    expect(r.feeds.i.dims).toEqual([2]);
    expect(r.described[0]).toBe('x float32[2,3] from file');
  });

  it('rejects bad --dim values', () => {
    expect(() => readDimFlags('check', ['N=-1'])).toThrow(UsageError);
    expect(() => readDimFlags('check', ['N'])).toThrow(UsageError);
  });
});

describe('ProgressBar', () => {
  it('draws on the status line only when interactive and clears before result lines', () => {
    const tty = bufferIO(true);
    const bar = new ProgressBar(tty, 2);
    bar.step('a');
    bar.print('PASS a');
    bar.tick();
    bar.clear();
    expect(tty.stdout).toEqual(['PASS a']);
    expect(tty.statuses[0]).toMatch(/^\[-+\] 0\/2 a$/);
    expect(tty.statuses).toContain('');
    expect(tty.statuses.at(-1)).toBe('');
    const pipe = bufferIO(false);
    const quiet = new ProgressBar(pipe, 2);
    quiet.step('a');
    quiet.print('PASS a');
    quiet.clear();
    expect(pipe.statuses).toEqual([]);
    expect(pipe.stdout).toEqual(['PASS a']);
  });
});
