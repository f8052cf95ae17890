// Clip, LeakyRelu, HardSigmoid, HardSwish and the variadic Sum: the float64 reference against formulas
// from the ONNX spec pages, kiln CPU against the reference (dtypes, attribute combinations, NaN,
// broadcasting), typed errors, and single-node parity with onnxruntime-node.

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import type { Value } from '../../compiler/ir/types.js';
import type { DType } from '../../core/dtype.js';
import { ArgumentError, DTypeError, ShapeError } from '../../core/errors.js';
import type { Shape } from '../../core/shape.js';
import { F64Tensor, fromFloat64, HostTensor, toFloat64 } from '../../core/tensor.js';
import type { OpAttrs, OpName } from '../../ops/op-attrs.js';
import { runReference } from '../../runtime/reference.js';
import { expectClose, toleranceFor } from '../helpers/compare.js';
import { A, OrtAttr, runOrtSingleNode } from '../helpers/ort-single-node.js';
import { randomTensor, randomValues } from '../helpers/random.js';
import { runSingleNode, singleNodeGraph } from '../helpers/single-node.js';

function reference<K extends OpName>(op: K, inputs: readonly HostTensor[], attrs: Partial<OpAttrs[K]> = {}): F64Tensor {
  const { graph, feeds } = singleNodeGraph(op, inputs, attrs);
  return runReference(graph, feeds).outputs[graph.outputs[0].name];
}

function f64(values: readonly number[], dims: readonly number[] = [values.length]): HostTensor {
  return fromFloat64('float64', dims, values);
}

/** Builds one `op` node on fresh graph inputs each call. */
function buildNode<K extends OpName>(op: K, inputs: readonly (readonly [DType, Shape])[], attrs: Partial<OpAttrs[K]> = {}, name = 'bad_node'): () => Value {
  return () => {
    const b = new GraphBuilder();
    return b.op(op, inputs.map(([d, sh], i) => b.input(`in${i}`, d, sh)), attrs, name);
  };
}

/** Seeded values with NaN at every 7th element, so NaN propagation is exercised in every kernel. */
function withNaN<D extends DType>(dtype: D, dims: readonly number[], low: number, high: number, seed: number): HostTensor<D> {
  const n = dims.reduce((a, b) => a * b, 1);
  const v = randomValues(n, { seed, low, high });
  for (let i = 3; i < n; i += 7) v[i] = NaN;
  return fromFloat64(dtype, dims, v);
}

const FLOATS = ['float32', 'float64', 'float16'] as const;
const SHAPES: readonly number[][] = [[], [7], [3, 4], [2, 3, 5], [2, 1, 3, 4]];

describe('activations: reference against hand formulas', () => {
  const xs = [-8, -3, -1.5, -0.25, 0, 0.25, 1.5, 3, 8];

  it('Clip is min(max, max(x, min)); defaults leave ±inf alone; NaN propagates', () => {
    const x = [...xs, NaN, -Infinity, Infinity];
    expect([...reference('Clip', [f64(x)], { min: -1, max: 2 }).data]).toEqual(x.map((v) => (Number.isNaN(v) ? NaN : v < -1 ? -1 : v > 2 ? 2 : v)));
    expect([...reference('Clip', [f64(x)]).data]).toEqual(x);
    expect([...reference('Clip', [f64(x)], { min: 0 }).data]).toEqual(x.map((v) => (Number.isNaN(v) ? NaN : v < 0 ? 0 : v)));
    expect([...reference('Clip', [f64(x)], { max: 0.5 }).data]).toEqual(x.map((v) => (Number.isNaN(v) ? NaN : v > 0.5 ? 0.5 : v)));
  });

  it('Clip with min > max sets every element to max (ONNX Clip text)', () => {
    expect([...reference('Clip', [f64(xs)], { min: 2, max: -1 }).data]).toEqual(xs.map(() => -1));
  });

  it('Clip on int32 is exact', () => {
    const x = fromFloat64('int32', [5], [-100, -3, 0, 4, 100]);
    expect([...reference('Clip', [x], { min: -3, max: 5 }).data]).toEqual([-3, -3, 0, 4, 5]);
  });

  it('LeakyRelu is x for x >= 0 and alpha·x below (default alpha 0.01)', () => {
    expect([...reference('LeakyRelu', [f64(xs)]).data]).toEqual(xs.map((v) => (v >= 0 ? v : 0.01 * v)));
    expect([...reference('LeakyRelu', [f64(xs)], { alpha: 0.3 }).data]).toEqual(xs.map((v) => (v >= 0 ? v : 0.3 * v)));
    expect(Number.isNaN(reference('LeakyRelu', [f64([NaN])]).data[0])).toBe(true);
  });

  it('HardSigmoid is max(0, min(1, alpha·x + beta)) (defaults 0.2, 0.5)', () => {
    expect([...reference('HardSigmoid', [f64([-5, -2.5, 0, 1, 2.5, 5])]).data]).toEqual([0, 0, 0.5, 0.7, 1, 1]);
    const r = reference('HardSigmoid', [f64(xs)], { alpha: 0.5, beta: 0.25 });
    r.data.forEach((v, i) => expect(v).toBeCloseTo(Math.max(0, Math.min(1, 0.5 * xs[i] + 0.25)), 15));
  });

  it('HardSwish is x·max(0, min(1, x/6 + 1/2)): 0 below -3, x above 3', () => {
    const r = reference('HardSwish', [f64(xs)]);
    r.data.forEach((v, i) => {
      const x = xs[i];
      expect(v).toBeCloseTo(x <= -3 ? 0 : x >= 3 ? x : (x * (x + 3)) / 6, 14);
    });
  });

  it('Sum adds 1..N inputs with numpy broadcasting', () => {
    const a = f64([1, 2, 3], [1, 3]);
    const b = f64([10, 20], [2, 1]);
    const c = f64([100], []);
    expect([...reference('Sum', [a, b, c]).data]).toEqual([111, 112, 113, 121, 122, 123]);
    expect([...reference('Sum', [a]).data]).toEqual([1, 2, 3]);
    expect(reference('Sum', [a, b, c]).dims).toEqual([2, 3]);
  });
});

type ActivationCase = { [K in 'Clip' | 'LeakyRelu' | 'HardSigmoid' | 'HardSwish']: { op: K; attrs: Partial<OpAttrs[K]> } }['Clip' | 'LeakyRelu' | 'HardSigmoid' | 'HardSwish'];

const ACTIVATION_CASES: readonly ActivationCase[] = [
  { op: 'Clip', attrs: { min: -0.5, max: 0.75 } },
  { op: 'Clip', attrs: { min: -0.5 } },
  { op: 'Clip', attrs: { max: 0.25 } },
  { op: 'Clip', attrs: {} },
  { op: 'Clip', attrs: { min: 1, max: -1 } },
  { op: 'LeakyRelu', attrs: {} },
  { op: 'LeakyRelu', attrs: { alpha: 0.2 } },
  { op: 'LeakyRelu', attrs: { alpha: -1.5 } },
  { op: 'HardSigmoid', attrs: {} },
  { op: 'HardSigmoid', attrs: { alpha: 0.5, beta: 0.1 } },
  { op: 'HardSigmoid', attrs: { alpha: -1, beta: 0 } },
  { op: 'HardSwish', attrs: {} },
];

function runCase(c: ActivationCase, x: HostTensor): { kiln: HostTensor; reference: F64Tensor } {
  // The union is split so each call sees one op's attribute type.
  switch (c.op) {
    case 'Clip': { const r = runSingleNode('Clip', [x], c.attrs); return { kiln: r.kiln[0], reference: r.reference[0] }; }
    case 'LeakyRelu': { const r = runSingleNode('LeakyRelu', [x], c.attrs); return { kiln: r.kiln[0], reference: r.reference[0] }; }
    case 'HardSigmoid': { const r = runSingleNode('HardSigmoid', [x], c.attrs); return { kiln: r.kiln[0], reference: r.reference[0] }; }
    case 'HardSwish': { const r = runSingleNode('HardSwish', [x], c.attrs); return { kiln: r.kiln[0], reference: r.reference[0] }; }
  }
}

const caseName = (c: ActivationCase): string => `${c.op} ${JSON.stringify(c.attrs)}`;

describe.each(FLOATS)('activations: kiln CPU against the reference (%s)', (dtype) => {
  describe.each(ACTIVATION_CASES.map((c) => ({ c, name: caseName(c) })))('$name', ({ c }) => {
    it.each(SHAPES.map((dims) => ({ dims })))('dims $dims', ({ dims }) => {
      const x = randomTensor(dtype, dims, { seed: 11, low: -5, high: 5 });
      const r = runCase(c, x);
      expect(r.kiln.dtype).toBe(dtype);
      expectClose(r.kiln, r.reference, toleranceFor(dtype), c.op);
    });

    it('NaN inputs propagate', () => {
      const r = runCase(c, withNaN(dtype, [4, 6], -5, 5, 12));
      expectClose(r.kiln, r.reference, toleranceFor(dtype), c.op);
      expect(Number.isNaN(toFloat64(r.kiln).data[3])).toBe(true);
    });
  });
});

describe('Clip: integer dtypes on kiln CPU are exact', () => {
  it.each(['int32', 'int64', 'int8', 'uint8'] as const)('%s', (dtype) => {
    const x = randomTensor(dtype, [3, 7], { seed: 4, low: dtype === 'uint8' ? 0 : -100, high: 100 });
    for (const attrs of [{ min: -20, max: 30 }, { min: 5 }, { max: 7 }, { min: 9, max: 3 }]) {
      const r = runSingleNode('Clip', [x], attrs);
      expect(r.kiln[0].dtype).toBe(dtype);
      expectClose(r.kiln[0], r.reference[0], { rtol: 0, atol: 0 }, `Clip ${JSON.stringify(attrs)}`);
    }
  });
});

const SUM_SHAPES: readonly (readonly number[][])[] = [
  [[2, 3, 4]],
  [[2, 3, 4], [2, 3, 4]],
  [[2, 3, 4], [3, 4], [4]],
  [[2, 1, 4], [1, 3, 1], []],
  [[5], [1], [5], [1], [5]],
  [[1, 3, 1, 2], [4, 1, 5, 1]],
];

describe.each(FLOATS)('Sum: kiln CPU against the reference (%s)', (dtype) => {
  it.each(SUM_SHAPES.map((shapes) => ({ shapes, label: shapes.map((s) => `[${s}]`).join(' + ') })))('$label', ({ shapes }) => {
    const inputs = shapes.map((dims, i) => randomTensor(dtype, dims, { seed: 20 + i, low: -3, high: 3 }));
    const r = runSingleNode('Sum', inputs);
    expect(r.kiln[0].dtype).toBe(dtype);
    expectClose(r.kiln[0], r.reference[0], toleranceFor(dtype), 'Sum');
  });
});

describe('activations: bad input', () => {
  it('Clip rejects bool with a DTypeError naming the input', () => {
    expect(buildNode('Clip', [['bool', [2]]])).toThrow(DTypeError);
    expect(buildNode('Clip', [['bool', [2]]])).toThrow(/Clip 'bad_node': input 'input' expected dtype one of .*float32.*, got bool/);
  });

  it('Clip rejects a NaN bound with an ArgumentError', () => {
    expect(buildNode('Clip', [['float32', [2]]], { min: NaN })).toThrow(ArgumentError);
    expect(buildNode('Clip', [['float32', [2]]], { max: NaN })).toThrow(/Clip 'bad_node': argument 'max' expected a number \(±Infinity for no bound\), got NaN/);
  });

  it.each(['LeakyRelu', 'HardSigmoid', 'HardSwish'] as const)('%s rejects int32 with a DTypeError', (op) => {
    expect(buildNode(op, [['int32', [2]]])).toThrow(DTypeError);
    expect(buildNode(op, [['int32', [2]]])).toThrow(new RegExp(`${op} 'bad_node': input 'X' expected dtype one of float32\\|float64\\|float16\\|bfloat16, got int32`));
  });

  it('LeakyRelu and HardSigmoid reject non-finite coefficients', () => {
    expect(buildNode('LeakyRelu', [['float32', [2]]], { alpha: Infinity })).toThrow(/LeakyRelu 'bad_node': argument 'alpha' expected a finite number in \[-Infinity, Infinity\], got Infinity/);
    expect(buildNode('HardSigmoid', [['float32', [2]]], { beta: NaN })).toThrow(ArgumentError);
    expect(buildNode('HardSigmoid', [['float32', [2]]], { beta: NaN })).toThrow(/argument 'beta'/);
  });

  it('Sum rejects mixed dtypes, non-broadcastable shapes and integers, naming data_<i>', () => {
    expect(buildNode('Sum', [['float32', [2]], ['float64', [2]]])).toThrow(DTypeError);
    expect(buildNode('Sum', [['float32', [2]], ['float64', [2]]])).toThrow(/Sum 'bad_node': input 'data_1' expected dtype float32 \(same as 'data_0'\), got float64/);
    expect(buildNode('Sum', [['float32', [2, 3]], ['float32', [3]], ['float32', [4]]])).toThrow(ShapeError);
    expect(buildNode('Sum', [['float32', [2, 3]], ['float32', [3]], ['float32', [4]]])).toThrow(/Sum 'bad_node': input 'data_2' expected shape broadcastable with \[2,3\], got \[4\]/);
    expect(buildNode('Sum', [['int32', [2]]])).toThrow(/Sum 'bad_node': input 'data_0' expected dtype one of float32\|float64\|float16\|bfloat16, got int32/);
  });

  it('symbolic dims flow through every activation and Sum', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', ['N', 3]);
    let v = b.op('Clip', [x], { min: -1, max: 1 });
    v = b.op('LeakyRelu', [v]);
    v = b.op('HardSigmoid', [v]);
    v = b.op('HardSwish', [v]);
    v = b.op('Sum', [v, x, b.input('y', 'float32', [1, 3])]);
    expect(v.type.shape).toEqual(['N', 3]);
  });
});

/** ORT parity: the ONNX-form node on onnxruntime-node and the attribute-form node on kiln CPU. */
const ORT_TOL = { rtol: 1e-4, atol: 1e-5 };

function scalar(dtype: DType, v: number | undefined): HostTensor | undefined {
  return v === undefined ? undefined : fromFloat64(dtype, [], [v]);
}

describe('activations: parity with onnxruntime-node', () => {
  const CLIP_BOUNDS: readonly { min?: number; max?: number }[] = [{ min: -0.5, max: 0.75 }, { min: -0.5 }, { max: 0.25 }, {}, { min: 1, max: -1 }];

  it.each(CLIP_BOUNDS.flatMap((b) => (['float32', 'float64', 'int32'] as const).map((dtype) => ({ ...b, dtype, label: `${dtype} ${JSON.stringify(b)}` }))))(
    'Clip-13 (min/max inputs) $label',
    async ({ dtype, min, max }) => {
      const scale = dtype === 'int32' ? 10 : 1;
      const x = randomTensor(dtype, [3, 4, 5], { seed: 31, low: -2 * scale, high: 2 * scale });
      const lo = min === undefined ? undefined : min * scale;
      const hi = max === undefined ? undefined : max * scale;
      const [ort] = await runOrtSingleNode({ op: 'Clip', opset: 13, inputs: [x, scalar(dtype, lo), scalar(dtype, hi)] });
      const attrs: Partial<OpAttrs['Clip']> = { ...(lo === undefined ? {} : { min: lo }), ...(hi === undefined ? {} : { max: hi }) };
      const kiln = runSingleNode('Clip', [x], attrs).kiln[0];
      expectClose(kiln, toFloat64(ort), ORT_TOL, 'Clip vs onnxruntime');
    },
  );

  it.each([undefined, 0.01, 0.2, 1.7])('LeakyRelu-16 alpha=%s', async (alpha) => {
    const x = randomTensor('float32', [2, 3, 4, 5], { seed: 32, low: -4, high: 4 });
    const attrs: Record<string, OrtAttr> = alpha === undefined ? {} : { alpha: A.float(alpha) };
    const [ort] = await runOrtSingleNode({ op: 'LeakyRelu', opset: 16, inputs: [x], attrs });
    const kiln = runSingleNode('LeakyRelu', [x], alpha === undefined ? {} : { alpha: Math.fround(alpha) }).kiln[0];
    expectClose(kiln, toFloat64(ort), ORT_TOL, 'LeakyRelu vs onnxruntime');
  });

  it.each([{}, { alpha: 0.5, beta: 0.1 }, { alpha: -0.3, beta: 0.6 }, { alpha: 1 / 6, beta: 0.5 }])('HardSigmoid-6 (opset-13 model) %j', async (coef) => {
    const x = randomTensor('float32', [4, 25], { seed: 33, low: -6, high: 6 });
    const attrs: Record<string, OrtAttr> = {};
    const kilnAttrs: Record<string, number> = {};
    for (const [k, v] of Object.entries(coef)) {
      attrs[k] = A.float(v);
      // ONNX float attributes are float32: kiln gets the same rounded value.
      kilnAttrs[k] = Math.fround(v);
    }
    const [ort] = await runOrtSingleNode({ op: 'HardSigmoid', opset: 13, inputs: [x], attrs });
    const kiln = runSingleNode('HardSigmoid', [x], kilnAttrs).kiln[0];
    expectClose(kiln, toFloat64(ort), ORT_TOL, 'HardSigmoid vs onnxruntime');
  });

  it.each([[[7]], [[3, 4, 5]], [[2, 3, 8, 8]]])('HardSwish-14 dims %j', async (dims) => {
    const x = randomTensor('float32', dims, { seed: 34, low: -6, high: 6 });
    const [ort] = await runOrtSingleNode({ op: 'HardSwish', opset: 14, inputs: [x] });
    const kiln = runSingleNode('HardSwish', [x]).kiln[0];
    expectClose(kiln, toFloat64(ort), ORT_TOL, 'HardSwish vs onnxruntime');
  });

  it.each(SUM_SHAPES.flatMap((shapes) => (['float32', 'float64'] as const).map((dtype) => ({ shapes, dtype, label: `${dtype} ${shapes.map((s) => `[${s}]`).join(' + ')}` }))))(
    'Sum-13 $label',
    async ({ shapes, dtype }) => {
      const inputs = shapes.map((dims, i) => randomTensor(dtype, dims, { seed: 40 + i, low: -3, high: 3 }));
      const [ort] = await runOrtSingleNode({ op: 'Sum', opset: 13, inputs });
      const kiln = runSingleNode('Sum', inputs).kiln[0];
      expectClose(kiln, toFloat64(ort), ORT_TOL, 'Sum vs onnxruntime');
    },
  );
});
