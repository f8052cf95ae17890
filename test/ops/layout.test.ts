// Layout ops (Reshape, Transpose, Flatten): reference against index arithmetic written here, kiln CPU
// against the reference over ranks 0..5 and dtypes, symbolic-dim inference, views vs routines, errors.

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import type { Value } from '../../compiler/ir/types.js';
import { verifyGraph } from '../../compiler/ir/verify.js';
import type { DType } from '../../core/dtype.js';
import { ArgumentError, DTypeError, ShapeError } from '../../core/errors.js';
import type { Shape } from '../../core/shape.js';
import { F64Tensor, fromFloat64, HostTensor, hostTensor } from '../../core/tensor.js';
import type { OpAttrs } from '../../ops/op-attrs.js';
import { GraphSession } from '../../runtime/graph-session.js';
import { runReference } from '../../runtime/reference.js';
import { expectClose, toleranceFor } from '../helpers/compare.js';
import { randomTensor } from '../helpers/random.js';
import { runSingleNode, SingleNodeInput, singleNodeGraph } from '../helpers/single-node.js';

type LayoutOp = 'Reshape' | 'Transpose' | 'Flatten';

const shapeConst = (dims: readonly number[]): SingleNodeInput => ({
  tensor: hostTensor('int64', [dims.length], BigInt64Array.from(dims, (d) => BigInt(d))),
  constant: true,
});

function reference<K extends LayoutOp>(op: K, inputs: readonly (HostTensor | SingleNodeInput)[], attrs: Partial<OpAttrs[K]> = {}): F64Tensor {
  const { graph, feeds } = singleNodeGraph(op, inputs, attrs);
  return runReference(graph, feeds).outputs[graph.outputs[0].name];
}

/** Number of plan steps a single-node graph lowers to (0 = a view). */
function stepCount<K extends LayoutOp>(op: K, inputs: readonly (HostTensor | SingleNodeInput)[], attrs: Partial<OpAttrs[K]> = {}): number {
  const { graph, feeds } = singleNodeGraph(op, inputs, attrs);
  return new GraphSession(graph).planFor(new Map(Object.entries(feeds).map(([k, t]) => [k, t.dims]))).steps.length;
}

function iota(dims: number[]): HostTensor {
  return fromFloat64('float64', dims, Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => i + 0.5));
}

describe('Reshape', () => {
  it('reference keeps row-major order; 0 copies a dim and -1 is inferred', () => {
    const x = iota([2, 3, 4]);
    const r = reference('Reshape', [x, shapeConst([4, -1])]);
    expect([...r.dims]).toEqual([4, 6]);
    expect([...r.data]).toEqual([...x.data]);
    expect([...reference('Reshape', [x, shapeConst([0, -1])]).dims]).toEqual([2, 12]);
    expect([...reference('Reshape', [x, shapeConst([0, 0, 2, 2])]).dims]).toEqual([2, 3, 2, 2]);
  });

  it('allowzero=1 makes 0 a zero-size dim', () => {
    const x = fromFloat64('float32', [0, 3], []);
    expect([...reference('Reshape', [x, shapeConst([3, 0])], { allowzero: 1 }).dims]).toEqual([3, 0]);
  });

  const cases: { from: number[]; to: number[]; dims: number[] }[] = [
    { from: [], to: [1, 1, 1], dims: [1, 1, 1] },
    { from: [1], to: [], dims: [] },
    { from: [6], to: [2, -1], dims: [2, 3] },
    { from: [2, 3, 4], to: [-1], dims: [24] },
    { from: [2, 3, 4, 5], to: [0, 0, -1], dims: [2, 3, 20] },
    { from: [2, 1, 3, 2, 2], to: [4, 1, 1, 3, 2], dims: [4, 1, 1, 3, 2] },
  ];
  it.each(cases)('kiln CPU: $from -> $to', ({ from, to, dims }) => {
    for (const dtype of ['float32', 'float16', 'int64'] as const) {
      const x = randomTensor(dtype, from, { seed: 1, low: -9, high: 9 });
      const res = runSingleNode('Reshape', [x, shapeConst(to)]);
      verifyGraph(res.graph);
      expect([...res.kiln[0].dims]).toEqual(dims);
      expectClose(res.kiln[0], res.reference[0], { rtol: 0, atol: 0 });
    }
    expect(stepCount('Reshape', [randomTensor('float32', from), shapeConst(to)])).toBe(0);
  });

  it('symbolic data dims: cancelled symbols, -1 as a leftover symbol, otherwise fresh dims', () => {
    const b = new GraphBuilder();
    const c = (dims: number[]): Value => b.initializer('s', hostTensor('int64', [dims.length], BigInt64Array.from(dims, BigInt)));
    const x = b.input('x', 'float32', ['N', 3, 4]);
    expect(b.op('Reshape', [x, c([0, -1])], {}, 'r1').type.shape).toEqual(['N', 12]);
    expect(b.op('Reshape', [x, c([-1, 12])], {}, 'r2').type.shape).toEqual(['N', 12]);
    expect(b.op('Reshape', [x, c([-1, 8])], {}, 'r3').type.shape).toEqual(['r3_d0', 8]);
    const computed = b.input('shape', 'int64', [3]);
    const r4 = b.op('Reshape', [x, computed], {}, 'r4');
    expect(r4.type.shape).toEqual(['r4_d0', 'r4_d1', 'r4_d2']);
    expect(() => verifyGraph(b.build([r4]))).not.toThrow();
  });

  it('a symbolic -1 resolves when the session binds the input dims', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', ['N', 4]);
    const y = b.op('Reshape', [x, b.initializer('s', hostTensor('int64', [2], BigInt64Array.from([-1n, 2n])))]);
    const xv = randomTensor('float32', [3, 4]);
    const out = new GraphSession(b.build([y])).runHost({ x: xv })[y.name];
    expect([...out.dims]).toEqual([6, 2]);
    expect([...out.data]).toEqual([...xv.data]);
  });

  describe('bad input', () => {
    function build(dataShape: Shape, shapeValue: readonly number[] | undefined, attrs: Partial<OpAttrs['Reshape']> = {}, shapeDType: DType = 'int64'): () => Value {
      return () => {
        const b = new GraphBuilder();
        const x = b.input('x', 'float32', dataShape);
        const s = shapeValue === undefined
          ? b.input('s', shapeDType, [2, 2])
          : b.initializer('s', shapeDType === 'int64' ? hostTensor('int64', [shapeValue.length], BigInt64Array.from(shapeValue, (d) => BigInt(d))) : fromFloat64(shapeDType, [shapeValue.length], shapeValue));
        return b.op('Reshape', [x, s], attrs, 'bad_node');
      };
    }

    it('an element count mismatch is a ShapeError naming shape', () => {
      expect(build([2, 3, 4], [5, 5])).toThrow(ShapeError);
      expect(build([2, 3, 4], [5, 5])).toThrow(/Reshape 'bad_node': input 'shape' expected shape with the element count of data \[2,3,4\], got \[5,5\] \(resolved \[5,5\]\)/);
      expect(build([2, 3, 4], [5, -1])).toThrow(ShapeError);
      expect(build(['N', 3], [0, 4])).toThrow(ShapeError);
    });

    it('two -1, entries below -1, 0 with -1 under allowzero are ArgumentErrors', () => {
      expect(build([2, 3], [-1, -1])).toThrow(ArgumentError);
      expect(build([2, 3], [-1, -1])).toThrow(/'bad_node': argument 'shape' expected at most one -1, got \[-1,-1\]/);
      expect(build([2, 3], [-2, 3])).toThrow(/argument 'shape' expected entries that are -1, 0 or positive, got \[-2,3\]/);
      expect(build([0, 3], [0, -1], { allowzero: 1 })).toThrow(ArgumentError);
    });

    it('a 0 past the data rank, a non-int64 or non-1-D shape are typed errors', () => {
      expect(build([6], [6, 0])).toThrow(/input 'shape' expected shape with 0 \(copy a dim\) only at indices below data's rank 1, got \[6,0\]/);
      expect(build([6], [2, 3], {}, 'int32')).toThrow(DTypeError);
      expect(build([6], [2, 3], {}, 'int32')).toThrow(/'bad_node': input 'shape' expected dtype one of int64, got int32/);
      expect(build([6], undefined)).toThrow(ShapeError);
      expect(build([6], undefined)).toThrow(/input 'shape' expected shape rank 1, got \[2,2\] \(rank 2\)/);
      const unknownLength = (): Value => {
        const b = new GraphBuilder();
        return b.op('Reshape', [b.input('x', 'float32', [6]), b.input('s', 'int64', ['K'])], {}, 'bad_node');
      };
      expect(unknownLength).toThrow(ShapeError);
      expect(unknownLength).toThrow(/'bad_node': input 'shape' expected shape \[k\] with a known k, or a constant value, got \[K\]/);
    });
  });
});

describe('Transpose', () => {
  it('reference: out[k][i][j] = x[i][j][k] for perm [2,0,1]; default perm reverses', () => {
    const x = iota([2, 3, 4]);
    const r = reference('Transpose', [x], { perm: [2, 0, 1] });
    expect([...r.dims]).toEqual([4, 2, 3]);
    const expected: number[] = [];
    for (let k = 0; k < 4; k++) for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) expected.push(x.data[i * 12 + j * 4 + k] as number);
    expect([...r.data]).toEqual(expected);
    const rev = reference('Transpose', [x]);
    const expectedRev: number[] = [];
    for (let k = 0; k < 4; k++) for (let j = 0; j < 3; j++) for (let i = 0; i < 2; i++) expectedRev.push(x.data[i * 12 + j * 4 + k] as number);
    expect([...rev.dims]).toEqual([4, 3, 2]);
    expect([...rev.data]).toEqual(expectedRev);
  });

  const cases: { dims: number[]; perm: number[] | undefined }[] = [
    { dims: [], perm: undefined },
    { dims: [5], perm: [0] },
    { dims: [3, 4], perm: undefined },
    { dims: [2, 3, 4], perm: [1, 2, 0] },
    { dims: [2, 3, 4, 5], perm: [0, 2, 3, 1] },
    { dims: [2, 1, 3, 2, 2], perm: [4, 2, 0, 3, 1] },
  ];
  describe.each(['float32', 'float64', 'float16', 'int64'] as const)('kiln CPU (%s)', (dtype) => {
    it.each(cases)('dims $dims perm $perm', ({ dims, perm }) => {
      const x = randomTensor(dtype, dims, { seed: 6, low: -9, high: 9 });
      const res = runSingleNode('Transpose', [x], { perm });
      verifyGraph(res.graph);
      expectClose(res.kiln[0], res.reference[0], dtype === 'float32' ? { rtol: 0, atol: 0 } : toleranceFor(dtype));
    });
  });

  it('moving only size-1 axes is a view; a real permutation runs the routine', () => {
    expect(stepCount('Transpose', [randomTensor('float32', [3, 1, 4])], { perm: [1, 0, 2] })).toBe(0);
    expect(stepCount('Transpose', [randomTensor('float32', [3, 1, 4])], { perm: [2, 1, 0] })).toBe(1);
  });

  it('symbolic dims follow the permutation', () => {
    const b = new GraphBuilder();
    const y = b.op('Transpose', [b.input('x', 'float32', ['N', 'C', 5])], { perm: [0, 2, 1] });
    expect(y.type.shape).toEqual(['N', 5, 'C']);
    expect(() => verifyGraph(b.build([y]))).not.toThrow();
  });

  it('a perm that is not a permutation of the axes is an ArgumentError naming perm', () => {
    const build = (perm: number[]) => (): Value => {
      const b = new GraphBuilder();
      return b.op('Transpose', [b.input('x', 'float32', [2, 3, 4])], { perm }, 'bad_node');
    };
    expect(build([0, 0, 1])).toThrow(ArgumentError);
    expect(build([0, 0, 1])).toThrow(/Transpose 'bad_node': argument 'perm' expected a permutation of \[0,1,2\] \(input rank 3\), got \[0,0,1\]/);
    expect(build([1, 0])).toThrow(/argument 'perm' expected a permutation of \[0,1,2\]/);
    expect(build([-1, 0, 1])).toThrow(ArgumentError);
  });
});

describe('Flatten', () => {
  it('reference: [prod(d < axis), prod(d >= axis)], data unchanged', () => {
    const x = iota([2, 3, 4]);
    const dimsFor = (axis: number): number[] => [...reference('Flatten', [x], { axis }).dims];
    expect(dimsFor(1)).toEqual([2, 12]);
    expect(dimsFor(0)).toEqual([1, 24]);
    expect(dimsFor(3)).toEqual([24, 1]);
    expect(dimsFor(-1)).toEqual([6, 4]);
    expect(dimsFor(-3)).toEqual([1, 24]);
    expect([...reference('Flatten', [x]).data]).toEqual([...x.data]);
    expect([...reference('Flatten', [fromFloat64('float32', [], [7])], { axis: 0 }).dims]).toEqual([1, 1]);
  });

  const cases: { dims: number[]; axis: number; out: number[] }[] = [
    { dims: [], axis: 0, out: [1, 1] },
    { dims: [5], axis: 1, out: [5, 1] },
    { dims: [2, 3, 4], axis: -2, out: [2, 12] },
    { dims: [2, 3, 4, 5], axis: 2, out: [6, 20] },
    { dims: [2, 1, 3, 2, 2], axis: -1, out: [12, 2] },
  ];
  it.each(cases)('kiln CPU: dims $dims axis $axis is a view', ({ dims, axis, out }) => {
    const x = randomTensor('float32', dims, { seed: 2 });
    const res = runSingleNode('Flatten', [x], { axis });
    verifyGraph(res.graph);
    expect([...res.kiln[0].dims]).toEqual(out);
    expectClose(res.kiln[0], res.reference[0], { rtol: 0, atol: 0 });
    expect(stepCount('Flatten', [x], { axis })).toBe(0);
  });

  it('symbolic dims: a lone symbol survives, a mixed group becomes a fresh dim', () => {
    const b = new GraphBuilder();
    expect(b.op('Flatten', [b.input('x', 'float32', ['N', 3, 4])], {}, 'f1').type.shape).toEqual(['N', 12]);
    expect(b.op('Flatten', [b.input('y', 'float32', ['N', 'C', 4])], { axis: 2 }, 'f2').type.shape).toEqual(['f2_d0', 4]);
  });

  it('an axis outside [-r, r] is an ArgumentError naming axis', () => {
    const build = (axis: number) => (): Value => {
      const b = new GraphBuilder();
      return b.op('Flatten', [b.input('x', 'float32', [2, 3, 4])], { axis }, 'bad_node');
    };
    expect(build(4)).toThrow(ArgumentError);
    expect(build(4)).toThrow(/Flatten 'bad_node': argument 'axis' expected an integer in \[-3, 3\], got 4/);
    expect(build(-4)).toThrow(/argument 'axis' expected an integer in \[-3, 3\], got -4/);
  });
});
