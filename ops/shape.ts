// ONNX Shape (opset 15): the dims of `data` as a 1-D int64 tensor, optionally sliced to [start, end)
// (negative indices count from the end, then both clamp to [0, rank]). The output length depends only
// on the rank, so inference works with symbolic dims; the values are concrete once dims are bound.

import { ArgumentError } from '../core/errors.js';
import { hostTensor } from '../core/tensor.js';
import { requireInput } from './check.js';
import { f64 } from './f64.js';
import type { OpDef } from './op-def.js';

export interface ShapeAttrs {
  /** First dim to include (ONNX default 0). */
  readonly start: number | undefined;
  /** One past the last dim to include (ONNX default: the rank). */
  readonly end: number | undefined;
}

/** The [from, to) range of dims Shape returns for a tensor of `rank` (empty when start ≥ end). */
export function shapeRange(attrs: ShapeAttrs, rank: number): [number, number] {
  const clamp = (v: number): number => Math.min(rank, Math.max(0, v < 0 ? v + rank : v));
  const from = clamp(attrs.start ?? 0);
  const to = clamp(attrs.end ?? rank);
  return [from, Math.max(from, to)];
}

export const Shape: OpDef<'Shape'> = {
  type: 'Shape',
  domain: '',
  version: 15,
  inputs: [{ name: 'data' }],
  outputs: [{ name: 'shape' }],
  attrs: {
    start: { kind: 'int' },
    end: { kind: 'int' },
  },

  inferShape(ctx) {
    const data = requireInput(ctx, 0, 'data');
    for (const name of ['start', 'end'] as const) {
      const v = ctx.attrs[name];
      if (v !== undefined && !Number.isInteger(v)) throw new ArgumentError(ctx.site, name, 'an integer', String(v));
    }
    const [from, to] = shapeRange(ctx.attrs, data.shape.length);
    return [{ dtype: 'int64', shape: [to - from] }];
  },

  reference({ inputs, attrs }) {
    const dims = inputs[0]!.dims;
    const [from, to] = shapeRange(attrs, dims.length);
    return [f64([to - from], Float64Array.from(dims.slice(from, to)))];
  },

  lower(ctx) {
    const dims = ctx.inputs[0]!.dims;
    const [from, to] = shapeRange(ctx.attrs, dims.length);
    return [ctx.literal(hostTensor('int64', [to - from], BigInt64Array.from(dims.slice(from, to), (d) => BigInt(d))))];
  },
};
