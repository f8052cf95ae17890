// rewriteGraph replays a graph through a fresh builder (re-inferring every type), keeps names, lets a
// callback replace a node's outputs, and keeps graph output names; use counts are derived.

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../compiler/ir/builder.js';
import type { Graph } from '../../../compiler/ir/types.js';
import { verifyGraph } from '../../../compiler/ir/verify.js';
import { eliminateDeadCode } from '../../../compiler/passes/eliminate-dead-code.js';
import { countUses, rewriteGraph, usersOf } from '../../../compiler/passes/rewrite.js';
import { GraphError } from '../../../core/errors.js';
import { hostTensor } from '../../../core/tensor.js';
import { randomTensor } from '../../helpers/random.js';
import { expectSameFunction, opsOf } from './check-rewrite.js';

function small(): Graph {
  const b = new GraphBuilder('small');
  const x = b.input('x', 'float32', ['N', 3]);
  const s = b.initializer('s', hostTensor('float32', [3], Float32Array.from([1, -2, 3])));
  const m = b.op('Mul', [x, s], {}, 'mul');
  const r = b.op('Relu', [m], {}, 'relu');
  const sq = b.op('Add', [r, r], {}, 'twice');
  const [y] = b.node('Identity', [sq], {}, { name: 'id', outputs: ['y'] });
  return b.build([y, r], new Map([['author', 'kiln']]));
}

const describeGraph = (g: Graph): string[] =>
  g.nodes.map((n) => `${n.name}:${n.op}(${n.inputs.map((v) => v?.name ?? '_').join(',')})->${n.outputs.map((v) => `${v.name}:${v.type.dtype}[${v.type.shape.join(',')}]`).join(',')}`);

describe('rewriteGraph', () => {
  it('a replay without callback keeps nodes, names, types, initializers and metadata', () => {
    const g = small();
    const r = rewriteGraph(g);
    verifyGraph(r);
    expect(describeGraph(r)).toEqual(describeGraph(g));
    expect(r.inputs.map((v) => v.name)).toEqual(['x']);
    expect(r.outputs.map((v) => v.name)).toEqual(['y', 'relu']);
    expect([...r.initializers.values()]).toEqual([...g.initializers.values()]);
    expect(r.metadata.get('author')).toBe('kiln');
  });

  it('derives use counts from nodes and graph outputs', () => {
    const g = small();
    const byName = new Map([...countUses(g)].map(([id, n]) => [g.nodes.flatMap((nd) => nd.outputs).find((v) => v.id === id)?.name ?? String(id), n]));
    // relu: twice by 'twice' and once as a graph output; y: once as a graph output.
    expect(byName.get('relu')).toBe(3);
    expect(byName.get('y')).toBe(1);
    expect(byName.get('mul')).toBe(1);
    const relu = g.nodes[1].outputs[0];
    expect(usersOf(g).get(relu.id)?.map((u) => `${u.node.name}#${u.index}`)).toEqual(['twice#0', 'twice#1']);
  });

  it('a callback replaces outputs; new names avoid the source graph\'s', () => {
    const g = small();
    const r = eliminateDeadCode(
      rewriteGraph(g, (n, ctx) => {
        if (n.op !== 'Relu') return undefined;
        // Relu(v) => Max(v, 0), named like the Relu it replaces.
        const zero = ctx.initializer(ctx.freshName('mul'), hostTensor('float32', [], Float32Array.from([0])));
        expect(zero.name).toBe('mul_1');
        return ctx.node('Max', [ctx.input(n, 0), zero], {}, { name: n.name, outputs: [n.outputs[0].name] });
      }),
    );
    expect(opsOf(r)).toEqual(['Mul', 'Max', 'Add', 'Identity']);
    expect(r.outputs.map((v) => v.name)).toEqual(['y', 'relu']);
    const x = randomTensor('float32', [4, 3], { seed: 1 });
    expectSameFunction(g, r, { x });
  });

  it('a graph output mapped onto a value of another name keeps its name through an Identity', () => {
    const g = small();
    // Drop the Identity: 'y' now stands for the value named 'twice'.
    const r = eliminateDeadCode(rewriteGraph(g, (n, ctx) => (n.op === 'Identity' ? [ctx.input(n, 0)] : undefined)));
    expect(r.outputs.map((v) => v.name)).toEqual(['y', 'relu']);
    verifyGraph(r);
  });

  it('rejects a replacement with the wrong number of values', () => {
    const g = small();
    expect(() => rewriteGraph(g, (n, ctx) => (n.op === 'Relu' ? [ctx.input(n, 0), ctx.input(n, 0)] : undefined))).toThrow(GraphError);
  });

  it('re-validates every node: a changed input type that breaks an op is reported at that op', () => {
    const g = small();
    expect(() => rewriteGraph(g, undefined, { inputType: (v) => ({ dtype: v.type.dtype, shape: [2, 4] }) })).toThrow(/Mul 'mul'/);
  });
});
