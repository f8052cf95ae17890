// eliminateDeadCode removes nodes that reach no graph output and unused initializers, keeps graph
// inputs and whole multi-output nodes with any live output.

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../compiler/ir/builder.js';
import { verifyGraph } from '../../../compiler/ir/verify.js';
import { eliminateDeadCode } from '../../../compiler/passes/eliminate-dead-code.js';
import { hostTensor } from '../../../core/tensor.js';
import { randomTensor } from '../../helpers/random.js';
import { expectSameFunction, opsOf } from './check-rewrite.js';

describe('eliminateDeadCode', () => {
  it('removes dead nodes and initializers, keeps inputs', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', [2, 3]);
    b.input('unused', 'float32', [1]);
    const k = b.initializer('k', hostTensor('float32', [3], Float32Array.from([1, 2, 3])));
    const dead = b.initializer('dead', hostTensor('float32', [3], Float32Array.from([4, 5, 6])));
    b.op('Exp', [b.op('Add', [x, dead], {}, 'dead_add')], {}, 'dead_exp');
    const y = b.op('Mul', [x, k], {}, 'mul');
    const g = b.build([y]);
    const r = eliminateDeadCode(g);
    verifyGraph(r);
    expect(opsOf(r)).toEqual(['Mul']);
    expect(r.initializers.size).toBe(1);
    expect(r.inputs.map((v) => v.name)).toEqual(['x', 'unused']);
    expectSameFunction(g, r, { x: randomTensor('float32', [2, 3], { seed: 1 }), unused: randomTensor('float32', [1], { seed: 2 }) });
  });

  it('keeps a training BatchNormalization whole when only y is used', () => {
    const b = new GraphBuilder();
    const p = (n: string, v: number): ReturnType<typeof b.initializer> => b.initializer(n, hostTensor('float32', [2], Float32Array.from([v, v + 0.5])));
    const outs = b.node('BatchNormalization', [b.input('x', 'float32', [4, 2]), p('s', 1), p('b', 0), p('m', 0.25), p('v', 2)], { training_mode: 1 }, { name: 'bn', outputs: 3 });
    const r = eliminateDeadCode(b.build([outs[0]]));
    verifyGraph(r);
    expect(opsOf(r)).toEqual(['BatchNormalization']);
    expect(r.nodes[0].outputs).toHaveLength(3);
    expect(r.initializers.size).toBe(4);
  });
});
