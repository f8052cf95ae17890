// Cast: the float64 reference against conversions worked out here (truncation, != 0, half-precision
// rounding by hand), kiln CPU against the reference for every dtype pair (exact), typed errors.

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import { verifyGraph } from '../../compiler/ir/verify.js';
import { DType, DTYPES } from '../../core/dtype.js';
import { ArgumentError } from '../../core/errors.js';
import { F64Tensor, fromFloat64, HostTensor } from '../../core/tensor.js';
import { GraphSession } from '../../runtime/graph-session.js';
import { runReference } from '../../runtime/reference.js';
import { expectClose } from '../helpers/compare.js';
import { randomTensor } from '../helpers/random.js';
import { runSingleNode, singleNodeGraph } from '../helpers/single-node.js';

function cast(x: HostTensor, to: DType): F64Tensor {
  const { graph, feeds } = singleNodeGraph('Cast', [x], { to });
  return runReference(graph, feeds).outputs[graph.outputs[0].name];
}

/** Round x in [2^e, 2^(e+1)) to `mantissa` fraction bits, ties to even: the spacing is 2^(e − mantissa). */
function roundToBits(x: number, mantissa: number): number {
  const e = Math.floor(Math.log2(Math.abs(x)));
  const ulp = 2 ** (e - mantissa);
  const q = x / ulp;
  const r = Math.round(q);
  const even = Math.abs(q - Math.trunc(q)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
  return even * ulp;
}

describe('Cast: reference against hand conversions', () => {
  const x = fromFloat64('float64', [6], [1.7, -1.7, 2.5, -0.5, 0, 300.9]);

  it('float -> signed integers truncates toward zero', () => {
    expect(Array.from(cast(x, 'int32').data, (v) => v + 0)).toEqual([1, -1, 2, 0, 0, 300]);
    expect(Array.from(cast(x, 'int64').data, (v) => v + 0)).toEqual([1, -1, 2, 0, 0, 300]);
  });

  it('out-of-range integers wrap modulo 2^bits (undefined in ONNX; what typed arrays store)', () => {
    expect(Array.from(cast(x, 'int8').data, (v) => v + 0)).toEqual([1, -1, 2, 0, 0, 300 - 256]);
    expect(Array.from(cast(x, 'uint8').data, (v) => v + 0)).toEqual([1, 255, 2, 0, 0, 300 - 256]);
  });

  it('NaN and infinities have no integer value: kiln gives 0', () => {
    const odd = fromFloat64('float64', [3], [NaN, Infinity, -Infinity]);
    expect(Array.from(cast(odd, 'int32').data, (v) => v + 0)).toEqual([0, 0, 0]);
  });

  it('to bool is x != 0 (NaN is true)', () => {
    const v = fromFloat64('float64', [5], [0, -0, 2, -0.1, NaN]);
    expect([...cast(v, 'bool').data]).toEqual([0, 0, 1, 1, 1]);
  });

  it('to float16 / bfloat16 / float32 rounds to nearest', () => {
    const values = [1 / 3, -2.7182818, 1000.06, 0.1];
    const t = fromFloat64('float64', [4], values);
    expect([...cast(t, 'float16').data]).toEqual(values.map((v) => roundToBits(v, 10)));
    expect([...cast(t, 'bfloat16').data]).toEqual(values.map((v) => roundToBits(v, 7)));
    expect([...cast(t, 'float32').data]).toEqual(values.map((v) => roundToBits(v, 23)));
    expect(cast(t, 'float16').data[0]).toBe(1365 / 4096);
  });

  it('from bool and integers is exact', () => {
    expect([...cast(fromFloat64('bool', [3], [1, 0, 1]), 'float32').data]).toEqual([1, 0, 1]);
    expect([...cast(fromFloat64('int64', [2], [-5, 123456789]), 'float64').data]).toEqual([-5, 123456789]);
  });
});

/** Source values each dtype can hold, spread so that narrowing to int8/uint8 wraps sometimes. */
function sourceTensor(dtype: DType, dims: number[]): HostTensor {
  switch (dtype) {
    case 'bool': {
      const u = randomTensor('float64', dims, { seed: 4, low: 0, high: 1 }).data;
      return fromFloat64('bool', dims, u.map((v) => (v > 0.5 ? 1 : 0)));
    }
    case 'uint8': return randomTensor('uint8', dims, { seed: 4, low: 0, high: 255 });
    case 'int8': return randomTensor('int8', dims, { seed: 4, low: -128, high: 127 });
    default: return randomTensor(dtype, dims, { seed: 4, low: -300, high: 300 });
  }
}

describe('Cast: kiln CPU against the reference for every dtype pair (exact)', () => {
  const pairs = DTYPES.flatMap((from) => DTYPES.map((to) => ({ from, to })));
  it.each(pairs)('$from -> $to', ({ from, to }) => {
    const x = sourceTensor(from, [2, 3, 4]);
    const res = runSingleNode('Cast', [x], { to });
    verifyGraph(res.graph);
    expect(res.kiln[0].dtype).toBe(to);
    expectClose(res.kiln[0], res.reference[0], { rtol: 0, atol: 0 }, `${from}->${to}`);
  });

  it.each([{ dims: [] }, { dims: [5] }, { dims: [1, 2, 3, 1, 2] }])('ranks 0..5: float32 -> int32 with dims $dims', ({ dims }) => {
    const x = randomTensor('float32', dims, { seed: 9, low: -50, high: 50 });
    const res = runSingleNode('Cast', [x], { to: 'int32' });
    expectClose(res.kiln[0], res.reference[0], { rtol: 0, atol: 0 });
  });

  it('a cast to the same dtype is a view (no kernel)', () => {
    const { graph } = singleNodeGraph('Cast', [randomTensor('float32', [4])], { to: 'float32' });
    expect(new GraphSession(graph).planFor(new Map([['in0', [4]]])).steps).toHaveLength(0);
  });
});

describe('Cast: bad input', () => {
  it('an unknown target dtype is an ArgumentError naming `to`', () => {
    const notAType: string = 'float8e4m3';
    const build = (): unknown => {
      const b = new GraphBuilder();
      return b.op('Cast', [b.input('x', 'float32', [2])], { to: notAType as DType }, 'bad_node');
    };
    expect(build).toThrow(ArgumentError);
    expect(build).toThrow(/Cast 'bad_node': argument 'to' expected one of float32\|.*\|bool, got 'float8e4m3'/);
  });

  it('a missing `to` is an ArgumentError (required attribute)', () => {
    const build = (): unknown => {
      const b = new GraphBuilder();
      return b.op('Cast', [b.input('x', 'float32', [2])], {}, 'bad_node');
    };
    expect(build).toThrow(ArgumentError);
    expect(build).toThrow(/Cast 'bad_node': argument 'to' expected a value \(required attribute\), got nothing/);
  });

  it('verifyGraph accepts a cast chain with symbolic dims', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', ['N', 3]);
    const y = b.op('Cast', [b.op('Cast', [x], { to: 'float16' })], { to: 'int64' });
    expect(y.type).toEqual({ dtype: 'int64', shape: ['N', 3] });
    expect(() => verifyGraph(b.build([y]))).not.toThrow();
  });
});
