// ONNX Gather (opset 13; https://onnx.ai/onnx/operators/onnx__Gather.html): picks entries of `data` along
// `axis` with int32/int64 `indices` (negative ones count from the end); the output has data's dims with
// that axis replaced by indices' dims. Any data dtype, int64 included, so Shape → Gather chains fold.
// Out-of-range indices are an ArgumentError: at build time for constant indices, at run time otherwise.

import { ArgumentError, ErrorSite, ShapeError } from '../core/errors.js';
import { readElement } from '../core/tensor.js';
import { sizeOf } from '../core/shape.js';
import { checkAxis, expectDType, requireInput } from './check.js';
import { f64 } from './f64.js';
import type { OpDef } from './op-def.js';

export interface GatherAttrs {
  /** The axis of data indexed, in [−r, r−1]; ONNX default 0. */
  readonly axis: number;
}

/** The index itself when it lies in [−size, size − 1] (negative ones wrapped), else an ArgumentError. */
export function gatherIndex(site: ErrorSite, index: number, size: number, axis: number, at: number): number {
  if (!Number.isInteger(index) || index < -size || index >= size) {
    throw new ArgumentError(site, 'indices', `values in [${-size}, ${size - 1}] (data axis ${axis} has size ${size})`, `${index} at position ${at}`);
  }
  return index < 0 ? index + size : index;
}

export const Gather: OpDef<'Gather'> = {
  type: 'Gather',
  domain: '',
  version: 13,
  inputs: [{ name: 'data' }, { name: 'indices' }],
  outputs: [{ name: 'output' }],
  attrs: {
    axis: { kind: 'int', default: 0 },
  },

  inferShape(ctx) {
    const { site, attrs } = ctx;
    const data = requireInput(ctx, 0, 'data');
    const indices = requireInput(ctx, 1, 'indices');
    expectDType(site, 'indices', indices, ['int32', 'int64']);
    if (data.shape.length === 0) throw new ShapeError(site, 'data', 'rank >= 1', '[] (rank 0)');
    const axis = checkAxis(site, 'axis', attrs.axis, data.shape.length);
    const size = data.shape[axis];
    const known = ctx.constant(1);
    if (known !== undefined && typeof size === 'number') {
      for (let i = 0; i < known.data.length; i++) gatherIndex(site, readElement(known.dtype, known.data, i), size, axis, i);
    }
    return [{ dtype: data.dtype, shape: [...data.shape.slice(0, axis), ...indices.shape, ...data.shape.slice(axis + 1)] }];
  },

  reference({ site, attrs, inputs, outputTypes }) {
    const data = inputs[0]!;
    const indices = inputs[1]!;
    const axis = checkAxis(site, 'axis', attrs.axis, data.dims.length);
    const y = f64(outputTypes[0].dims);
    const size = data.dims[axis];
    const outer = sizeOf(data.dims.slice(0, axis));
    const inner = sizeOf(data.dims.slice(axis + 1));
    const count = indices.data.length;
    for (let j = 0; j < count; j++) {
      const idx = gatherIndex(site, indices.data[j], size, axis, j);
      for (let o = 0; o < outer; o++) {
        for (let k = 0; k < inner; k++) y.data[(o * count + j) * inner + k] = data.data[(o * size + idx) * inner + k];
      }
    }
    return [y];
  },

  lower(ctx) {
    const { site, attrs } = ctx;
    const data = ctx.inputs[0]!;
    const indices = ctx.inputs[1]!;
    const out = ctx.outputTypes[0];
    const axis = checkAxis(site, 'axis', attrs.axis, data.dims.length);
    return ctx.routine(
      { routine: 'gather', dataDims: data.dims, axis, indexCount: sizeOf(indices.dims), outDims: out.dims, site },
      [data, indices],
      [{ dtype: out.dtype, dims: out.dims }],
    );
  },
};
