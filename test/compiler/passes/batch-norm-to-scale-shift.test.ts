// batchNormToScaleShift: inference BatchNormalization => Sub/Mul/Add with [C,1,…,1] constants keeps the
// function on x ~ 1e4 + noise with tiny, ε-dominated variances and negative scales, and is far more
// accurate there than onnxruntime's x·a + (B − mean·a) form (DESIGN.md §7). Guards are checked too.

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../compiler/ir/builder.js';
import type { Graph, Value } from '../../../compiler/ir/types.js';
import { batchNormToScaleShift } from '../../../compiler/passes/batch-norm-to-scale-shift.js';
import { eliminateDeadCode } from '../../../compiler/passes/eliminate-dead-code.js';
import type { Dim } from '../../../core/shape.js';
import { fromFloat64, HostTensor, toFloat64 } from '../../../core/tensor.js';
import { GraphSession } from '../../../runtime/graph-session.js';
import { runReference } from '../../../runtime/reference.js';
import { hostValues } from '../../helpers/compare.js';
import { randomTensor } from '../../helpers/random.js';
import { adversarialStats, bnInputs, BnStats, channelTolerance, countOp, expectSameFunction, opsOf, skipLog } from './check-rewrite.js';

function bnGraph(shape: readonly Dim[], x: HostTensor, stats: BnStats, epsilon: number, dtype: 'float32' | 'float64' = 'float32'): Graph {
  const b = new GraphBuilder('bn');
  const xv = b.input('x', x.dtype, shape);
  const [y] = b.node('BatchNormalization', [xv, ...bnInputs(b, 'bn', stats, dtype)], { epsilon }, { name: 'bn', outputs: ['y'] });
  return b.build([y]);
}

describe('batchNormToScaleShift', () => {
  const cases: [string, readonly Dim[], number[], number][] = [
    ['rank 4, ε 1e-5', [2, 6, 3, 3], [2, 6, 3, 3], 1e-5],
    ['rank 4, symbolic batch, ε-dominated (ε 1e-3)', ['N', 6, 3, 3], [3, 6, 3, 3], 1e-3],
    ['rank 3', [2, 5, 7], [2, 5, 7], 1e-5],
    ['rank 2', [8, 5], [8, 5], 1e-5],
  ];
  it.each(cases)('%s: x ~ 1e4 + noise => Sub/Mul/Add, same function', (_, shape, dims, epsilon) => {
    const x = randomTensor('float32', dims, { seed: 3, offset: 1e4 });
    const before = bnGraph(shape, x, adversarialStats(toFloat64(x)), epsilon);
    const after = eliminateDeadCode(batchNormToScaleShift(before));
    expect(opsOf(after)).toEqual(['Sub', 'Mul', 'Add']);
    expect(after.nodes[2].name).toBe('bn');
    const c = dims[1];
    for (const t of after.initializers.values()) expect(t.dims).toEqual([c, ...Array<number>(dims.length - 2).fill(1)]);
    const r = expectSameFunction(before, after, { x });
    // As accurate as the single BatchNormalization kernel, up to its 3 roundings instead of 1.
    expect(r.afterError[0]).toBeLessThanOrEqual(4 * r.beforeError[0] + 1e-12);
  });

  it('x ~ 1e4: (x − mean)·a + B is far more accurate than onnxruntime\'s x·a + (B − mean·a)', () => {
    const dims = [2, 4, 5, 5];
    const x = randomTensor('float32', dims, { seed: 4, offset: 1e4 });
    const stats = adversarialStats(toFloat64(x));
    const before = bnGraph(dims, x, stats, 1e-5);
    const after = batchNormToScaleShift(before);
    const expected = runReference(before, { x }).outputs.y;
    const ours = hostValues(new GraphSession(after).runHost({ x }).y);
    // onnxruntime's folded form, in float32 constants.
    const b = new GraphBuilder('ort');
    const xv = b.input('x', 'float32', dims);
    const a = stats.scale.map((s, c) => s / Math.sqrt(stats.variance[c] + 1e-5));
    const k = (name: string, v: Float64Array): Value => b.initializer(name, fromFloat64('float32', [4, 1, 1], v));
    const y = b.op('Add', [b.op('Mul', [xv, k('a', a)]), k('shift', stats.bias.map((beta, c) => beta - stats.mean[c] * a[c]))]);
    const ort = hostValues(new GraphSession(b.build([y])).runHost({ x })[y.name]);
    const err = (v: Float64Array): number => Math.max(...v.map((u, i) => Math.abs(u - expected.data[i])));
    expect(err(ours)).toBeLessThan(err(ort) / 100);
    expect(err(ort)).toBeGreaterThan(1e-3);
  });

  it('float64 X rewrites with float64 constants', () => {
    const x = randomTensor('float64', [2, 3, 4], { seed: 5, offset: 1e4 });
    const before = bnGraph([2, 3, 4], x, adversarialStats(toFloat64(x)), 1e-5, 'float64');
    const after = eliminateDeadCode(batchNormToScaleShift(before));
    expect(opsOf(after)).toEqual(['Sub', 'Mul', 'Add']);
    expect([...after.initializers.values()].map((t) => t.dtype)).toEqual(['float64', 'float64', 'float64']);
    expectSameFunction(before, after, { x }, channelTolerance(1e-12, 1e-12));
  });
});

describe('batchNormToScaleShift guards', () => {
  const x = randomTensor('float32', [2, 3, 4], { seed: 6 });
  const stats = adversarialStats(toFloat64(x));

  it('training_mode=1 stays', () => {
    const b = new GraphBuilder();
    const outs = b.node('BatchNormalization', [b.input('x', 'float32', [2, 3, 4]), ...bnInputs(b, 'bn', stats)], { training_mode: 1 }, { name: 'bn', outputs: 3 });
    const log = skipLog();
    const after = batchNormToScaleShift(b.build(outs), { onSkip: log.onSkip });
    expect(opsOf(after)).toEqual(['BatchNormalization']);
    expect(log.skips).toEqual([{ pass: 'batchNormToScaleShift', node: 'bn', reason: expect.stringMatching(/training_mode=1/) }]);
  });

  it('non-constant parameters stay', () => {
    const b = new GraphBuilder();
    const p = bnInputs(b, 'bn', stats);
    const [y] = b.node('BatchNormalization', [b.input('x', 'float32', [2, 3, 4]), b.input('gamma', 'float32', [3]), p[1], p[2], p[3]], {}, { name: 'bn', outputs: ['y'] });
    const log = skipLog();
    expect(countOp(batchNormToScaleShift(b.build([y]), { onSkip: log.onSkip }), 'BatchNormalization')).toBe(1);
    expect(log.skips[0].reason).toMatch(/'scale' is not a constant/);
  });

  it('half-precision X stays (three roundings to float16 before fusion)', () => {
    const b = new GraphBuilder();
    const [y] = b.node('BatchNormalization', [b.input('x', 'float16', [2, 3, 4]), ...bnInputs(b, 'bn', stats)], {}, { name: 'bn', outputs: ['y'] });
    const log = skipLog();
    expect(countOp(batchNormToScaleShift(b.build([y]), { onSkip: log.onSkip }), 'BatchNormalization')).toBe(1);
    expect(log.skips[0].reason).toMatch(/float16/);
  });

  it('a float64 mean that float32 X cannot hold exactly stays', () => {
    const b = new GraphBuilder();
    const p = bnInputs(b, 'bn', stats);
    const mean = b.initializer('mean64', fromFloat64('float64', [3], [1e4 + 1e-3, 0.1, 0]));
    const variance = b.initializer('var64', fromFloat64('float64', [3], [1, 1, 1]));
    const [y] = b.node('BatchNormalization', [b.input('x', 'float32', [2, 3, 4]), p[0], p[1], mean, variance], {}, { name: 'bn', outputs: ['y'] });
    const log = skipLog();
    expect(countOp(batchNormToScaleShift(b.build([y]), { onSkip: log.onSkip }), 'BatchNormalization')).toBe(1);
    expect(log.skips[0].reason).toMatch(/not exactly representable/);
  });
});
