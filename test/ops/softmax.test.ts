// Softmax (opset 13): the float64 reference against exp/sum written here (one axis, not opset 11's
// flatten), stability for large inputs, kiln CPU against the reference over every axis and float
// dtype; typed errors for bad axes and dtypes.

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import type { Value } from '../../compiler/ir/types.js';
import type { DType } from '../../core/dtype.js';
import { ArgumentError, DTypeError } from '../../core/errors.js';
import type { Shape } from '../../core/shape.js';
import { F64Tensor, fromFloat64, HostTensor, toFloat64 } from '../../core/tensor.js';
import type { SoftmaxAttrs } from '../../ops/softmax.js';
import { runReference } from '../../runtime/reference.js';
import { expectClose, toleranceFor } from '../helpers/compare.js';
import { randomTensor } from '../helpers/random.js';
import { runSingleNode, singleNodeGraph } from '../helpers/single-node.js';

function reference(x: HostTensor, attrs: Partial<SoftmaxAttrs> = {}): F64Tensor {
  const { graph, feeds } = singleNodeGraph('Softmax', [x], attrs);
  return runReference(graph, feeds).outputs[graph.outputs[0].name];
}

function buildSoftmax(x: readonly [DType, Shape], attrs: Partial<SoftmaxAttrs> = {}): () => Value {
  return () => {
    const g = new GraphBuilder();
    return g.op('Softmax', [g.input('x', x[0], x[1])], attrs, 'softmax_node');
  };
}

describe('Softmax reference against hand values', () => {
  it('softmax([1, 2, 3])', () => {
    const y = reference(fromFloat64('float64', [3], [1, 2, 3]));
    const z = Math.exp(1) + Math.exp(2) + Math.exp(3);
    expectClose(y, { dims: [3], data: Float64Array.from([Math.exp(1) / z, Math.exp(2) / z, Math.exp(3) / z]) }, { rtol: 1e-14, atol: 0 });
    expect(y.data[0]).toBeCloseTo(0.09003057317038046, 14);
  });

  it('default axis is -1 and each axis normalizes only itself (opset 13)', () => {
    const x = randomTensor('float64', [2, 3, 4], { seed: 7, low: -3, high: 3 });
    const xf = toFloat64(x);
    for (const axis of [0, 1, 2, -1, -2, -3]) {
      const a = axis < 0 ? axis + 3 : axis;
      const y = axis === -1 ? reference(x) : reference(x, { axis });
      const want = new Float64Array(24);
      const dims = [2, 3, 4];
      const strides = [12, 4, 1];
      for (let i = 0; i < 24; i++) {
        const base = i - (Math.floor(i / strides[a]) % dims[a]) * strides[a];
        let z = 0;
        for (let k = 0; k < dims[a]; k++) z += Math.exp(xf.data[base + k * strides[a]]);
        want[i] = Math.exp(xf.data[i]) / z;
      }
      expectClose(y, { dims, data: want }, { rtol: 1e-13, atol: 1e-15 });
    }
  });

  it('large inputs do not overflow (max-subtracted)', () => {
    const y = reference(fromFloat64('float64', [2, 2], [1000, 1000, -1000, 0]));
    expect([...y.data]).toEqual([0.5, 0.5, 0, 1]);
  });
});

describe('Softmax kiln CPU against the reference', () => {
  const combos = [-3, -2, -1, 0, 1, 2].map((axis) => [axis] as const);
  it.each(combos)('axis %i (float32)', (axis) => {
    const r = runSingleNode('Softmax', [randomTensor('float32', [3, 5, 7], { seed: 51, low: -4, high: 4 })], { axis });
    expectClose(r.kiln[0], r.reference[0], { rtol: 1e-5, atol: 1e-5 });
  });

  it.each(['float64', 'float16', 'bfloat16'] as const)('dtype %s', (dtype) => {
    const r = runSingleNode('Softmax', [randomTensor(dtype, [4, 6], { seed: 52, low: -5, high: 5 })], {});
    expect(r.kiln[0].dtype).toBe(dtype);
    expectClose(r.kiln[0], r.reference[0], toleranceFor(dtype));
  });

  it('rank 1 and large offsets', () => {
    const r = runSingleNode('Softmax', [randomTensor('float32', [17], { seed: 53, offset: 500 })]);
    expectClose(r.kiln[0], r.reference[0], { rtol: 1e-5, atol: 1e-5 });
  });
});

describe('Softmax typed errors', () => {
  it('axis out of range', () => {
    const f = buildSoftmax(['float32', [2, 3, 4]], { axis: 3 });
    expect(f).toThrow(ArgumentError);
    expect(f).toThrow(/Softmax 'softmax_node': argument 'axis' expected an integer in \[-3, 2\], got 3/);
    expect(buildSoftmax(['float32', [2, 3]], { axis: -3 })).toThrow(/argument 'axis'.*got -3/);
    expect(buildSoftmax(['float32', []])).toThrow(ArgumentError);
  });

  it('non-float input', () => {
    const f = buildSoftmax(['int32', [2, 3]]);
    expect(f).toThrow(DTypeError);
    expect(f).toThrow(/Softmax 'softmax_node': input 'input' expected dtype one of float32\|float64\|float16\|bfloat16, got int32/);
  });
});
