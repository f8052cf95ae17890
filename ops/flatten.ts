// ONNX Flatten (opset 13): X of rank r viewed as the 2-D [prod(dims before axis), prod(dims from axis)];
// axis in [−r, r], negative counts from the end. Lowers to a view.

import { ArgumentError, ErrorSite } from '../core/errors.js';
import { Dim } from '../core/shape.js';
import { requireInput } from './check.js';
import { f64 } from './f64.js';
import type { OpDef } from './op-def.js';

export interface FlattenAttrs {
  /** Split point; ONNX default 1. r itself is allowed (the output is [prod(all), 1]). */
  readonly axis: number;
}

/** Product of a group of dims; a group with symbolic dims becomes that symbol (if alone) or a fresh one. */
function groupDim(dims: readonly Dim[], fresh: string): Dim {
  if (dims.every((d): d is number => typeof d === 'number')) return dims.reduce((a, b) => a * b, 1);
  const notOne = dims.filter((d) => d !== 1);
  return notOne.length === 1 ? notOne[0] : fresh;
}

export function flattenAxis(site: ErrorSite, axis: number, rank: number): number {
  if (!Number.isInteger(axis) || axis < -rank || axis > rank) {
    throw new ArgumentError(site, 'axis', `an integer in [${-rank}, ${rank}]`, String(axis));
  }
  return axis < 0 ? axis + rank : axis;
}

export const Flatten: OpDef<'Flatten'> = {
  type: 'Flatten',
  domain: '',
  version: 13,
  inputs: [{ name: 'input' }],
  outputs: [{ name: 'output' }],
  attrs: {
    axis: { kind: 'int', default: 1 },
  },

  inferShape(ctx) {
    const x = requireInput(ctx, 0, 'input');
    const a = flattenAxis(ctx.site, ctx.attrs.axis, x.shape.length);
    const node = ctx.site.node;
    return [{ dtype: x.dtype, shape: [groupDim(x.shape.slice(0, a), `${node}_d0`), groupDim(x.shape.slice(a), `${node}_d1`)] }];
  },

  reference({ inputs, outputTypes }) {
    return [f64(outputTypes[0].dims, inputs[0]!.data.slice())];
  },

  lower(ctx) {
    return [ctx.view(ctx.inputs[0]!, ctx.outputTypes[0].dims)];
  },
};
