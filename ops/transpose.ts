// ONNX Transpose (opset 13): output axis i is input axis perm[i]; perm defaults to the reversed axes.
// Lowers to the 'transpose' routine, or to a free view when only size-1 axes move.

import { ArgumentError, ErrorSite } from '../core/errors.js';
import { sizeOf, stridesOf } from '../core/shape.js';
import { requireInput } from './check.js';
import { f64 } from './f64.js';
import type { OpDef } from './op-def.js';

export interface TransposeAttrs {
  /** A permutation of 0..rank−1; undefined means reversed (ONNX default). Negative axes are not allowed. */
  readonly perm: readonly number[] | undefined;
}

export function resolvePerm(site: ErrorSite, perm: readonly number[] | undefined, rank: number): number[] {
  const identity = [...Array(rank).keys()];
  if (perm === undefined) return identity.reverse();
  const sorted = [...perm].sort((x, y) => x - y);
  if (perm.length !== rank || !sorted.every((p, i) => p === i)) {
    throw new ArgumentError(site, 'perm', `a permutation of [${identity.join(',')}] (input rank ${rank})`, `[${perm.join(',')}]`);
  }
  return [...perm];
}

export const Transpose: OpDef<'Transpose'> = {
  type: 'Transpose',
  domain: '',
  version: 13,
  inputs: [{ name: 'data' }],
  outputs: [{ name: 'transposed' }],
  attrs: {
    perm: { kind: 'ints' },
  },

  inferShape(ctx) {
    const x = requireInput(ctx, 0, 'data');
    const perm = resolvePerm(ctx.site, ctx.attrs.perm, x.shape.length);
    return [{ dtype: x.dtype, shape: perm.map((p) => x.shape[p]) }];
  },

  reference({ site, attrs, inputs, outputTypes }) {
    const x = inputs[0]!;
    const perm = resolvePerm(site, attrs.perm, x.dims.length);
    const outDims = outputTypes[0].dims;
    const inStrides = stridesOf(x.dims);
    const outStrides = stridesOf(outDims);
    const y = f64(outDims);
    for (let i = 0; i < sizeOf(outDims); i++) {
      let src = 0;
      for (let d = 0; d < outDims.length; d++) src += (Math.floor(i / outStrides[d]) % outDims[d]) * inStrides[perm[d]];
      y.data[i] = x.data[src];
    }
    return [y];
  },

  lower(ctx) {
    const x = ctx.inputs[0]!;
    const perm = resolvePerm(ctx.site, ctx.attrs.perm, x.dims.length);
    const out = ctx.outputTypes[0];
    // Moving only size-1 axes keeps the row-major order of the data: a view suffices.
    const moved = perm.filter((p) => x.dims[p] !== 1);
    if (moved.every((p, i) => i === 0 || moved[i - 1] < p)) return [ctx.view(x, out.dims)];
    const [y] = ctx.routine({ routine: 'transpose', inDims: x.dims, perm }, [x], [{ dtype: out.dtype, dims: out.dims }]);
    return [y];
  },
};
