// optimizeGraph (compiler/pipeline.ts): on conv → BN → relu → conv → BN → add → relu no
// BatchNormalization is left and the result matches the float64 reference of the original graph; the
// graph verifies after every pass; leftovers go forward into a consumer or to Sub/Mul/Add.

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../compiler/ir/builder.js';
import type { Graph, Value } from '../../../compiler/ir/types.js';
import { verifyGraph } from '../../../compiler/ir/verify.js';
import { optimizeGraph, PIPELINE } from '../../../compiler/pipeline.js';
import { HostTensor, hostTensor, toFloat64 } from '../../../core/tensor.js';
import { runReference } from '../../../runtime/reference.js';
import { randomTensor } from '../../helpers/random.js';
import { adversarialStats, bnInputs, BnStats, channelStats, countOp, expectSameFunction, opsOf, skipLog } from './check-rewrite.js';

type Stats = ReadonlyMap<string, BnStats>;

const placeholder = (c: number): BnStats => ({
  scale: new Float64Array(c).fill(1),
  bias: new Float64Array(c),
  mean: new Float64Array(c),
  variance: new Float64Array(c).fill(1),
});

/**
 * Build the graph with BN statistics taken from the values actually flowing into each BN (adversarial
 * scales, shifts and variances from check-rewrite.ts): `make` is rebuilt once per BN, in order.
 */
function withStats(bns: readonly string[], feeds: Record<string, HostTensor>, make: (stats: Stats) => Graph): Graph {
  const stats = new Map<string, BnStats>();
  for (const bn of bns) {
    const g = make(stats);
    const node = g.nodes.find((n) => n.name === bn);
    const x = node?.inputs[0];
    if (x === undefined) throw new Error(`no BN '${bn}'`);
    const pre = runReference(g, feeds).values.get(x.id);
    if (pre === undefined) throw new Error(`no value for BN '${bn}' input`);
    stats.set(bn, adversarialStats(pre));
  }
  return make(stats);
}

function bn(b: GraphBuilder, name: string, x: Value, stats: Stats, c: number): Value {
  const [y] = b.node('BatchNormalization', [x, ...bnInputs(b, name, stats.get(name) ?? placeholder(c))], { epsilon: 1e-5 }, { name });
  return y;
}

const weight = (b: GraphBuilder, name: string, dims: number[], seed: number): Value => b.initializer(name, randomTensor('float32', dims, { seed, low: -0.5, high: 0.5 }));

/** conv → BN → relu → conv → BN → add (residual) → relu. */
function residualBlock(stats: Stats): Graph {
  const b = new GraphBuilder('block');
  const x = b.input('x', 'float32', ['N', 4, 6, 6]);
  const c1 = b.op('Conv', [x, weight(b, 'W1', [4, 4, 3, 3], 1), weight(b, 'B1', [4], 2)], { pads: [1, 1, 1, 1] }, 'conv1');
  const r1 = b.op('Relu', [bn(b, 'bn1', c1, stats, 4)], {}, 'relu1');
  const c2 = b.op('Conv', [r1, weight(b, 'W2', [4, 4, 3, 3], 3)], { pads: [1, 1, 1, 1] }, 'conv2');
  const sum = b.op('Add', [bn(b, 'bn2', c2, stats, 4), r1], {}, 'add');
  const [y] = b.node('Relu', [sum], {}, { name: 'relu2', outputs: ['y'] });
  return b.build([y]);
}

describe('optimizeGraph', () => {
  const x = randomTensor('float32', [2, 4, 6, 6], { seed: 9, offset: 3 });
  const feeds = { x };

  it('conv → BN → relu → conv → BN → add → relu: no BatchNormalization left, same function', () => {
    const before = withStats(['bn1', 'bn2'], feeds, residualBlock);
    const passes: string[] = [];
    const after = optimizeGraph(before, {
      inference: true,
      afterPass: (name, g) => {
        verifyGraph(g);
        passes.push(name);
      },
    });
    expect(passes).toEqual(PIPELINE.map((p) => p.name));
    expect(countOp(after, 'BatchNormalization')).toBe(0);
    expect(opsOf(after)).toEqual(['Conv', 'Relu', 'Conv', 'Add', 'Relu']);
    expect(after.nodes.map((n) => n.name)).toEqual(['conv1', 'relu1', 'conv2', 'add', 'relu2']);
    expect(after.initializers.size).toBe(4);
    expectSameFunction(before, after, feeds);
  });

  it('inference: false folds constants and removes dead code only', () => {
    const before = withStats(['bn1', 'bn2'], feeds, residualBlock);
    const after = optimizeGraph(before);
    expect(opsOf(after)).toEqual(opsOf(before));
  });

  it('leftover BNs: Constant parameters are folded first, an input BN folds forward, a BN after an Add becomes Sub/Mul/Add', () => {
    const make = (stats: Stats): Graph => {
      const b = new GraphBuilder('mixed');
      const xv = b.input('x', 'float32', ['N', 4, 6, 6]);
      // bn0's scale comes from a Constant node, as ONNX exporters often write it.
      const s0 = stats.get('bn0') ?? placeholder(4);
      const p0 = bnInputs(b, 'bn0', s0);
      const scale = b.op('Constant', [], { value: hostTensor('float32', [4], Float32Array.from(s0.scale)) }, 'bn0_scale_const');
      const [y0] = b.node('BatchNormalization', [xv, scale, p0[1], p0[2], p0[3]], { epsilon: 1e-3 }, { name: 'bn0' });
      const c0 = b.op('Conv', [y0, weight(b, 'W0', [4, 4, 1, 1], 4), weight(b, 'B0', [4], 5)], {}, 'conv0');
      const r = b.op('Relu', [bn(b, 'bn1', c0, stats, 4)], {}, 'relu');
      const sum = b.op('Add', [r, xv], {}, 'add');
      return b.build([bn(b, 'bn2', sum, stats, 4)]);
    };
    // bn0 normalizes a graph input: its statistics are the input's own (a forward fold needs them to
    // describe the data, see fold-batch-norm-into-consumer.ts); bn1 and bn2 get adversarial ones.
    const pre = toFloat64(x);
    const bn0: Stats = new Map([['bn0', { ...adversarialStats(pre), variance: channelStats(pre).variance }]]);
    const before = withStats(['bn1', 'bn2'], feeds, (s) => make(new Map([...bn0, ...s])));
    expect(countOp(before, 'BatchNormalization')).toBe(3);
    const log = skipLog();
    const after = optimizeGraph(before, { inference: true, afterPass: (_, g) => verifyGraph(g), onSkip: log.onSkip });
    expect(opsOf(after)).toEqual(['Conv', 'Relu', 'Add', 'Sub', 'Mul', 'Add']);
    expect(after.outputs[0].name).toBe(before.outputs[0].name);
    expect(log.skips).toEqual([]);
    expectSameFunction(before, after, feeds);
  });
});
