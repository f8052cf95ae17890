// `kiln inspect`: the IR after import and after each pipeline pass ("(no change)" where a pass left the
// graph as it was, the guards' skip reasons under their pass), then the kernel plan of the optimized
// graph: one line per kernel, totals, bytes moved and peak activation memory.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { INSPECT_USAGE, runInspect } from '../../cli/commands/inspect.js';
import { FileError, UsageError } from '../../cli/errors.js';
import { bufferIO } from '../../cli/io.js';
import { PIPELINE } from '../../compiler/pipeline.js';
import { convBnRelu, producerWithTwoUsers, trainingModeBn } from './bn-models.js';

const root = mkdtempSync(join(tmpdir(), 'kiln-cli-inspect-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'models');

function save(name: string, bytes: Uint8Array): string {
  const p = join(root, name);
  writeFileSync(p, bytes);
  return p;
}

function inspect(args: readonly string[]): string {
  const io = bufferIO();
  expect(runInspect(args, io)).toBe(0);
  return io.stdout.join('\n');
}

/** The text of each `== ... ==` section, by its header. */
function sections(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let header = '';
  for (const line of text.split('\n')) {
    const m = /^== (.*) ==$/.exec(line);
    if (m !== null) {
      header = m[1];
      out.set(header, '');
    } else if (header !== '') out.set(header, `${out.get(header) ?? ''}${line}\n`);
  }
  return out;
}

function section(all: Map<string, string>, start: string): string {
  const key = [...all.keys()].find((k) => k.startsWith(start));
  if (key === undefined) throw new Error(`no section '${start}' in [${[...all.keys()].join(' | ')}]`);
  return all.get(key) ?? '';
}

describe('kiln inspect', () => {
  it('Conv → BN → Relu: the BN is gone after the fold pass, and the plan is one kernel', () => {
    const text = inspect([save('cbr.onnx', convBnRelu())]);
    const s = sections(text);
    expect(text).toMatch(/^model: .*cbr\.onnx \(graph 'test', 3 nodes; inference pipeline of 6 passes: 3 -> 2 nodes\)$/m);
    const imported = section(s, 'IR after import');
    expect(imported).toMatch(/^graph test\(%0:f32\[N,3,8,8\] 'x'\)$/m);
    expect(imported).toMatch(/= BatchNormalization\[epsilon=1e-05, momentum=0\.9.*# bn$/m);
    expect(section(s, 'pass 1/6: foldConstants')).toBe('(no change)\n\n');
    const folded = section(s, 'pass 2/6: foldBatchNormIntoProducer');
    expect(folded).not.toContain('BatchNormalization');
    expect(folded).toMatch(/= Conv\[.*# conv$/m);
    expect(folded).toMatch(/= Relu %\d+ {2}# relu$/m);
    // One header per pipeline pass, in order.
    const passHeaders = [...s.keys()].filter((k) => k.startsWith('pass '));
    expect(passHeaders.map((k) => k.replace(/^pass \d+\/\d+: (\w+).*$/, '$1'))).toEqual(PIPELINE.map((p) => p.name));
    expect(section(s, 'pass 6/6: eliminateDeadCode')).toMatch(/^graph test/);

    expect(s.has("kernel plan of the optimized graph for 'x' [1,3,8,8]")).toBe(true);
    const plan = section(s, 'kernel plan');
    expect(plan).toMatch(/^ *0 {2}conv2d\+epilogue {2}conv\+relu {2}\[1,4,8,8\] +\d+(\.\d)? KB$/m);
    expect(plan).toMatch(/^kernels: 1$/m);
    expect(plan).toMatch(/^kernels over the data: 1 \(touching more than 4 elements/m);
    expect(plan).toMatch(/^bytes moved: \d+(\.\d)? KB/m);
    // Input [1,3,8,8] and output [1,4,8,8] in float32: 768 + 1024 bytes, nothing to share.
    expect(plan).toMatch(/^peak activation memory: 1\.8 KB = 0 B arenas \+ 1\.8 KB inputs and outputs \(unshared: 1\.8 KB\); constants resident: \d+ B$/m);
  });

  it('--dim binds symbolic dims for the plan; --plan and --passes pick one section', () => {
    const path = save('cbr_dims.onnx', convBnRelu());
    const planOnly = inspect([path, '--plan', '--dim', 'N=3']);
    expect(planOnly).toContain("== kernel plan of the optimized graph for 'x' [3,3,8,8] ==");
    expect(planOnly).toMatch(/conv\+relu {2}\[3,4,8,8\]/);
    expect(planOnly).not.toContain('IR after import');
    const passesOnly = inspect([path, '--passes', '--dim=N=2']);
    expect(passesOnly).toContain('== IR after import (3 nodes) ==');
    expect(passesOnly).not.toContain('kernel plan');
    const both = inspect([path, '--passes', '--plan']);
    expect(both).toContain('IR after import');
    expect(both).toContain('kernel plan');
  });

  it('lists the rewrites a guard stopped under their pass', () => {
    const text = inspect([save('two_users.onnx', producerWithTwoUsers()), '--passes']);
    const s = sections(text);
    expect(section(s, 'pass 2/6: foldBatchNormIntoProducer')).toMatch(/^\(no change\)\nskipped 'bn': Conv 'conv' output has 2 uses/);
    const scaleShift = section(s, 'pass 4/6: batchNormToScaleShift');
    expect(scaleShift).toMatch(/= Sub %\d+ %\d+ {2}# bn_sub$/m);
    expect(scaleShift).not.toContain('BatchNormalization');
  });

  it('a training-mode BN stays; its plan reports the moments routine with both statistics', () => {
    const text = inspect([save('training.onnx', trainingModeBn())]);
    const s = sections(text);
    expect(section(s, 'IR after import')).toMatch(/= BatchNormalization\[.*training_mode=1\].*# bn$/m);
    // No pass changes the graph: the folds stop at training_mode = 1 and say so.
    for (const [header, body] of s) if (header.startsWith('pass ')) expect(body).toMatch(/^\(no change\)/);
    expect(section(s, 'pass 2/6: foldBatchNormIntoProducer')).toMatch(/^skipped 'bn': .*training_mode/m);
    const plan = section(s, "kernel plan of the optimized graph for 'x' [2,3,5,5]");
    // The statistics routine also writes the per-channel factor and both running statistics ([C] each).
    expect(plan).toMatch(/^ *\d+ {2}moments +bn +\[1,4,1,1\] \[1,4,1,1\] \[4\] \[4\] \[4\] /m);
    // Conv, moments and the normalization: every kernel runs over the data.
    expect(plan).toMatch(/^kernels: 3$/m);
    expect(plan).toMatch(/^kernels over the data: 3 /m);
  });

  it.each(['resnet_mini', 'densenet_mini', 'reshape_dynamic'])('%s: runs and reports peak memory', (name) => {
    const text = inspect([join(FIXTURES, `${name}.onnx`), '--dim', 'N=2']);
    const s = sections(text);
    expect(section(s, 'IR after import')).toMatch(/ = BatchNormalization\[/);
    expect(section(s, 'pass 6/6: eliminateDeadCode')).not.toMatch(/ = BatchNormalization\[/);
    const plan = section(s, "kernel plan of the optimized graph for 'input' [2,3,32,32]");
    const kernels = Number(/^kernels: (\d+)$/m.exec(plan)?.[1]);
    const rows = plan.split('\n').filter((l) => /^ *\d+ {2}\S/.test(l));
    expect(rows).toHaveLength(kernels);
    expect(plan).toMatch(/^peak activation memory: \d+(\.\d)? (B|KB|MB) = \d+(\.\d)? (B|KB|MB) arenas \+ \d+(\.\d)? (B|KB|MB) inputs and outputs \(unshared: \d+(\.\d)? (B|KB|MB)\)/m);
    expect(plan).toMatch(/^bytes moved: \d+(\.\d)? (KB|MB)/m);
  });

  it('usage mistakes are UsageErrors; a missing file is a FileError', () => {
    const path = save('usage.onnx', convBnRelu());
    expect(() => runInspect([path, '--dim', 'M=2'], bufferIO())).toThrow(UsageError);
    expect(() => runInspect([path, '--dim', 'M=2'], bufferIO())).toThrow(/--dim M' expected a symbolic input dimension \(the model's: 'N'\), got 'M'/);
    expect(() => runInspect([path, '--dim', 'N'], bufferIO())).toThrow(UsageError);
    expect(() => runInspect([path, '--kernels'], bufferIO())).toThrow(UsageError);
    expect(() => runInspect([], bufferIO())).toThrow(UsageError);
    expect(() => runInspect([join(root, 'missing.onnx')], bufferIO())).toThrow(FileError);
    expect(INSPECT_USAGE).toBe('kiln inspect model.onnx [--dim name=size ...] [--passes] [--plan]');
  });
});
