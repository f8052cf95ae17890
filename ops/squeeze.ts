// ONNX Squeeze (opset 13 semantics, axes as an attribute): remove size-1 dims. Opset 13 moved `axes`
// to an optional int64 input; kiln's canonical IR keeps the opset-11 attribute form and the ONNX
// importer folds the constant input into it. Lowers to a view (no data moves).

import { describeShape, ShapeError } from '../core/errors.js';
import type { Dim } from '../core/shape.js';
import { checkAxes, requireInput } from './check.js';
import { f64 } from './f64.js';
import type { OpDef } from './op-def.js';

export interface SqueezeAttrs {
  /**
   * Axes to remove (negative counts from the end; each must be size 1). undefined, or [] (as
   * onnxruntime treats an empty `axes` input), removes every size-1 dim. A symbolic dim counts as "not 1" then: ONNX cannot know either, and once a session
   * binds the inputs inference runs again on concrete dims, squeezing exactly what onnxruntime does.
   */
  readonly axes: readonly number[] | undefined;
}

export const Squeeze: OpDef<'Squeeze'> = {
  type: 'Squeeze',
  domain: '',
  version: 13,
  inputs: [{ name: 'data' }],
  outputs: [{ name: 'squeezed' }],
  attrs: {
    axes: { kind: 'ints' },
  },

  inferShape(ctx) {
    const { site } = ctx;
    const data = requireInput(ctx, 0, 'data');
    const shape = data.shape;
    if (ctx.attrs.axes === undefined || ctx.attrs.axes.length === 0) return [{ dtype: data.dtype, shape: shape.filter((d) => d !== 1) }];
    const axes = checkAxes(site, 'axes', ctx.attrs.axes, shape.length);
    for (const a of axes) {
      const d = shape[a];
      // A symbolic dim is taken as 1 here and checked when the session binds concrete dims.
      if (typeof d === 'number' && d !== 1) {
        throw new ShapeError(site, 'data', `size 1 at squeezed axis ${a} (axes [${ctx.attrs.axes.join(',')}])`, `${describeShape(shape)} with ${d} there`);
      }
    }
    const out: Dim[] = shape.filter((_, i) => !axes.includes(i));
    return [{ dtype: data.dtype, shape: out }];
  },

  reference({ inputs, outputTypes }) {
    return [f64(outputTypes[0].dims, inputs[0]!.data.slice())];
  },

  lower(ctx) {
    return [ctx.view(ctx.inputs[0]!, ctx.outputTypes[0].dims)];
  },
};
