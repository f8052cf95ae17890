// ONNX Unsqueeze (opset 13 semantics, axes as an attribute): insert size-1 dims at `axes`, which index
// the OUTPUT (rank r + len(axes)), may be negative and must be distinct. Opset 13 moved `axes` to a
// required int64 input; kiln's canonical IR keeps the opset-11 attribute form and the ONNX importer
// folds the constant input into it. Lowers to a view.

import { ArgumentError } from '../core/errors.js';
import type { Dim } from '../core/shape.js';
import { checkAxes, requireInput } from './check.js';
import { f64 } from './f64.js';
import type { OpDef } from './op-def.js';

export interface UnsqueezeAttrs {
  /** Output positions of the new size-1 dims (required; negative counts from the output's end). */
  readonly axes: readonly number[];
}

export const Unsqueeze: OpDef<'Unsqueeze'> = {
  type: 'Unsqueeze',
  domain: '',
  version: 13,
  inputs: [{ name: 'data' }],
  outputs: [{ name: 'expanded' }],
  attrs: {
    axes: { kind: 'ints', required: true },
  },

  inferShape(ctx) {
    const { site } = ctx;
    const data = requireInput(ctx, 0, 'data');
    const given = ctx.attrs.axes;
    if (given.length === 0) throw new ArgumentError(site, 'axes', 'at least one axis', '[]');
    const rank = data.shape.length + given.length;
    // checkAxes rejects out-of-range entries and duplicates (also duplicates after normalizing, e.g. [1,-2] at rank 3).
    const axes = checkAxes(site, 'axes', given, rank);
    const out: Dim[] = [];
    let k = 0;
    for (let i = 0; i < rank; i++) out.push(axes.includes(i) ? 1 : data.shape[k++]);
    return [{ dtype: data.dtype, shape: out }];
  },

  reference({ inputs, outputTypes }) {
    return [f64(outputTypes[0].dims, inputs[0]!.data.slice())];
  },

  lower(ctx) {
    return [ctx.view(ctx.inputs[0]!, ctx.outputTypes[0].dims)];
  },
};
