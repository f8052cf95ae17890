// Gemm (opset 13): the float64 reference against hand products, kiln CPU against the reference over
// transA/transB, alpha/beta and every broadcast form of C, typed errors for bad shapes, flags and dtypes.

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import type { Value } from '../../compiler/ir/types.js';
import type { DType } from '../../core/dtype.js';
import { ArgumentError, DTypeError, ShapeError } from '../../core/errors.js';
import type { Shape } from '../../core/shape.js';
import { F64Tensor, fromFloat64, HostTensor } from '../../core/tensor.js';
import type { GemmAttrs } from '../../ops/gemm.js';
import { runReference } from '../../runtime/reference.js';
import { expectClose, toleranceFor } from '../helpers/compare.js';
import { randomTensor } from '../helpers/random.js';
import { runSingleNode, singleNodeGraph } from '../helpers/single-node.js';

function reference(inputs: readonly (HostTensor | undefined)[], attrs: Partial<GemmAttrs> = {}): F64Tensor {
  const { graph, feeds } = singleNodeGraph('Gemm', inputs, attrs);
  return runReference(graph, feeds).outputs[graph.outputs[0].name];
}

function buildGemm(inputs: readonly (readonly [DType, Shape])[], attrs: Partial<GemmAttrs> = {}): () => Value {
  return () => {
    const g = new GraphBuilder();
    return g.op('Gemm', inputs.map(([d, s], i) => g.input(`in${i}`, d, s)), attrs, 'gemm_node');
  };
}

const t = (dims: readonly number[], values: readonly number[]): HostTensor => fromFloat64('float64', dims, values);

describe('Gemm reference against hand products', () => {
  const a = t([2, 2], [1, 2, 3, 4]);
  const b = t([2, 2], [5, 6, 7, 8]);

  it('defaults: Y = A·B (+ C)', () => {
    expect([...reference([a, b]).data]).toEqual([19, 22, 43, 50]);
    expect([...reference([a, b, t([2, 2], [1, 1, 1, 1])]).data]).toEqual([20, 23, 44, 51]);
  });

  it('alpha, beta and a row-vector C broadcast over M', () => {
    const y = reference([a, b, t([2], [1, 2])], { alpha: 2, beta: 0.5 });
    expect([...y.data]).toEqual([38.5, 45, 86.5, 101]);
  });

  it('column C [M,1] and scalar C', () => {
    expect([...reference([a, b, t([2, 1], [10, 20])]).data]).toEqual([29, 32, 63, 70]);
    expect([...reference([a, b, t([], [-1])], { beta: 2 }).data]).toEqual([17, 20, 41, 48]);
  });

  it('transA and transB', () => {
    // Aᵀ = [[1,3],[2,4]]; Aᵀ·B = [[26,30],[38,44]]
    expect([...reference([a, b], { transA: 1 }).data]).toEqual([26, 30, 38, 44]);
    // Bᵀ = [[5,7],[6,8]]; A·Bᵀ = [[17,23],[39,53]]
    expect([...reference([a, b], { transB: 1 }).data]).toEqual([17, 23, 39, 53]);
    // Aᵀ·Bᵀ = [[23,31],[34,46]]
    expect([...reference([a, b], { transA: 1, transB: 1 }).data]).toEqual([23, 31, 34, 46]);
  });

  it('non-square with transposes: [K,M]ᵀ·[N,K]ᵀ', () => {
    const at = t([3, 2], [1, 2, 3, 4, 5, 6]); // A = [[1,3,5],[2,4,6]]
    const bt = t([1, 3], [1, 0, -1]); // B = [[1],[0],[-1]]
    const y = reference([at, bt], { transA: 1, transB: 1 });
    expect(y.dims).toEqual([2, 1]);
    expect([...y.data]).toEqual([-4, -4]);
  });
});

describe('Gemm kiln CPU against the reference', () => {
  const m = 5;
  const k = 7;
  const n = 6;
  const cShapes: readonly (readonly number[] | undefined)[] = [undefined, [m, n], [n], [1, n], [m, 1], [1, 1], [1], []];
  const combos = [0, 1].flatMap((transA) => [0, 1].flatMap((transB) => cShapes.map((c) => [transA, transB, c] as const)));

  it.each(combos)('transA=%i transB=%i C=%j', (transA, transB, c) => {
    const a = randomTensor('float32', transA ? [k, m] : [m, k], { seed: 21 });
    const b = randomTensor('float32', transB ? [n, k] : [k, n], { seed: 22 });
    const cT = c === undefined ? undefined : randomTensor('float32', c, { seed: 23 });
    const r = runSingleNode('Gemm', [a, b, cT], { transA, transB, alpha: 0.75, beta: -1.5 });
    expect(r.kiln[0].dims).toEqual([m, n]);
    expectClose(r.kiln[0], r.reference[0], { rtol: 1e-5, atol: 1e-5 });
  });

  it.each([
    [1, 1],
    [1, 0],
    [-2, 0.25],
  ] as const)('alpha=%d beta=%d with full C', (alpha, beta) => {
    const r = runSingleNode('Gemm', [randomTensor('float32', [9, 16], { seed: 1 }), randomTensor('float32', [16, 3], { seed: 2 }), randomTensor('float32', [9, 3], { seed: 3 })], { alpha, beta });
    expectClose(r.kiln[0], r.reference[0], { rtol: 1e-5, atol: 1e-5 });
  });

  it.each(['float64', 'float16', 'int32'] as const)('dtype %s', (dtype) => {
    const mk = (dims: readonly number[], seed: number): HostTensor =>
      dtype === 'int32' ? fromFloat64('int32', dims, randomTensor('float64', dims, { seed, low: -5, high: 5 }).data.map(Math.round)) : randomTensor(dtype, dims, { seed });
    const r = runSingleNode('Gemm', [mk([4, 3], 1), mk([4, 5], 2), mk([5], 3)], { transA: 1, alpha: 2, beta: 3 });
    expect(r.kiln[0].dtype).toBe(dtype);
    expectClose(r.kiln[0], r.reference[0], toleranceFor(dtype));
  });
});

describe('Gemm typed errors', () => {
  it('inner dims differ', () => {
    const f = buildGemm([['float32', [3, 4]], ['float32', [5, 6]]]);
    expect(f).toThrow(ShapeError);
    expect(f).toThrow(/Gemm 'gemm_node': input 'B' expected shape \[4,6\] \(K = 4.*got \[5,6\]/);
    // transB: B must be [N, K]
    expect(buildGemm([['float32', [3, 4]], ['float32', [6, 5]]], { transB: 1 })).toThrow(/input 'B' expected shape \[6,4\].*transB=1.*got \[6,5\]/);
  });

  it('C not unidirectionally broadcastable to [M,N]', () => {
    const f = buildGemm([['float32', [3, 4]], ['float32', [4, 5]], ['float32', [5, 3]]]);
    expect(f).toThrow(ShapeError);
    expect(f).toThrow(/Gemm 'gemm_node': input 'C' expected shape unidirectionally broadcastable to \[M,N\] = \[3,5\], got \[5,3\]/);
    expect(buildGemm([['float32', [3, 4]], ['float32', [4, 5]], ['float32', [1, 3, 5]]])).toThrow(/input 'C'.*got \[1,3,5\]/);
  });

  it('A or B not 2-D', () => {
    const f = buildGemm([['float32', [2, 3, 4]], ['float32', [4, 5]]]);
    expect(f).toThrow(ShapeError);
    expect(f).toThrow(/input 'A' expected shape rank 2, got \[2,3,4\]/);
  });

  it('bad flags and scalars', () => {
    const f = buildGemm([['float32', [3, 4]], ['float32', [4, 5]]], { transA: 2 });
    expect(f).toThrow(ArgumentError);
    expect(f).toThrow(/Gemm 'gemm_node': argument 'transA' expected 0 or 1, got 2/);
    expect(buildGemm([['float32', [3, 4]], ['float32', [4, 5]]], { alpha: Number.NaN })).toThrow(/argument 'alpha' expected a finite number/);
  });

  it('dtypes', () => {
    const f = buildGemm([['float32', [3, 4]], ['float32', [4, 5]], ['float64', [5]]]);
    expect(f).toThrow(DTypeError);
    expect(f).toThrow(/input 'C' expected dtype float32 \(same as 'A'\), got float64/);
    expect(buildGemm([['uint8', [3, 4]], ['uint8', [4, 5]]])).toThrow(/input 'A' expected dtype one of .*, got uint8/);
  });
});
