// ONNX MatMul (opset 13; https://onnx.ai/onnx/operators/onnx__MatMul.html): numpy.matmul. A 1-D A is
// promoted to [1, K] and a 1-D B to [K, 1], the added dim removed again from the result; the batch
// dims (all but the last two) broadcast numpy-style.

import { describeShape, ShapeError } from '../core/errors.js';
import { broadcastShapes, Dim, Shape } from '../core/shape.js';
import type { DType } from '../core/dtype.js';
import { dimsCompatible, expectDType, expectRank, expectSameDType, FLOAT_TYPES, requireInput } from './check.js';
import { broadcastIndex, f64 } from './f64.js';
import type { OpDef } from './op-def.js';

/** opset 13 T, less uint32/uint64 which kiln has no dtype for. */
export const MATMUL_TYPES: readonly DType[] = [...FLOAT_TYPES, 'int32', 'int64'];

/** numpy.matmul's 1-D promotion: A [K] -> [1, K], B [K] -> [K, 1]. */
function promote<D extends Dim>(shape: readonly D[], side: 'A' | 'B', one: D): D[] {
  if (shape.length !== 1) return [...shape];
  return side === 'A' ? [one, shape[0]] : [shape[0], one];
}

/** Output shape of numpy.matmul(A, B), validating the contracted dim. */
export function matMulShape(site: { op: string; node: string }, aShape: Shape, bShape: Shape): Dim[] {
  const a = promote<Dim>(aShape, 'A', 1);
  const b = promote<Dim>(bShape, 'B', 1);
  const k = a[a.length - 1];
  const kb = b[b.length - 2];
  if (!dimsCompatible(k, kb)) {
    const want = bShape.length === 1 ? `[${k}]` : describeShape([...bShape.slice(0, -2), k, bShape[bShape.length - 1]]);
    throw new ShapeError(site, 'B', `${want} (its contracted dim equal to A's last dim ${k}, A is ${describeShape(aShape)})`, describeShape(bShape));
  }
  const batch = broadcastShapes(site, ['A', 'B'], [a.slice(0, -2), b.slice(0, -2)]);
  return [...batch, ...(aShape.length === 1 ? [] : [a[a.length - 2]]), ...(bShape.length === 1 ? [] : [b[b.length - 1]])];
}

export const MatMul: OpDef<'MatMul'> = {
  type: 'MatMul',
  domain: '',
  version: 13,
  inputs: [{ name: 'A' }, { name: 'B' }],
  outputs: [{ name: 'Y' }],
  attrs: {},

  inferShape(ctx) {
    const { site } = ctx;
    const a = requireInput(ctx, 0, 'A');
    const b = requireInput(ctx, 1, 'B');
    expectDType(site, 'A', a, MATMUL_TYPES);
    expectSameDType(site, 'B', b, a, 'A');
    expectRank(site, 'A', a, 1);
    expectRank(site, 'B', b, 1);
    return [{ dtype: a.dtype, shape: matMulShape(site, a.shape, b.shape) }];
  },

  reference({ inputs, outputTypes }) {
    const aT = inputs[0]!;
    const bT = inputs[1]!;
    const ad = promote(aT.dims, 'A', 1);
    const bd = promote(bT.dims, 'B', 1);
    const m = ad[ad.length - 2];
    const k = ad[ad.length - 1];
    const n = bd[bd.length - 1];
    const aBatch = ad.slice(0, -2);
    const bBatch = bd.slice(0, -2);
    const rank = Math.max(aBatch.length, bBatch.length);
    const batch = Array.from({ length: rank }, (_, i) => {
      const da = aBatch[i - (rank - aBatch.length)] ?? 1;
      const db = bBatch[i - (rank - bBatch.length)] ?? 1;
      return da === 1 ? db : da;
    });
    const aIdx = broadcastIndex(batch, aBatch);
    const bIdx = broadcastIndex(batch, bBatch);
    const y = f64(outputTypes[0].dims);
    for (let p = 0; p < aIdx.length; p++) {
      const aOff = aIdx[p] * m * k;
      const bOff = bIdx[p] * k * n;
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let q = 0; q < k; q++) s += aT.data[aOff + i * k + q] * bT.data[bOff + q * n + j];
          y.data[(p * m + i) * n + j] = s;
        }
      }
    }
    return [y];
  },

  lower(ctx) {
    const a = ctx.inputs[0]!;
    const b = ctx.inputs[1]!;
    const out = ctx.outputTypes[0];
    const aDims = promote(a.dims, 'A', 1);
    const bDims = promote(b.dims, 'B', 1);
    const m = aDims[aDims.length - 2];
    const n = bDims[bDims.length - 1];
    const batch = out.dims.slice(0, out.dims.length - (a.dims.length === 1 ? 0 : 1) - (b.dims.length === 1 ? 0 : 1));
    const outDims = [...batch, m, n];
    const [y] = ctx.routine(
      { routine: 'matmul', aDims, bDims, transA: false, transB: false, outDims },
      [ctx.view(a, aDims), ctx.view(b, bDims)],
      [{ dtype: out.dtype, dims: outDims }],
    );
    return [ctx.view(y, out.dims)];
  },
};
