// Single-node parity with onnxruntime-node for the elementwise ops: Add, Sub, Mul, Div (integer
// truncation), Pow, variadic Max/Min over numpy broadcasting; Relu, Sigmoid, Tanh, Exp, Log, Sqrt,
// Reciprocal, Neg, Abs, Identity over dtypes and value ranges; Cast over dtype pairs.

import { describe, expect, it } from 'vitest';
import { DType, ONNX_DTYPE_CODE } from '../../../core/dtype.js';
import { fromFloat64, HostTensor } from '../../../core/tensor.js';
import { A } from '../../helpers/ort-single-node.js';
import { randomTensor, randomValues } from '../../helpers/random.js';
import { EXACT, expectMatchesReference, expectOrtParity, randomBool, randomInts } from './harness.js';

type Dims = readonly number[];

/** Broadcast forms: equal shapes, scalar, trailing vector, both sides stretched, rank mismatch. */
const BROADCASTS: readonly (readonly [string, Dims, Dims])[] = [
  ['same shape', [2, 3, 4], [2, 3, 4]],
  ['scalar B', [3, 5], []],
  ['scalar A', [], [4, 2]],
  ['trailing vector', [2, 3, 4], [4]],
  ['both stretched', [2, 1, 4], [3, 1]],
  ['rank 4 mixed', [1, 3, 1, 5], [2, 1, 4, 1]],
  ['size-0 axis', [2, 0, 3], [1, 3]],
];

/** Values of a dtype spread over [low, high] (integers rounded down; never zero when nonZero is set). */
function values(dtype: DType, dims: Dims, seed: number, low: number, high: number, nonZero?: number): HostTensor {
  if (dtype === 'float32' || dtype === 'float64' || dtype === 'float16') return randomTensor(dtype, dims, { seed, low, high });
  return randomInts(dtype, dims, seed, low, high, nonZero);
}

describe.each(['Add', 'Sub', 'Mul'] as const)('%s parity', (op) => {
  describe.each(['float32', 'float64', 'float16', 'int32', 'int64'] as const)('%s', (dtype) => {
    it.each(BROADCASTS)('%s %j %j', async (_n, aDims, bDims) => {
      const a = values(dtype, aDims, 1, -50, 50);
      const b = values(dtype, bDims, 2, -50, 50);
      await expectOrtParity({ op, inputs: [a, b] });
    });
  });
});

describe('Div parity', () => {
  describe.each(['float32', 'float64', 'float16'] as const)('%s', (dtype) => {
    it.each(BROADCASTS)('%s %j %j', async (_n, aDims, bDims) => {
      // Divisors kept away from 0 so the quotient stays well conditioned.
      const a = values(dtype, aDims, 3, -5, 5);
      const magnitudes = randomValues(bDims.reduce((p, d) => p * d, 1), { seed: 4, low: 0.25, high: 3 });
      const b = fromFloat64(dtype, bDims, magnitudes.map((v, i) => (i % 2 === 0 ? v : -v)));
      await expectOrtParity({ op: 'Div', inputs: [a, b] });
    });
  });

  // Integer Div truncates toward zero (C++ semantics; −7 / 2 = −3, not numpy's floor −4). Divisors are
  // never 0 (undefined in ONNX).
  describe.each(['int32', 'int64'] as const)('%s truncation', (dtype) => {
    it.each(BROADCASTS)('%s %j %j', async (_n, aDims, bDims) => {
      const a = values(dtype, aDims, 5, -60, 60);
      const b = values(dtype, bDims, 6, -7, 7, 3);
      await expectOrtParity({ op: 'Div', inputs: [a, b] });
    });

    it('hand-picked signs: ±7 / ±2, ±1 / ±3, 0 / −5', async () => {
      const a = fromFloat64(dtype, [8], [7, -7, 7, -7, 1, -1, 0, 9]);
      const b = fromFloat64(dtype, [8], [2, 2, -2, -2, 3, -3, -5, 4]);
      const r = await expectOrtParity({ op: 'Div', inputs: [a, b] });
      expect([...r.kiln[0].data].map(Number)).toEqual([3, -3, -3, 3, 0, 0, 0, 2]);
    });
  });
});

describe('Pow parity', () => {
  describe.each(['float32', 'float64', 'float16'] as const)('%s', (dtype) => {
    it.each(BROADCASTS)('positive base, real exponent: %s %j %j', async (_n, aDims, bDims) => {
      const x = values(dtype, aDims, 7, 0.1, 3);
      const y = values(dtype, bDims, 8, -2.5, 2.5);
      await expectOrtParity({ op: 'Pow', inputs: [x, y] });
    });

    it('negative base with integer exponents, 0^0 and 0^−1', async () => {
      const x = fromFloat64(dtype, [10], [-2, -2, -3, -1.5, 0, 0, -0.5, 2, -4, 1]);
      const y = fromFloat64(dtype, [10], [2, 3, -1, 2, 0, -1, -3, 0.5, 0.5, 7]);
      await expectOrtParity({ op: 'Pow', inputs: [x, y] });
    });
  });
});

/** Variadic forms: one input, two, three and four with broadcasting. */
const VARIADIC: readonly (readonly [string, readonly Dims[]])[] = [
  ['one input', [[2, 3, 4]]],
  ['two same shape', [[3, 4], [3, 4]]],
  ['two broadcast', [[2, 3, 4], [3, 1]]],
  ['three broadcast', [[2, 3, 4], [4], [2, 1, 1]]],
  ['four with scalar', [[5], [2, 5], [], [2, 1]]],
];

describe.each(['Max', 'Min'] as const)('%s parity (variadic)', (op) => {
  describe.each(['float32', 'float64', 'float16', 'int32', 'int64'] as const)('%s', (dtype) => {
    it.each(VARIADIC)('%s', async (_n, shapes) => {
      await expectOrtParity({ op, inputs: shapes.map((d, i) => values(dtype, d, 20 + i, -100, 100)) });
    });
  });

  it('NaN in either position propagates; ties and ±0', async () => {
    const a = fromFloat64('float32', [6], [NaN, 1, 2, 0, -0, Infinity]);
    const b = fromFloat64('float32', [6], [1, NaN, 2, -0, 0, -Infinity]);
    await expectOrtParity({ op, inputs: [a, b] });
  });
});

interface UnaryCase {
  readonly dtypes: readonly DType[];
  readonly low: number;
  readonly high: number;
}

/** Input ranges per op: wide enough to reach saturation / large outputs, inside each op's domain. */
const UNARY = {
  Relu: { dtypes: ['float32', 'float64', 'float16', 'int32', 'int8', 'int64'], low: -10, high: 10 },
  Sigmoid: { dtypes: ['float32', 'float64', 'float16'], low: -20, high: 20 },
  Tanh: { dtypes: ['float32', 'float64', 'float16'], low: -10, high: 10 },
  Exp: { dtypes: ['float32', 'float64', 'float16'], low: -20, high: 20 },
  Log: { dtypes: ['float32', 'float64', 'float16'], low: 1e-3, high: 100 },
  Sqrt: { dtypes: ['float32', 'float64', 'float16'], low: 0, high: 100 },
  Reciprocal: { dtypes: ['float32', 'float64', 'float16'], low: 0.05, high: 20 },
  Neg: { dtypes: ['float32', 'float64', 'float16', 'int32', 'int64', 'int8'], low: -100, high: 100 },
  Abs: { dtypes: ['float32', 'float64', 'float16', 'int32', 'int64', 'int8', 'uint8'], low: -100, high: 100 },
  Identity: { dtypes: ['float32', 'float64', 'float16', 'int32', 'int64', 'int8', 'uint8', 'bool'], low: -100, high: 100 },
} as const satisfies Record<string, UnaryCase>;

const UNARY_SHAPES: readonly Dims[] = [[], [7], [2, 3, 5], [2, 1, 3, 4]];

type UnaryOp = keyof typeof UNARY;

describe.each(Object.keys(UNARY) as UnaryOp[])('%s parity', (op) => {
  const c: UnaryCase = UNARY[op];
  const cases = c.dtypes.flatMap((dtype) => UNARY_SHAPES.map((dims) => [dtype, dims] as const));
  it.each(cases)('%s %j', async (dtype, dims) => {
    const low = dtype === 'uint8' ? 0 : c.low;
    const high = dtype === 'int8' || dtype === 'uint8' ? Math.min(c.high, 100) : c.high;
    const x = dtype === 'bool' ? randomBool(dims, 9) : values(dtype, dims, 9, low, high);
    if (op === 'Relu' && dtype === 'int64') {
      // ONNX Relu-14 allows int64, but onnxruntime-node registers no CPU kernel for it ("Could not find
      // an implementation for Relu(14)"): the float64 reference is the oracle, exactly.
      expectMatchesReference(op, [x], {}, 1, EXACT);
      return;
    }
    await expectOrtParity({ op, inputs: [x] });
  });
});

describe('unary special values', () => {
  // Outside the domain and at the poles: NaN, ±Infinity and −0 must agree too.
  const special = fromFloat64('float32', [9], [-1, -0, 0, 1, Infinity, -Infinity, NaN, 1e-30, -1e30]);
  it.each(['Relu', 'Sigmoid', 'Tanh', 'Exp', 'Log', 'Sqrt', 'Reciprocal', 'Neg', 'Abs', 'Identity'] as const)('%s', async (op) => {
    await expectOrtParity({ op, inputs: [special] });
  });
});

/** Cast pairs with input ranges inside the defined conversions (float → int: finite and in range). */
const CASTS: readonly (readonly [DType, DType, number, number])[] = [
  ['float32', 'int32', -1000, 1000],
  ['float32', 'int64', -1e6, 1e6],
  ['float32', 'int8', -120, 120],
  ['float32', 'uint8', 0, 250],
  ['float32', 'float16', -7e4, 7e4],
  ['float32', 'float64', -1e3, 1e3],
  ['float32', 'bool', -2, 2],
  ['float64', 'float32', -1e3, 1e3],
  ['float64', 'int64', -1e9, 1e9],
  ['float64', 'float16', -100, 100],
  ['float16', 'float32', -1000, 1000],
  ['float16', 'int32', -1000, 1000],
  ['float16', 'float64', -10, 10],
  ['int64', 'float32', -1e7, 1e7],
  ['int64', 'int32', -1e6, 1e6],
  ['int64', 'float16', -2000, 2000],
  ['int64', 'bool', -3, 3],
  ['int32', 'int64', -1e9, 1e9],
  ['int32', 'float64', -1e9, 1e9],
  ['int32', 'int8', -100, 100],
  ['uint8', 'float32', 0, 255],
  ['bool', 'float32', 0, 1],
  ['bool', 'int64', 0, 1],
  ['bool', 'float16', 0, 1],
  ['float32', 'float32', -5, 5],
];

describe('Cast parity', () => {
  // Cast is exact by definition (round to nearest even into floats, truncation into integers), so
  // every pair is compared bit for bit.
  it.each(CASTS)('%s -> %s', async (from, to, low, high) => {
    const dims = [3, 4, 5];
    const x = from === 'bool' ? randomBool(dims, 11) : values(from, dims, 11, low, high);
    const r = await expectOrtParity({ op: 'Cast', inputs: [x], attrs: { to }, ort: { attrs: { to: A.int(ONNX_DTYPE_CODE[to]) } }, tol: EXACT });
    expect(r.kiln[0].dtype).toBe(to);
  });

  it('float32 -> float16 rounds half to even and overflows to ±Infinity', async () => {
    // 1 + 2⁻¹¹ is halfway between two halves; 65520 is the first value that rounds to infinity.
    const x = fromFloat64('float32', [6], [1 + 2 ** -11, 1 + 3 * 2 ** -11, 65504, 65520, -65520, 6e-8]);
    await expectOrtParity({ op: 'Cast', inputs: [x], attrs: { to: 'float16' }, ort: { attrs: { to: A.int(ONNX_DTYPE_CODE.float16) } }, tol: EXACT });
  });
});
