// `kiln compile`: the compiled model is standard ONNX that onnxruntime-node runs, and it computes what
// onnxruntime-node computes on the unoptimized model (seeded random inputs, rtol 1e-4, atol 1e-5), for
// the fixture CNNs and hand-built graphs around BatchNormalization folds, including the guards that
// must stop a fold (a producer output with two users, training mode). Plus the summary and flags.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareTensors } from '../../cli/compare.js';
import { COMPILE_USAGE, defaultDomainOpset, runCompile } from '../../cli/commands/compile.js';
import { FileError, UsageError } from '../../cli/errors.js';
import { completeFeeds } from '../../cli/feeds.js';
import { bufferIO, type BufferIO } from '../../cli/io.js';
import { runOnnxruntime } from '../../cli/ort-oracle.js';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import { decodeModel, exportModel, importModel, KILN_DOMAIN } from '../../compiler/onnx/index.js';
import { toSafeInt, type OnnxTypes } from '../../compiler/onnx/proto.js';
import type { HostTensor } from '../../core/tensor.js';
import { runReference } from '../../runtime/reference.js';
import { bnAfterAdd, convBnRelu, gemmBn, producerWithTwoUsers, trainingModeBn } from './bn-models.js';
import { batchNorm6Model } from './onnx-models.js';

const root = mkdtempSync(join(tmpdir(), 'kiln-cli-compile-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'models');
const TOLERANCE = { rtol: 1e-4, atol: 1e-5 };

function save(name: string, bytes: Uint8Array): string {
  const p = join(root, name);
  writeFileSync(p, bytes);
  return p;
}

interface Compiled {
  readonly io: BufferIO;
  readonly path: string;
  readonly model: OnnxTypes.IModelProto;
  readonly text: string;
}

function compile(input: string, extra: readonly string[] = []): Compiled {
  const path = join(root, `${input.split('/').pop() ?? 'model'}.${extra.join('_').replace(/[^a-z0-9_]/gi, '')}.compiled.onnx`);
  const io = bufferIO();
  expect(runCompile([input, '-o', path, ...extra], io)).toBe(0);
  return { io, path, model: decodeModel(readFileSync(path)), text: io.stdout.join('\n') };
}

function ops(model: OnnxTypes.IModelProto): string[] {
  return (model.graph?.node ?? []).map((n) => n.opType ?? '');
}

function initializer(model: OnnxTypes.IModelProto, name: string): OnnxTypes.ITensorProto | undefined {
  return (model.graph?.initializer ?? []).find((t) => t.name === name);
}

/**
 * onnxruntime-node on the compiled model against onnxruntime-node on the original one (graph
 * optimizations off for both, so neither side's numbers come from onnxruntime's own BN folding).
 */
async function expectSameOutputs(original: string, compiled: string, dims: ReadonlyMap<string, number> = new Map(), seed = 7): Promise<void> {
  const graph = importModel(readFileSync(original)).graph;
  const { feeds } = completeFeeds(graph, {}, dims, seed);
  const expected = await runOnnxruntime(original, feeds, { optimization: 'disabled' });
  const actual = await runOnnxruntime(compiled, feeds, { optimization: 'disabled' });
  if (!expected.ok) throw new Error(`onnxruntime on the original: ${expected.reason}`);
  if (!actual.ok) throw new Error(`onnxruntime on the compiled model: ${actual.reason}`);
  for (const v of graph.outputs) {
    const e = expected.outputs[v.name];
    const a: HostTensor | undefined = actual.outputs[v.name];
    expect(a, `output '${v.name}'`).toBeDefined();
    if (a === undefined) continue;
    const c = compareTensors(a, e, TOLERANCE);
    expect(c.pass, `output '${v.name}': max abs err ${c.maxAbsErr}, max rel err ${c.maxRelErr} ${c.detail ?? ''}`).toBe(true);
  }
}

function expectStandardOnnx(model: OnnxTypes.IModelProto): void {
  for (const n of model.graph?.node ?? []) expect(n.domain ?? '', `node '${n.name}' (${n.opType})`).toBe('');
  expect((model.opsetImport ?? []).map((o) => o.domain ?? '')).not.toContain(KILN_DOMAIN);
}

const N2 = new Map([['N', 2]]);

describe('kiln compile: fixture CNNs', () => {
  const names = ['resnet_mini', 'mobilenetv2_mini', 'densenet_mini', 'reshape_dynamic', 'misc_ops'];
  it.each(names)('%s: no BatchNormalization left, same outputs as onnxruntime on the original', async (name) => {
    const input = join(FIXTURES, `${name}.onnx`);
    const c = compile(input);
    expect(ops(c.model)).not.toContain('BatchNormalization');
    expectStandardOnnx(c.model);
    // The fixtures are opset 13 or 15: compile keeps the input's opset.
    expect(defaultDomainOpset(c.model)).toBe(defaultDomainOpset(decodeModel(readFileSync(input))));
    expect(c.text).toMatch(/^BatchNormalization nodes folded: (\d+) of \1 /m);
    expect(c.text).toMatch(/ 0 left$/m);
    await expectSameOutputs(input, c.path, N2);
    await expectSameOutputs(input, c.path, new Map([['N', 1]]), 11);
  });
});

describe('kiln compile: hand-built graphs', () => {
  it('Conv → BN → Relu: the BN folds into the Conv', async () => {
    const input = save('conv_bn_relu.onnx', convBnRelu());
    const c = compile(input);
    expect(ops(c.model)).toEqual(['Conv', 'Relu']);
    expect(c.text).toContain('BatchNormalization nodes folded: 1 of 1 (foldBatchNormIntoProducer 1); 0 left');
    await expectSameOutputs(input, c.path, N2);
  });

  it('Gemm → BN: the BN folds into the Gemm', async () => {
    const input = save('gemm_bn.onnx', gemmBn());
    const c = compile(input);
    expect(ops(c.model)).toEqual(['Gemm']);
    await expectSameOutputs(input, c.path, new Map([['N', 3]]));
  });

  it('Add → BN → Relu: no producer to fold into, so the BN becomes Sub/Mul/Add', async () => {
    const input = save('add_bn_relu.onnx', bnAfterAdd('relu'));
    const c = compile(input);
    expect(ops(c.model)).toEqual(['Add', 'Sub', 'Mul', 'Add', 'Relu']);
    expect(c.text).toContain('BatchNormalization nodes folded: 1 of 1 (batchNormToScaleShift 1); 0 left');
    await expectSameOutputs(input, c.path, N2);
  });

  it('Add → BN → unpadded Conv: the BN folds forward into the Conv', async () => {
    const input = save('add_bn_conv.onnx', bnAfterAdd('conv'));
    const c = compile(input);
    expect(ops(c.model)).toEqual(['Add', 'Conv']);
    expect(c.text).toContain('(foldBatchNormIntoConsumer 1)');
    await expectSameOutputs(input, c.path, N2);
  });

  it('a BN whose producer output has two users does not fold into the producer', async () => {
    const input = save('two_users.onnx', producerWithTwoUsers());
    const c = compile(input);
    expect(c.text).toMatch(/^ {2}foldBatchNormIntoProducer 'bn': Conv 'conv' output has 2 uses/m);
    // The Conv keeps its own weights (the Relu needs the unnormalized output); the BN is applied after it.
    expect(ops(c.model).filter((o) => o === 'Conv')).toHaveLength(1);
    const conv = (c.model.graph?.node ?? []).find((n) => n.opType === 'Conv');
    expect(conv?.input?.[1]).toBe('conv_W');
    const original = decodeModel(readFileSync(input));
    expect(initializer(c.model, 'conv_W')?.rawData).toEqual(initializer(original, 'conv_W')?.rawData);
    expect(ops(c.model)).toEqual(expect.arrayContaining(['Sub', 'Mul', 'Add', 'Relu']));
    await expectSameOutputs(input, c.path, N2);
  });

  it('a training-mode BN does not fold, and keeps its running-statistics outputs', async () => {
    const input = save('training_bn.onnx', trainingModeBn());
    const c = compile(input);
    expect(ops(c.model)).toEqual(['Conv', 'BatchNormalization']);
    const bn = (c.model.graph?.node ?? []).find((n) => n.opType === 'BatchNormalization');
    expect(toSafeInt(bn?.attribute?.find((a) => a.name === 'training_mode')?.i ?? 0, 'training_mode')).toBe(1);
    expect(bn?.output).toEqual(['y', 'running_mean', 'running_var']);
    expect(c.text).toContain('BatchNormalization nodes folded: 0 of 1; 1 left');
    expect(c.text).toMatch(/foldBatchNormIntoProducer 'bn': .*training_mode/);
    await expectSameOutputs(input, c.path);
  });
});

describe('kiln compile: flags and summary', () => {
  it('prints nodes before → after by op type and the passes that ran', () => {
    const c = compile(save('summary.onnx', convBnRelu()));
    expect(c.text).toMatch(/^compiled .*summary\.onnx -> .*\.compiled\.onnx$/m);
    expect(c.text).toMatch(/^input: {2}opset 15, 3 ONNX nodes, graph 'test'$/m);
    expect(c.text).toMatch(/^output: opset 15, 2 ONNX nodes, /m);
    expect(c.text).toContain('passes (inference): foldConstants, foldBatchNormIntoProducer, foldBatchNormIntoConsumer, batchNormToScaleShift, foldConstants, eliminateDeadCode');
    expect(c.text).toContain('nodes (kiln IR) 3 -> 2:');
    expect(c.text).toMatch(/^BatchNormalization\s+1\s+0$/m);
    expect(c.text).toMatch(/^Conv\s+1\s+1$/m);
    expect(c.text).toMatch(/^total\s+3\s+2$/m);
    expect(c.text).toContain('skipped rewrites: none');
    expect(c.io.stdout.length).toBeLessThanOrEqual(40);
  });

  it('--training runs only the passes valid for training graphs: no BN is folded', async () => {
    const input = save('train_flag.onnx', convBnRelu());
    const c = compile(input, ['--training']);
    expect(ops(c.model)).toEqual(['Conv', 'BatchNormalization', 'Relu']);
    expect(c.text).toContain('passes (training: 3 inference-only passes left out): foldConstants, foldConstants, eliminateDeadCode');
    expect(c.text).toContain('BatchNormalization nodes folded: 0 of 1; 1 left');
    await expectSameOutputs(input, c.path, N2);
  });

  it('--opset N writes that opset', async () => {
    const input = save('opset.onnx', convBnRelu());
    for (const opset of [9, 14, 21]) {
      const c = compile(input, ['--opset', String(opset)]);
      expect(defaultDomainOpset(c.model)).toBe(opset);
      await expectSameOutputs(input, c.path, N2);
    }
  });

  it('an input older than opset 9 is written at opset 15', async () => {
    const input = save('bn6.onnx', batchNorm6Model());
    const c = compile(input);
    expect(defaultDomainOpset(c.model)).toBe(15);
    expect(ops(c.model)).toEqual(['Sub', 'Mul', 'Add']);
    // onnxruntime has no BatchNormalization-6 kernel: compare with kiln's reading of the original instead.
    const graph = importModel(readFileSync(input)).graph;
    const { feeds } = completeFeeds(graph, {}, new Map(), 3);
    const ref = runReference(graph, feeds).outputs;
    const got = await runOnnxruntime(c.path, feeds, { optimization: 'disabled' });
    if (!got.ok) throw new Error(got.reason);
    expect(compareTensors(got.outputs.y, ref.y, TOLERANCE).pass).toBe(true);
  });

  it('kiln\'s own ai.kiln::Moments is written as standard ops that onnxruntime runs', async () => {
    const b = new GraphBuilder('moments');
    const x = b.input('x', 'float32', ['N', 3, 5]);
    const [m, v] = b.node('Moments', [x], { axes: [0, 2], keepdims: 1 }, { name: 'moments', outputs: ['mean', 'variance'] });
    const input = save('moments.onnx', exportModel(b.build([m, v]), { kilnOps: true }));
    expect((decodeModel(readFileSync(input)).graph?.node ?? []).map((n) => n.domain)).toEqual([KILN_DOMAIN]);
    const c = compile(input);
    expectStandardOnnx(c.model);
    const graph = importModel(readFileSync(input)).graph;
    const { feeds } = completeFeeds(graph, {}, N2, 5);
    const ref = runReference(graph, feeds).outputs;
    const got = await runOnnxruntime(c.path, feeds, { optimization: 'disabled' });
    if (!got.ok) throw new Error(got.reason);
    for (const name of ['mean', 'variance']) expect(compareTensors(got.outputs[name], ref[name], TOLERANCE).pass, name).toBe(true);
  });

  it('usage mistakes are UsageErrors; an unreadable input is a FileError', () => {
    const input = save('usage.onnx', convBnRelu());
    expect(() => runCompile([input], bufferIO())).toThrow(UsageError);
    expect(() => runCompile([input], bufferIO())).toThrow(/'-o' expected the path of the compiled model/);
    expect(() => runCompile([input, '-o', join(root, 'x.onnx'), '--opset', '6'], bufferIO())).toThrow(/--opset' expected an integer in \[7, 21\], got '6'/);
    expect(() => runCompile([input, '-o', join(root, 'x.onnx'), '--fast'], bufferIO())).toThrow(UsageError);
    expect(() => runCompile([join(root, 'missing.onnx'), '-o', join(root, 'x.onnx')], bufferIO())).toThrow(FileError);
    expect(COMPILE_USAGE).toBe('kiln compile in.onnx -o out.onnx [--opset N] [--training]');
  });
});
