// inferShapes re-infers every type after binding symbolic input dims to numbers; unbound symbols stay
// symbolic, bad bindings are rejected, and a binding that contradicts the graph fails at the node.

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../compiler/ir/builder.js';
import type { Graph } from '../../../compiler/ir/types.js';
import { verifyGraph } from '../../../compiler/ir/verify.js';
import { inferShapes } from '../../../compiler/passes/infer-shapes.js';
import { GraphError, ShapeError } from '../../../core/errors.js';
import { randomTensor } from '../../helpers/random.js';
import { expectSameFunction } from './check-rewrite.js';

function convNet(): Graph {
  const b = new GraphBuilder('net');
  const x = b.input('x', 'float32', ['N', 3, 'H', 'W']);
  const c = b.op('Conv', [x, b.initializer('W', randomTensor('float32', [4, 3, 3, 3], { seed: 1 }))], { strides: [2, 2], pads: [1, 1, 1, 1] }, 'conv');
  const r = b.op('Relu', [c], {}, 'relu');
  return b.build([b.op('GlobalAveragePool', [r], {}, 'gap')]);
}

describe('inferShapes', () => {
  it('binds symbolic dims and re-derives every type, op-made symbols included', () => {
    const g = convNet();
    expect(g.nodes[0].outputs[0].type.shape.slice(2).every((d) => typeof d === 'string')).toBe(true);
    const r = inferShapes(g, new Map([['N', 2], ['H', 7], ['W', 8]]));
    verifyGraph(r);
    expect(r.nodes.map((n) => n.outputs[0].type.shape)).toEqual([[2, 4, 4, 4], [2, 4, 4, 4], [2, 4, 1, 1]]);
    expect(r.nodes.map((n) => n.name)).toEqual(['conv', 'relu', 'gap']);
    const x = randomTensor('float32', [2, 3, 7, 8], { seed: 2 });
    expectSameFunction(g, r, { x });
  });

  it('leaves unbound symbols symbolic', () => {
    const r = inferShapes(convNet(), new Map([['N', 1]]));
    expect(r.inputs[0].type.shape).toEqual([1, 3, 'H', 'W']);
    expect(r.outputs[0].type.shape).toEqual([1, 4, 1, 1]);
  });

  it('rejects non-positive bindings and bindings the graph contradicts', () => {
    expect(() => inferShapes(convNet(), new Map([['N', 0]]))).toThrow(GraphError);
    const b = new GraphBuilder();
    const y = b.op('Add', [b.input('x', 'float32', ['N', 3]), b.input('z', 'float32', [2, 3])], {}, 'add');
    const g = b.build([y]);
    expect(() => inferShapes(g, new Map([['N', 5]]))).toThrow(ShapeError);
    expect(() => inferShapes(g, new Map([['N', 5]]))).toThrow(/Add 'add'/);
    expect(inferShapes(g, new Map([['N', 2]])).outputs[0].type.shape).toEqual([2, 3]);
  });
});
