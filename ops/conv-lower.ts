// Lowering shared by Conv and ConvTranspose: 1-D and 2-D windows onto the conv2d / convTranspose2d
// routines (NCHW, 1-D as H = 1); the backends implement no 3-D routine, so that is a typed error.

import { describeShape, UnsupportedOpError } from '../core/errors.js';
import type { ConvWindowAttrs } from './conv-attrs.js';
import type { LowerContext, LValue } from './op-def.js';
import { nchw, Window, window2d } from './window.js';

/**
 * Lower a 1-D (as H = 1) or 2-D (transposed) convolution onto its 2-D routine with operands X, W and the
 * optional bias B; 3-D and up are not implemented by the backends. `what` names the operation in that error.
 */
export function lowerConvRoutine(
  ctx: LowerContext<ConvWindowAttrs>,
  routine: 'conv2d' | 'convTranspose2d',
  win: Window,
  version: number,
  what: string,
): LValue[] {
  const x = ctx.inputs[0]!;
  const w = ctx.inputs[1]!;
  const b = ctx.inputs[2];
  const out = ctx.outputTypes[0];
  if (x.dims.length > 4) {
    throw new UnsupportedOpError(ctx.site.op, '', version, ctx.site.node, `${x.dims.length - 2}-D ${what} (X ${describeShape(x.dims)}); the backends implement 1-D and 2-D`);
  }
  const { strides, pads, dilations } = window2d(win);
  const xDims = nchw(x.dims);
  const wDims = nchw(w.dims);
  const outDims = nchw(out.dims);
  const operands = [ctx.view(x, xDims), ctx.view(w, wDims)];
  if (b !== undefined) operands.push(b);
  const [y] = ctx.routine(
    { routine, xDims, wDims, hasBias: b !== undefined, group: ctx.attrs.group, strides, pads, dilations, outDims },
    operands,
    [{ dtype: out.dtype, dims: outDims }],
  );
  return [ctx.view(y, out.dims)];
}
