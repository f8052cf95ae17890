// IR: the builder infers types (symbolic dims included), the printer writes one line per node, and
// the verifier rejects malformed graphs (use before definition, cycles, arity, mistyped outputs).

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import { printGraph, printNode } from '../../compiler/ir/print.js';
import type { AnyNode, Graph, Value } from '../../compiler/ir/types.js';
import { verifyGraph } from '../../compiler/ir/verify.js';
import { ArgumentError, GraphError, ShapeError } from '../../core/errors.js';
import { hostTensor } from '../../core/tensor.js';

function bnGraph(): { g: Graph; x: Value } {
  const b = new GraphBuilder('bn');
  const x = b.input('x', 'float32', ['N', 3, 4, 5]);
  const p = (n: string): Value => b.initializer(n, hostTensor('float32', [3]));
  const [y] = b.node('BatchNormalization', [x, p('s'), p('b'), p('m'), p('v')], {}, { name: 'bn0' });
  const r = b.op('Relu', [y], {}, 'relu0');
  return { g: b.build([r]), x };
}

describe('IR builder and printer', () => {
  it('infers symbolic shapes and prints one line per node', () => {
    const { g } = bnGraph();
    verifyGraph(g);
    expect(g.nodes.map((n) => n.op)).toEqual(['BatchNormalization', 'Relu']);
    expect(printNode(g.nodes[0])).toBe('%5:f32[N,3,4,5] = BatchNormalization[epsilon=1e-05, momentum=0.9, training_mode=0] %0 %1 %2 %3 %4  # bn0');
    expect(printGraph(g).split('\n')).toHaveLength(1 + 4 + 2 + 1);
  });

  it('fills ONNX defaults, rejects unknown and missing required attributes', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', [2, 3]);
    expect(() => b.op('Relu', [x], { alpha: 1 } as never, 'r')).toThrow(ArgumentError);
    expect(() => b.op('Relu', [x], { alpha: 1 } as never, 'r')).toThrow(/Relu 'r'.*'alpha'/);
    expect(() => b.node('Moments', [x], {}, { name: 'mo', outputs: 2 })).toThrow(/Moments 'mo'.*'axes' expected a value/);
  });

  it('training-mode BatchNormalization has three outputs typed like the statistics', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float16', [2, 3]);
    const p = (n: string): Value => b.input(n, 'float32', [3]);
    const outs = b.node('BatchNormalization', [x, p('s'), p('b'), p('m'), p('v')], { training_mode: 1 }, { outputs: 3 });
    expect(outs.map((v) => `${v.type.dtype}[${v.type.shape}]`)).toEqual(['float16[2,3]', 'float32[3]', 'float32[3]']);
    expect(() => b.node('BatchNormalization', [x, p('s2'), p('b2'), p('m2'), p('v2')], {}, { name: 'inf', outputs: 3 })).toThrow(/'inf'.*outputs.*1\.\.1/);
  });

  it('shape errors name the node and the input', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', [2, 3, 4]);
    const bad = b.input('bad', 'float32', [4]);
    expect(() => b.node('BatchNormalization', [x, bad, bad, bad, bad], {}, { name: 'bnx' })).toThrow(ShapeError);
    expect(() => b.node('BatchNormalization', [x, bad, bad, bad, bad], {}, { name: 'bnx' })).toThrow(/BatchNormalization 'bnx': input 'scale' expected shape \[3\], got \[4\]/);
  });
});

describe('IR verifier', () => {
  it('rejects a use before definition (as a cycle would produce)', () => {
    const { g } = bnGraph();
    const cyclic: Graph = { ...g, nodes: [g.nodes[1], g.nodes[0]] as AnyNode[] };
    expect(() => verifyGraph(cyclic)).toThrow(GraphError);
    expect(() => verifyGraph(cyclic)).toThrow(/Relu 'relu0': input %5 .* used before it is defined/);
  });

  it('rejects wrong arity and mistyped outputs', () => {
    const { g } = bnGraph();
    const bn = g.nodes[0];
    const short = { ...bn, inputs: bn.inputs.slice(0, 3) } as AnyNode;
    expect(() => verifyGraph({ ...g, nodes: [short, g.nodes[1]] })).toThrow(/BatchNormalization 'bn0': expected 5\.\.5 inputs, got 3/);
    const relu = g.nodes[1];
    const wrongType = { ...relu, outputs: [{ ...relu.outputs[0], type: { dtype: 'float64', shape: ['N', 3, 4, 5] } }] } as AnyNode;
    expect(() => verifyGraph({ ...g, nodes: [bn, wrongType], outputs: wrongType.outputs })).toThrow(/Relu 'relu0': output 0 is typed f64\[N,3,4,5\] but inference gives f32\[N,3,4,5\]/);
  });

  it('rejects a value defined twice and an undefined graph output', () => {
    const { g } = bnGraph();
    expect(() => verifyGraph({ ...g, nodes: [...g.nodes, g.nodes[1]] })).toThrow(/defined twice/);
    expect(() => verifyGraph({ ...g, outputs: [{ id: 99, name: 'ghost', type: { dtype: 'float32', shape: [] } }] })).toThrow(/'ghost' is never defined/);
  });
});
