// foldConstants: constant subgraphs become initializers computed with the float64 reference and
// rounded once per node (as plan-time folding does), within a size limit; Constant tensors stay exact.

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../compiler/ir/builder.js';
import { verifyGraph } from '../../../compiler/ir/verify.js';
import { eliminateDeadCode } from '../../../compiler/passes/eliminate-dead-code.js';
import { foldConstants } from '../../../compiler/passes/fold-constants.js';
import { fromFloat64, hostTensor, toFloat64 } from '../../../core/tensor.js';
import { randomTensor } from '../../helpers/random.js';
import { expectSameFunction, opsOf } from './check-rewrite.js';

describe('foldConstants', () => {
  it('folds a Constant -> Add -> Sqrt chain into one initializer; runtime nodes stay', () => {
    const b = new GraphBuilder('fold');
    const x = b.input('x', 'float32', ['N', 3]);
    const c = b.op('Constant', [], { value: hostTensor('float32', [3], Float32Array.from([1, 2, 3])) }, 'const');
    const s = b.op('Add', [c, b.initializer('offset', hostTensor('float32', [3], Float32Array.from([0.5, 0.25, 0.125])))], {}, 'add');
    const r = b.op('Sqrt', [s], {}, 'sqrt');
    const y = b.op('Mul', [x, r], {}, 'mul');
    const g = b.build([y]);
    const folded = eliminateDeadCode(foldConstants(g));
    verifyGraph(folded);
    expect(opsOf(folded)).toEqual(['Mul']);
    const [t] = [...folded.initializers.values()];
    // One rounding per node: Add's float32 result, then its square root rounded to float32.
    const added = toFloat64(fromFloat64('float32', [3], [1.5, 2.25, 3.125])).data;
    expect([...toFloat64(t).data]).toEqual([...toFloat64(fromFloat64('float32', [3], added.map(Math.sqrt))).data]);
    expect(folded.nodes[0].inputs[1]?.name).toBe('sqrt');
    expectSameFunction(g, folded, { x: randomTensor('float32', [2, 3], { seed: 1 }) });
  });

  it('keeps a Constant int64 bit-exact (beyond 2^53) and keeps graph output names', () => {
    const b = new GraphBuilder();
    const big = hostTensor('int64', [2], BigInt64Array.from([2n ** 60n + 1n, -7n]));
    const [c] = b.node('Constant', [], { value: big }, { name: 'c', outputs: ['out'] });
    const g = foldConstants(b.build([c]));
    verifyGraph(g);
    expect(g.nodes).toHaveLength(0);
    expect(g.outputs[0].name).toBe('out');
    expect(g.initializers.get(g.outputs[0].id)?.data).toEqual(big.data);
  });

  it('respects the size limit', () => {
    const b = new GraphBuilder();
    const p = (name: string): ReturnType<typeof b.initializer> => b.initializer(name, randomTensor('float32', [300, 300], { seed: 2 }));
    const s = b.op('Add', [p('a'), p('b')], {}, 'add');
    const g = b.build([b.op('Mul', [s, b.input('x', 'float32', [300, 300])], {}, 'mul')]);
    expect(opsOf(foldConstants(g))).toEqual(['Add', 'Mul']);
    expect(opsOf(eliminateDeadCode(foldConstants(g, { maxElements: 1 << 17 })))).toEqual(['Mul']);
  });
});
