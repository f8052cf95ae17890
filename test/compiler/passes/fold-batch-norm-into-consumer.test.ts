// foldBatchNormIntoConsumer: BN -> Conv/Gemm folds forward where exact (no zero padding), grouped and
// depthwise convs included, keeping the function on inputs whose channels have their own offsets and
// tiny, ε-dominated variances and negative scales; guards stop padded convs, shared BN outputs,
// transA, and offsets too large for the folded bias to carry in float32.

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../compiler/ir/builder.js';
import type { Graph, Value } from '../../../compiler/ir/types.js';
import { eliminateDeadCode } from '../../../compiler/passes/eliminate-dead-code.js';
import { foldBatchNormIntoConsumer } from '../../../compiler/passes/fold-batch-norm-into-consumer.js';
import type { Dim } from '../../../core/shape.js';
import type { ConvAttrs } from '../../../ops/conv.js';
import type { GemmAttrs } from '../../../ops/gemm.js';
import { fromFloat64, HostTensor, toFloat64 } from '../../../core/tensor.js';
import { mulberry32, randomTensor } from '../../helpers/random.js';
import { adversarialStats, bnInputs, BnStats, channelStats, countOp, expectSameFunction, opsOf, skipLog } from './check-rewrite.js';

/**
 * x with channel c centred on means[c] and spread stds[c]: the BN statistics taken from it then
 * describe it (tiny running variances belong to channels that really are that narrow).
 */
function channelData(dims: readonly number[], means: readonly number[], stds: readonly number[], seed: number): HostTensor {
  const rnd = mulberry32(seed);
  const c = dims[1];
  const n = dims.reduce((p, d) => p * d, 1);
  const inner = n / (dims[0] * c);
  const v = Float64Array.from({ length: n }, (_, i) => {
    const ch = Math.floor(i / inner) % c;
    return means[ch % means.length] + stds[ch % stds.length] * (2 * rnd() - 1);
  });
  return fromFloat64('float32', dims, v);
}

/** adversarialStats' scales and shifts, with each channel's actual variance (tiny where the data is narrow). */
function matchingStats(x: HostTensor): BnStats {
  const t = toFloat64(x);
  return { ...adversarialStats(t), variance: channelStats(t).variance };
}

// Per channel: spread 1, 1e-3 (var ~3e-7), 1e-4 (var ~3e-9, ε-dominated at ε = 1e-5), 2, …; means a few
// spreads away from zero (negative too), so the offsets are real but within what a float32 bias holds.
const MEANS = [5, -0.01, 2e-3, -30, 0.5, 1];
const STDS = [1, 1e-3, 1e-4, 2, 0.5, 0.25];

function bnThen(dims: readonly Dim[], x: HostTensor, consumer: (b: GraphBuilder, y: Value) => Value, epsilon = 1e-5): Graph {
  const b = new GraphBuilder('fwd');
  const xv = b.input('x', 'float32', dims);
  const [y] = b.node('BatchNormalization', [xv, ...bnInputs(b, 'bn', matchingStats(x))], { epsilon }, { name: 'bn' });
  return b.build([consumer(b, y)]);
}

const w = (b: GraphBuilder, name: string, dims: number[], seed: number): Value => b.initializer(name, randomTensor('float32', dims, { seed, low: -0.5, high: 0.5 }));

function conv(attrs: Partial<ConvAttrs>, wDims: number[], bias: boolean): (b: GraphBuilder, y: Value) => Value {
  return (b, y) => b.op('Conv', bias ? [y, w(b, 'W', wDims, 10), w(b, 'B', [wDims[0]], 11)] : [y, w(b, 'W', wDims, 10)], attrs, 'conv');
}

function fold(g: Graph, onSkip?: Parameters<typeof foldBatchNormIntoConsumer>[1]): Graph {
  return eliminateDeadCode(foldBatchNormIntoConsumer(g, onSkip));
}

describe('foldBatchNormIntoConsumer: Conv', () => {
  const dims = [2, 6, 6, 6];
  const x = channelData(dims, MEANS, STDS, 1);
  const cases: [string, Partial<ConvAttrs>, number[], boolean][] = [
    ['no padding, with bias', {}, [4, 6, 3, 3], true],
    ['VALID, strided and dilated, no bias', { auto_pad: 'VALID', strides: [2, 1], dilations: [1, 2] }, [5, 6, 3, 2], false],
    ['SAME_UPPER with a 1x1 kernel (pads 0)', { auto_pad: 'SAME_UPPER' }, [3, 6, 1, 1], true],
    ['grouped (group=3)', { group: 3 }, [6, 2, 3, 3], true],
    ['depthwise (group=C, multiplier 2)', { group: 6 }, [12, 1, 2, 2], true],
  ];
  it.each(cases)('%s: folds and keeps the function', (_, attrs, wDims, bias) => {
    const before = bnThen(dims, x, conv(attrs, wDims, bias));
    const after = fold(before);
    expect(opsOf(after)).toEqual(['Conv']);
    expect(after.nodes[0].name).toBe('conv');
    expectSameFunction(before, after, { x });
  });

  it('a large offset with a proportionate spread folds (x ~ 1e4 ± 200)', () => {
    const big = channelData(dims, [1e4, -1e4, 5e3], [200, 200, 100], 2);
    const before = bnThen(dims, big, conv({}, [4, 6, 3, 3], true));
    const after = fold(before);
    expect(opsOf(after)).toEqual(['Conv']);
    expectSameFunction(before, after, { x: big });
  });
});

describe('foldBatchNormIntoConsumer: Gemm', () => {
  const x = channelData([5, 4], MEANS, STDS, 3);
  const cases: [string, Partial<GemmAttrs>, number[], number[] | undefined][] = [
    ['plain, C [N]', {}, [4, 3], [3]],
    ['transB, alpha, beta, C [M, N]', { transB: 1, alpha: -0.5, beta: 0.25 }, [3, 4], [5, 3]],
    ['no C', {}, [4, 3], undefined],
  ];
  it.each(cases)('%s: folds and keeps the function', (_, attrs, bDims, cDims) => {
    const before = bnThen([5, 4], x, (b, y) => {
      const ins = [y, w(b, 'Bw', bDims, 20)];
      if (cDims !== undefined) ins.push(w(b, 'C', cDims, 21));
      return b.op('Gemm', ins, attrs, 'gemm');
    });
    const after = fold(before);
    expect(opsOf(after)).toEqual(['Gemm']);
    expectSameFunction(before, after, { x });
  });
});

describe('foldBatchNormIntoConsumer guards', () => {
  const dims = [2, 6, 6, 6];
  const x = channelData(dims, MEANS, STDS, 4);
  const skipped = (g: Graph): { after: Graph; reasons: string[] } => {
    const log = skipLog();
    const after = fold(g, { onSkip: log.onSkip });
    return { after, reasons: log.skips.map((s) => s.reason) };
  };

  it('zero padding (pads ≠ 0) keeps the BN: the padded zeros would not be normalized', () => {
    const before = bnThen(dims, x, conv({ pads: [1, 1, 1, 1] }, [4, 6, 3, 3], true));
    const { after, reasons } = skipped(before);
    expect(opsOf(after)).toEqual(['BatchNormalization', 'Conv']);
    expect(reasons).toEqual([expect.stringMatching(/pads \[1,1,1,1\]: padded zeros/)]);
    expectSameFunction(before, after, { x });
  });

  it('SAME_UPPER with a 3x3 kernel keeps the BN; with symbolic spatial dims too', () => {
    expect(skipped(bnThen(dims, x, conv({ auto_pad: 'SAME_UPPER' }, [4, 6, 3, 3], true))).reasons).toEqual([expect.stringMatching(/SAME_UPPER pads \[1,1,1,1\]/)]);
    expect(skipped(bnThen([2, 6, 'H', 'W'], x, conv({ auto_pad: 'SAME_LOWER' }, [4, 6, 1, 1], true))).reasons).toEqual([expect.stringMatching(/symbolic spatial dims/)]);
  });

  it('a BN output with other users keeps the BN', () => {
    const b = new GraphBuilder();
    const [y] = b.node('BatchNormalization', [b.input('x', 'float32', dims), ...bnInputs(b, 'bn', matchingStats(x))], {}, { name: 'bn' });
    const c = conv({}, [4, 6, 3, 3], true)(b, y);
    const g = b.build([c, b.op('Relu', [y], {}, 'relu')]);
    const { after, reasons } = skipped(g);
    expect(countOp(after, 'BatchNormalization')).toBe(1);
    expect(reasons).toEqual([expect.stringMatching(/2 uses/)]);
  });

  it('a BN feeding the weight input, or a Gemm with transA=1, keeps the BN', () => {
    const b = new GraphBuilder();
    const wx = channelData([4, 6, 3, 3], MEANS, STDS, 5);
    const [wn] = b.node('BatchNormalization', [b.input('w', 'float32', [4, 6, 3, 3]), ...bnInputs(b, 'bn', matchingStats(wx))], {}, { name: 'bn' });
    const g = b.build([b.op('Conv', [b.input('x', 'float32', dims), wn], {}, 'conv')]);
    expect(skipped(g).reasons).toEqual([expect.stringMatching(/feeds input 1 of Conv 'conv'/)]);
    const xg = channelData([4, 5], MEANS, STDS, 6);
    const gemm = bnThen([4, 5], xg, (bb, y) => bb.op('Gemm', [y, w(bb, 'Bw', [4, 3], 7)], { transA: 1 }, 'gemm'));
    expect(skipped(gemm).reasons).toEqual([expect.stringMatching(/transA=1/)]);
  });

  it('x ~ 1e4 + noise (offset ≫ spread) keeps the BN: a float32 bias cannot carry the offset', () => {
    const big = randomTensor('float32', dims, { seed: 8, offset: 1e4 });
    const before = bnThen(dims, big, conv({}, [4, 6, 3, 3], true));
    const { after, reasons } = skipped(before);
    expect(countOp(after, 'BatchNormalization')).toBe(1);
    expect(reasons).toEqual([expect.stringMatching(/offset \|mean·a\| is .*× the normalized signal/)]);
    expectSameFunction(before, after, { x: big });
  });

  it('training_mode=1 keeps the BN', () => {
    const b = new GraphBuilder();
    const outs = b.node('BatchNormalization', [b.input('x', 'float32', dims), ...bnInputs(b, 'bn', matchingStats(x))], { training_mode: 1 }, { name: 'bn', outputs: 3 });
    const c = conv({}, [4, 6, 3, 3], true)(b, outs[0]);
    const { after, reasons } = skipped(b.build([c, outs[1], outs[2]]));
    expect(countOp(after, 'BatchNormalization')).toBe(1);
    expect(reasons).toEqual([expect.stringMatching(/training_mode=1/)]);
  });
});
