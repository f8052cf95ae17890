// MatMul (opset 13, numpy.matmul): the float64 reference against hand products and a plain-loop
// matmul written here, kiln CPU against the reference over 1-D promotion and batch broadcasting,
// typed errors for bad shapes and dtypes.

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import type { Value } from '../../compiler/ir/types.js';
import type { DType } from '../../core/dtype.js';
import { DTypeError, ShapeError } from '../../core/errors.js';
import { Shape, sizeOf, stridesOf } from '../../core/shape.js';
import { F64Tensor, fromFloat64, HostTensor, toFloat64 } from '../../core/tensor.js';
import { GraphSession } from '../../runtime/graph-session.js';
import { runReference } from '../../runtime/reference.js';
import { expectClose, toleranceFor } from '../helpers/compare.js';
import { randomTensor } from '../helpers/random.js';
import { runSingleNode, singleNodeGraph } from '../helpers/single-node.js';

function reference(a: HostTensor, b: HostTensor): F64Tensor {
  const { graph, feeds } = singleNodeGraph('MatMul', [a, b]);
  return runReference(graph, feeds).outputs[graph.outputs[0].name];
}

function buildMatMul(a: readonly [DType, Shape], b: readonly [DType, Shape]): () => Value {
  return () => {
    const g = new GraphBuilder();
    return g.op('MatMul', [g.input('a', a[0], a[1]), g.input('b', b[0], b[1])], {}, 'mm_node');
  };
}

/** numpy.matmul by definition, for ranks >= 2 with the same batch rank (broadcast by coordinates). */
function matmulByHand(a: F64Tensor, b: F64Tensor, outDims: readonly number[]): Float64Array {
  const r = outDims.length;
  const k = a.dims[a.dims.length - 1];
  const out = new Float64Array(sizeOf(outDims));
  const os = stridesOf(outDims);
  const as = stridesOf(a.dims);
  const bs = stridesOf(b.dims);
  for (let idx = 0; idx < out.length; idx++) {
    const coord = outDims.map((d, i) => Math.floor(idx / os[i]) % d);
    let s = 0;
    for (let q = 0; q < k; q++) {
      let ai = q * as[r - 1] + coord[r - 2] * as[r - 2];
      let bi = q * bs[r - 2] + coord[r - 1] * bs[r - 1];
      for (let d = 0; d < r - 2; d++) {
        ai += a.dims[d] === 1 ? 0 : coord[d] * as[d];
        bi += b.dims[d] === 1 ? 0 : coord[d] * bs[d];
      }
      s += a.data[ai] * b.data[bi];
    }
    out[idx] = s;
  }
  return out;
}

describe('MatMul reference against hand products', () => {
  it('2x2 by 2x2', () => {
    const y = reference(fromFloat64('float64', [2, 2], [1, 2, 3, 4]), fromFloat64('float64', [2, 2], [5, 6, 7, 8]));
    expect(y.dims).toEqual([2, 2]);
    expect([...y.data]).toEqual([19, 22, 43, 50]);
  });

  it('1-D promotion on either side and both (numpy semantics)', () => {
    const v = fromFloat64('float64', [2], [1, 2]);
    const m = fromFloat64('float64', [2, 3], [1, 2, 3, 4, 5, 6]);
    const vm = reference(v, m);
    expect(vm.dims).toEqual([3]);
    expect([...vm.data]).toEqual([9, 12, 15]);
    const mt = fromFloat64('float64', [3, 2], [1, 4, 2, 5, 3, 6]);
    const mv = reference(mt, v);
    expect(mv.dims).toEqual([3]);
    expect([...mv.data]).toEqual([9, 12, 15]);
    const dot = reference(v, fromFloat64('float64', [2], [3, -4]));
    expect(dot.dims).toEqual([]);
    expect([...dot.data]).toEqual([-5]);
    // 1-D A against a batched B: [K] · [2, K, N] -> [2, N]
    const bb = fromFloat64('float64', [2, 2, 2], [1, 0, 0, 1, 2, 0, 0, 3]);
    const vb = reference(v, bb);
    expect(vb.dims).toEqual([2, 2]);
    expect([...vb.data]).toEqual([1, 2, 2, 6]);
  });

  it('batch broadcasting against a plain-loop matmul', () => {
    const a = randomTensor('float64', [2, 1, 3, 4], { seed: 3 });
    const b = randomTensor('float64', [1, 5, 4, 2], { seed: 4 });
    const y = reference(a, b);
    expect(y.dims).toEqual([2, 5, 3, 2]);
    const want = matmulByHand(toFloat64(a), toFloat64(b), [2, 5, 3, 2]);
    expectClose(y, { dims: [2, 5, 3, 2], data: want }, { rtol: 1e-12, atol: 1e-12 });
  });
});

describe('MatMul kiln CPU against the reference', () => {
  const cases: readonly (readonly [string, readonly number[], readonly number[]])[] = [
    ['2-D', [3, 4], [4, 5]],
    ['square 33', [33, 33], [33, 33]],
    ['1-D x 2-D', [4], [4, 5]],
    ['2-D x 1-D', [3, 4], [4]],
    ['1-D x 1-D', [7], [7]],
    ['batched x 2-D', [2, 3, 4], [4, 5]],
    ['2-D x batched', [3, 4], [2, 4, 5]],
    ['broadcast batch dims', [2, 1, 3, 4], [5, 4, 6]],
    ['broadcast both ways', [1, 3, 2, 4], [2, 1, 4, 3]],
    ['1-D x batched', [4], [3, 4, 2]],
    ['batched x 1-D', [2, 3, 3, 4], [4]],
    ['K = 1', [5, 1], [1, 6]],
  ];
  it.each(cases)('%s: %j x %j (float32)', (_name, ad, bd) => {
    const r = runSingleNode('MatMul', [randomTensor('float32', ad, { seed: 11 }), randomTensor('float32', bd, { seed: 12 })]);
    expectClose(r.kiln[0], r.reference[0], { rtol: 1e-5, atol: 1e-5 });
  });

  it.each(['float64', 'float16', 'int32', 'int64'] as const)('dtype %s', (dtype) => {
    const ints = dtype === 'int32' || dtype === 'int64';
    const o = ints ? { seed: 5, low: -9, high: 9 } : { seed: 5 };
    const a = ints ? fromFloat64(dtype, [2, 3, 4], randomTensor('float64', [2, 3, 4], o).data.map(Math.round)) : randomTensor(dtype, [2, 3, 4], o);
    const b = ints ? fromFloat64(dtype, [4, 5], randomTensor('float64', [4, 5], { ...o, seed: 6 }).data.map(Math.round)) : randomTensor(dtype, [4, 5], { seed: 6 });
    const r = runSingleNode('MatMul', [a, b]);
    expect(r.kiln[0].dtype).toBe(dtype);
    expectClose(r.kiln[0], r.reference[0], toleranceFor(dtype));
  });

  it('lowers to one matmul routine (nothing folded)', () => {
    const { graph } = singleNodeGraph('MatMul', [randomTensor('float32', [4], { seed: 1 }), randomTensor('float32', [2, 4, 3], { seed: 2 })]);
    const plan = new GraphSession(graph).planFor(new Map([['in0', [4]], ['in1', [2, 4, 3]]]));
    const routines = plan.steps.filter((s) => s.kind === 'routine');
    expect(routines.map((s) => (s.kind === 'routine' ? s.call.routine : ''))).toEqual(['matmul']);
  });
});

describe('MatMul typed errors', () => {
  it('contracted dims differ', () => {
    const f = buildMatMul(['float32', [3, 4]], ['float32', [5, 6]]);
    expect(f).toThrow(ShapeError);
    expect(f).toThrow(/MatMul 'mm_node': input 'B' expected shape \[4,6\].*got \[5,6\]/);
  });

  it('1-D operands of different lengths', () => {
    expect(buildMatMul(['float32', [3]], ['float32', [4]])).toThrow(/MatMul 'mm_node': input 'B' expected shape \[3\].*got \[4\]/);
  });

  it('batch dims that do not broadcast', () => {
    const f = buildMatMul(['float32', [2, 3, 4]], ['float32', [3, 4, 5]]);
    expect(f).toThrow(ShapeError);
    expect(f).toThrow(/MatMul 'mm_node': input 'B' expected shape broadcastable with \[2\].*got \[3\]/);
  });

  it('scalar operand', () => {
    expect(buildMatMul(['float32', []], ['float32', [3]])).toThrow(ShapeError);
    expect(buildMatMul(['float32', []], ['float32', [3]])).toThrow(/input 'A' expected shape rank >= 1/);
  });

  it('mixed and unsupported dtypes', () => {
    const mixed = buildMatMul(['float32', [2, 2]], ['float64', [2, 2]]);
    expect(mixed).toThrow(DTypeError);
    expect(mixed).toThrow(/MatMul 'mm_node': input 'B' expected dtype float32 \(same as 'A'\), got float64/);
    const bool = buildMatMul(['bool', [2, 2]], ['bool', [2, 2]]);
    expect(bool).toThrow(DTypeError);
    expect(bool).toThrow(/input 'A' expected dtype one of .*int64, got bool/);
  });

  it('symbolic dims pass inference and keep their names', () => {
    const g = new GraphBuilder();
    const y = g.op('MatMul', [g.input('a', 'float32', ['batch', 3, 'k']), g.input('b', 'float32', ['k', 5])]);
    expect(y.type.shape).toEqual(['batch', 3, 5]);
  });
});
