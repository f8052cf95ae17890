// Single-node parity with onnxruntime-node for ReduceMean, ReduceSum, ReduceSumSquare and ReduceMax in
// both ONNX forms: axes as an attribute (ReduceSum up to opset 11-12, the others up to 17) and axes as an
// optional int64 input (ReduceSum since 13, the others since 18), with keepdims 0/1 and
// noop_with_empty_axes. kiln's side is always its canonical IR form: axes as an attribute.

import { describe, expect, it } from 'vitest';
import type { DType } from '../../../core/dtype.js';
import type { HostTensor } from '../../../core/tensor.js';
import type { ReduceAttrs } from '../../../ops/reduce-common.js';
import { A, OrtAttr } from '../../helpers/ort-single-node.js';
import { randomTensor } from '../../helpers/random.js';
import { expectOrtParity, i64, randomInts } from './harness.js';

type ReduceOp = 'ReduceMean' | 'ReduceSum' | 'ReduceSumSquare' | 'ReduceMax';

/** Last opset with axes as an attribute, and first with axes as an input (onnx/defs/reduction). */
const FORMS: { readonly [K in ReduceOp]: { readonly attrOpset: number; readonly inputOpset: number } } = {
  ReduceSum: { attrOpset: 11, inputOpset: 13 },
  ReduceMean: { attrOpset: 13, inputOpset: 18 },
  ReduceSumSquare: { attrOpset: 13, inputOpset: 18 },
  ReduceMax: { attrOpset: 13, inputOpset: 18 },
};

const OPS = Object.keys(FORMS) as ReduceOp[];

/** [name, X dims, axes (undefined = absent), keepdims]. */
type Case = readonly [string, readonly number[], readonly number[] | undefined, 0 | 1];

const CASES: readonly Case[] = [
  ['one axis, keepdims', [2, 3, 4], [1], 1],
  ['two axes, no keepdims', [2, 3, 4], [0, 2], 0],
  ['negative axis', [2, 3, 4], [-1], 0],
  ['negative and positive mixed', [2, 3, 4], [-3, 1], 1],
  ['unsorted axes, rank 4', [2, 3, 2, 5], [3, 1], 1],
  ['every axis listed', [3, 2, 4], [0, 1, 2], 0],
  ['absent axes: all, keepdims', [2, 3, 4], undefined, 1],
  ['absent axes: all to a scalar', [2, 3, 4], undefined, 0],
  ['rank 1', [7], [0], 0],
  ['size-1 axis', [4, 1, 3], [1], 0],
];

function input(dtype: DType, dims: readonly number[], seed: number): HostTensor {
  return dtype === 'int32' || dtype === 'int64' ? randomInts(dtype, dims, seed, -20, 20) : randomTensor(dtype, dims, { seed, low: -3, high: 3 });
}

function kilnAttrs(axes: readonly number[] | undefined, keepdims: number, noop = 0): Partial<ReduceAttrs> {
  return { axes, keepdims, noop_with_empty_axes: noop };
}

/** Integer reductions where onnxruntime has kernels and the result is exact; ReduceMean of ints is left out (its rounding is unspecified). */
const INT_OPS: readonly ReduceOp[] = ['ReduceSum', 'ReduceSumSquare', 'ReduceMax'];

describe.each(OPS)('%s parity, axes as an attribute', (op) => {
  const opset = FORMS[op].attrOpset;
  const dtypes: DType[] = ['float32', 'float64', 'float16', ...(INT_OPS.includes(op) ? (['int32', 'int64'] as const) : [])];
  describe.each(dtypes)('%s', (dtype) => {
    it.each(CASES)(`%s %j axes=%j keepdims=%i (opset ${opset})`, async (_n, dims, axes, keepdims) => {
      const x = input(dtype, dims, 31);
      const attrs: Record<string, OrtAttr> = { keepdims: A.int(keepdims) };
      if (axes !== undefined) attrs.axes = A.ints(axes);
      await expectOrtParity({ op, inputs: [x], attrs: kilnAttrs(axes, keepdims), ort: { opset, attrs } });
    });
  });

  it('empty axes attribute reduces everything', async () => {
    const x = input('float32', [2, 3, 4], 32);
    await expectOrtParity({ op, inputs: [x], attrs: kilnAttrs([], 1), ort: { opset, attrs: { axes: A.ints([]), keepdims: A.int(1) } } });
  });
});

describe.each(OPS)('%s parity, axes as an input', (op) => {
  const opset = FORMS[op].inputOpset;
  const dtypes: DType[] = ['float32', 'float64', 'float16', ...(INT_OPS.includes(op) ? (['int32', 'int64'] as const) : [])];
  describe.each(dtypes)('%s', (dtype) => {
    it.each(CASES)(`%s %j axes=%j keepdims=%i (opset ${opset})`, async (_n, dims, axes, keepdims) => {
      const x = input(dtype, dims, 33);
      // An absent axes attribute is an omitted optional input here (empty input name).
      const ortInputs = [x, axes === undefined ? undefined : i64(axes)];
      await expectOrtParity({ op, inputs: [x], attrs: kilnAttrs(axes, keepdims), ort: { opset, inputs: ortInputs, constantInputs: [1], attrs: { keepdims: A.int(keepdims) } } });
    });
  });

  it('an empty axes tensor reduces everything', async () => {
    const x = input('float32', [2, 3, 4], 34);
    const r = await expectOrtParity({ op, inputs: [x], attrs: kilnAttrs([], 0), ort: { opset, inputs: [x, i64([])], constantInputs: [1], attrs: { keepdims: A.int(0) } } });
    expect(r.kiln[0].dims).toEqual([]);
  });

  it.each([
    ['omitted axes input', undefined],
    ['empty axes tensor', []],
  ] as const)('noop_with_empty_axes=1 with an %s reduces nothing', async (_n, axes) => {
    const x = input('float32', [2, 3, 4], 35);
    const ortInputs = [x, axes === undefined ? undefined : i64(axes)];
    const r = await expectOrtParity({ op, inputs: [x], attrs: kilnAttrs(axes, 1, 1), ort: { opset, inputs: ortInputs, constantInputs: [1], attrs: { keepdims: A.int(1), noop_with_empty_axes: A.int(1) } } });
    expect(r.kiln[0].dims).toEqual([2, 3, 4]);
  });

  it.each([0, 1] as const)('noop_with_empty_axes=1 with non-empty axes still reduces (keepdims=%i)', async (keepdims) => {
    const x = input('float32', [2, 3, 4], 36);
    await expectOrtParity({ op, inputs: [x], attrs: kilnAttrs([0, -1], keepdims, 1), ort: { opset, inputs: [x, i64([0, -1])], constantInputs: [1], attrs: { keepdims: A.int(keepdims), noop_with_empty_axes: A.int(1) } } });
  });
});

describe('reductions at scale and with large offsets', () => {
  // Long reductions expose accumulation order: float32 sums of 4096 values with a large common offset.
  it.each(OPS)('%s over 4096 elements with offset 1000', async (op) => {
    const x = randomTensor('float32', [2, 4096], { seed: 37, offset: 1000 });
    const { attrOpset } = FORMS[op];
    await expectOrtParity({ op, inputs: [x], attrs: kilnAttrs([1], 0), ort: { opset: attrOpset, attrs: { axes: A.ints([1]), keepdims: A.int(0) } } });
  });
});
