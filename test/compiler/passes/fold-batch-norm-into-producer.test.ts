// foldBatchNormIntoProducer keeps the function on adversarial statistics (large offsets, tiny and
// ε-dominated variances, negative scales) for Conv (plain, grouped, depthwise), ConvTranspose, Gemm and
// rank-2 MatMul, removes every folded BatchNormalization, and its guards stop the unsafe folds.

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../compiler/ir/builder.js';
import type { Graph, Value } from '../../../compiler/ir/types.js';
import { eliminateDeadCode } from '../../../compiler/passes/eliminate-dead-code.js';
import { foldBatchNormIntoProducer } from '../../../compiler/passes/fold-batch-norm-into-producer.js';
import type { BatchNormalizationAttrs } from '../../../ops/batch-normalization.js';
import { HostTensor } from '../../../core/tensor.js';
import { runReference } from '../../../runtime/reference.js';
import { randomTensor } from '../../helpers/random.js';
import { adversarialStats, bnInputs, channelTolerance, conditionedTolerance, countOp, expectSameFunction, opsOf, skipLog } from './check-rewrite.js';

type Make = (b: GraphBuilder) => Value;

/** `make` builds the producer (deterministically); the BN gets statistics of its actual output. */
function withBn(make: Make, feeds: Record<string, HostTensor>, attrs: Partial<BatchNormalizationAttrs> = {}): Graph {
  const b0 = new GraphBuilder('pre');
  const pre = make(b0);
  const stats = adversarialStats(runReference(b0.build([pre]), feeds).outputs[pre.name]);
  const b = new GraphBuilder('fold');
  const p = make(b);
  const [y] = b.node('BatchNormalization', [p, ...bnInputs(b, 'bn', stats)], { epsilon: 1e-5, ...attrs }, { name: 'bn', outputs: ['y'] });
  return b.build([y]);
}

function fold(g: Graph): Graph {
  return eliminateDeadCode(foldBatchNormIntoProducer(g));
}

const w = (b: GraphBuilder, name: string, dims: number[], seed: number): Value => b.initializer(name, randomTensor('float32', dims, { seed, low: -0.5, high: 0.5 }));

describe('foldBatchNormIntoProducer: Conv', () => {
  const cases: [string, number[], Make][] = [
    ['with bias', [2, 6, 5, 5], (b) => b.op('Conv', [b.input('x', 'float32', [2, 6, 5, 5]), w(b, 'W', [4, 6, 3, 3], 2), w(b, 'B', [4], 3)], { pads: [1, 1, 1, 1] }, 'conv')],
    ['without bias, strided', [2, 6, 5, 5], (b) => b.op('Conv', [b.input('x', 'float32', [2, 6, 5, 5]), w(b, 'W', [5, 6, 3, 3], 4)], { strides: [2, 2] }, 'conv')],
    ['grouped (group=2)', [2, 6, 5, 5], (b) => b.op('Conv', [b.input('x', 'float32', [2, 6, 5, 5]), w(b, 'W', [4, 3, 3, 3], 5), w(b, 'B', [4], 6)], { group: 2, auto_pad: 'SAME_UPPER' }, 'conv')],
    ['depthwise (group=C)', [2, 6, 5, 5], (b) => b.op('Conv', [b.input('x', 'float32', [2, 6, 5, 5]), w(b, 'W', [6, 1, 3, 3], 7), w(b, 'B', [6], 8)], { group: 6, pads: [1, 1, 1, 1] }, 'conv')],
    ['1-D, symbolic batch', [2, 6, 25], (b) => b.op('Conv', [b.input('x', 'float32', ['N', 6, 25]), w(b, 'W', [4, 6, 3], 9)], {}, 'conv')],
  ];
  it.each(cases)('%s: folds and keeps the function (x ~ N(0,1): rtol 1e-4 per channel)', (_, dims, make) => {
    const f = { x: randomTensor('float32', dims, { seed: 1 }) };
    const before = withBn(make, f);
    const after = fold(before);
    expect(opsOf(after)).toEqual(['Conv']);
    expect(after.nodes[0].name).toBe('conv');
    expect(after.initializers.size).toBe(2);
    expectSameFunction(before, after, f);
  });
  it.each(cases)('%s: x ~ 1e4 + noise, within the rounding bound of the folded conv', (_, dims, make) => {
    // The offset is in the conv input: every float32 conv (folded or not) rounds ~1e4-sized sums.
    const f = { x: randomTensor('float32', dims, { seed: 1, offset: 1e4 }) };
    const before = withBn(make, f);
    const after = fold(before);
    expect(opsOf(after)).toEqual(['Conv']);
    expectSameFunction(before, after, f, conditionedTolerance(after, f));
  });

  it('a bias offset of 1e4 folds exactly: more accurate than the unfused graph', () => {
    // Conv bias 1e4 + mean 1e4: B' = (B − mean)·a + β in float64 keeps the offset's cancellation exact,
    // while the unfused graph first rounds ~1e4 conv outputs to float32 (what onnxruntime's form loses).
    const make: Make = (b) => b.op('Conv', [b.input('x', 'float32', [2, 6, 5, 5]), w(b, 'W', [4, 6, 1, 1], 10), b.initializer('B', randomTensor('float32', [4], { seed: 11, offset: 1e4 }))], {}, 'conv');
    const f = { x: randomTensor('float32', [2, 6, 5, 5], { seed: 12 }) };
    const before = withBn(make, f);
    const after = fold(before);
    const r = expectSameFunction(before, after, f);
    expect(r.afterError[0]).toBeLessThan(r.beforeError[0] / 10);
  });
});

describe('foldBatchNormIntoProducer: ConvTranspose, Gemm, MatMul', () => {
  it.each([0, 1e4])('ConvTranspose, grouped (W [C_in, M/g, k, k] scaled along axis 1 per group), x offset %d', (offset) => {
    const f = { x: randomTensor('float32', [2, 4, 4, 4], { seed: 20, offset }) };
    const make: Make = (b) => b.op('ConvTranspose', [b.input('x', 'float32', [2, 4, 4, 4]), w(b, 'W', [4, 3, 3, 3], 21), w(b, 'B', [6], 22)], { group: 2, strides: [2, 2] }, 'convT');
    const before = withBn(make, f);
    const after = fold(before);
    expect(opsOf(after)).toEqual(['ConvTranspose']);
    expectSameFunction(before, after, f, offset === 0 ? channelTolerance() : conditionedTolerance(after, f));
  });

  const gemmCases: [string, Partial<{ alpha: number; beta: number; transA: number; transB: number }>, number[] | undefined, number][] = [];
  for (const offset of [0, 1e4]) {
    gemmCases.push(
      [`plain, C [N], A offset ${offset}`, {}, [5], offset],
      [`transB, alpha and beta, C [M, N], A offset ${offset}`, { transB: 1, alpha: 0.75, beta: -1.5 }, [3, 5], offset],
      [`transA, C [M, 1], A offset ${offset}`, { transA: 1, beta: 2 }, [3, 1], offset],
      [`no C, A offset ${offset}`, { transB: 1 }, undefined, offset],
    );
  }
  it.each(gemmCases)('Gemm %s', (_, attrs, cDims, offset) => {
    const aDims = attrs.transA ? [4, 3] : [3, 4];
    const bDims = attrs.transB ? [5, 4] : [4, 5];
    const f = { a: randomTensor('float32', aDims, { seed: 30, offset }) };
    const make: Make = (b) => {
      const ins = [b.input('a', 'float32', aDims), w(b, 'Bw', bDims, 31)];
      if (cDims !== undefined) ins.push(b.initializer('C', randomTensor('float32', cDims, { seed: 32, offset: 50 })));
      return b.op('Gemm', ins, attrs, 'gemm');
    };
    const before = withBn(make, f);
    const after = fold(before);
    expect(opsOf(after)).toEqual(['Gemm']);
    expect(after.nodes[0].op === 'Gemm' && after.nodes[0].attrs.beta).toBe(1);
    expectSameFunction(before, after, f, offset === 0 ? channelTolerance() : conditionedTolerance(after, f));
  });

  it.each([0, 1e4])('rank-2 MatMul becomes a Gemm carrying the folded bias, A offset %d', (offset) => {
    const f = { a: randomTensor('float32', [6, 4], { seed: 40, offset }) };
    const make: Make = (b) => b.op('MatMul', [b.input('a', 'float32', ['M', 4]), w(b, 'Bw', [4, 5], 41)], {}, 'mm');
    const before = withBn(make, f);
    const after = fold(before);
    expect(opsOf(after)).toEqual(['Gemm']);
    expect(after.nodes[0].name).toBe('mm');
    expectSameFunction(before, after, f, offset === 0 ? channelTolerance() : conditionedTolerance(after, f));
  });

  it('float64 graphs fold too', () => {
    const f = { x: randomTensor('float64', [1, 3, 4, 4], { seed: 50, offset: 1e4 }) };
    const b = new GraphBuilder();
    const conv = b.op('Conv', [b.input('x', 'float64', [1, 3, 4, 4]), b.initializer('W', randomTensor('float64', [2, 3, 1, 1], { seed: 51 }))], {}, 'conv');
    const stats = adversarialStats(runReference(b.build([conv]), f).outputs[conv.name]);
    const [y] = b.node('BatchNormalization', [conv, ...bnInputs(b, 'bn', stats, 'float64')], {}, { outputs: ['y'] });
    const before = b.build([y]);
    const after = fold(before);
    expect(opsOf(after)).toEqual(['Conv']);
    expectSameFunction(before, after, f, channelTolerance(1e-9, 1e-9));
  });
});

describe('foldBatchNormIntoProducer guards', () => {
  const x = randomTensor('float32', [2, 3, 4, 4], { seed: 60 });
  const conv: Make = (b) => b.op('Conv', [b.input('x', 'float32', [2, 3, 4, 4]), w(b, 'W', [2, 3, 3, 3], 61)], { pads: [1, 1, 1, 1] }, 'conv');

  it('a producer output with other users stays unfolded', () => {
    const b = new GraphBuilder();
    const c = conv(b);
    const [y] = b.node('BatchNormalization', [c, ...bnInputs(b, 'bn', adversarialStats(runReference(withBnPre(conv), { x }).outputs.pre))], {}, { name: 'bn', outputs: ['y'] });
    const r = b.op('Relu', [c], {}, 'relu');
    const g = b.build([y, r]);
    const log = skipLog();
    const after = eliminateDeadCode(foldBatchNormIntoProducer(g, { onSkip: log.onSkip }));
    expect(opsOf(after)).toEqual(['Conv', 'BatchNormalization', 'Relu']);
    expect(log.skips).toEqual([{ pass: 'foldBatchNormIntoProducer', node: 'bn', reason: expect.stringMatching(/output has 2 uses/) }]);
    expectSameFunction(g, after, { x });
  });

  it('a producer output that is also a graph output stays unfolded', () => {
    const b = new GraphBuilder();
    const c = conv(b);
    const [y] = b.node('BatchNormalization', [c, ...bnInputs(b, 'bn', adversarialStats(runReference(withBnPre(conv), { x }).outputs.pre))], {}, { name: 'bn', outputs: ['y'] });
    const after = fold(b.build([y, c]));
    expect(countOp(after, 'BatchNormalization')).toBe(1);
  });

  it('training_mode=1 stays unfolded', () => {
    const b = new GraphBuilder();
    const c = conv(b);
    const stats = adversarialStats(runReference(withBnPre(conv), { x }).outputs.pre);
    const outs = b.node('BatchNormalization', [c, ...bnInputs(b, 'bn', stats)], { training_mode: 1 }, { name: 'bn', outputs: 3 });
    const log = skipLog();
    const g = b.build(outs);
    const after = foldBatchNormIntoProducer(g, { onSkip: log.onSkip });
    expect(countOp(after, 'BatchNormalization')).toBe(1);
    expect(log.skips[0].reason).toMatch(/training_mode=1/);
  });

  it('a rank-3 MatMul stays unfolded: BN axis 1 is not its output channel', () => {
    const b = new GraphBuilder();
    const a = b.input('a', 'float32', [2, 3, 4]);
    const mm = b.op('MatMul', [a, w(b, 'Bw', [4, 5], 70)], {}, 'mm');
    const stats = adversarialStats(runReference(b.build([mm]), { a: randomTensor('float32', [2, 3, 4], { seed: 71 }) }).outputs[mm.name]);
    const [y] = b.node('BatchNormalization', [mm, ...bnInputs(b, 'bn', stats)], {}, { name: 'bn', outputs: ['y'] });
    const log = skipLog();
    const g = b.build([y]);
    const after = eliminateDeadCode(foldBatchNormIntoProducer(g, { onSkip: log.onSkip }));
    expect(opsOf(after)).toEqual(['MatMul', 'BatchNormalization']);
    expect(log.skips[0].reason).toMatch(/rank 3/);
  });

  it('non-constant weights or BN parameters stay unfolded', () => {
    const b = new GraphBuilder();
    const c = b.op('Conv', [b.input('x', 'float32', [2, 3, 4, 4]), b.input('W', 'float32', [2, 3, 1, 1])], {}, 'conv');
    const stats = adversarialStats(runReference(withBnPre(conv), { x }).outputs.pre);
    const [y] = b.node('BatchNormalization', [c, ...bnInputs(b, 'bn', stats)], {}, { name: 'bn', outputs: ['y'] });
    const b2 = new GraphBuilder();
    const d = b2.op('Conv', [b2.input('x', 'float32', [2, 3, 4, 4]), w(b2, 'W', [2, 3, 1, 1], 62)], {}, 'conv');
    const p = bnInputs(b2, 'bn', stats);
    const [y2] = b2.node('BatchNormalization', [d, p[0], p[1], b2.input('mean', 'float32', [2]), p[3]], {}, { name: 'bn', outputs: ['y'] });
    const log = skipLog();
    expect(countOp(foldBatchNormIntoProducer(b.build([y]), { onSkip: log.onSkip }), 'BatchNormalization')).toBe(1);
    expect(countOp(foldBatchNormIntoProducer(b2.build([y2]), { onSkip: log.onSkip }), 'BatchNormalization')).toBe(1);
    expect(log.skips.map((s) => s.reason)).toEqual([expect.stringMatching(/weight is not a constant/), expect.stringMatching(/input_mean' is not a constant/)]);
  });
});

/** The producer alone, its output named 'pre'. */
function withBnPre(make: Make): Graph {
  const b = new GraphBuilder('pre');
  const p = make(b);
  const [pre] = b.node('Identity', [p], {}, { outputs: ['pre'] });
  return b.build([pre]);
}
