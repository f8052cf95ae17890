// ONNX Dropout (opset 13): in inference (training_mode = 0, or ratio = 0) output = data and the
// optional `mask` output is all true. Opset 12 moved `ratio` and `training_mode` to optional inputs;
// kiln's canonical IR keeps them as attributes and the ONNX importer folds the constant inputs in.
// Random training-mode dropout is not implemented yet: it is rejected with UnsupportedOpError.

import { ArgumentError, UnsupportedOpError } from '../core/errors.js';
import { expectDType, FLOAT_TYPES, requireInput } from './check.js';
import { f64 } from './f64.js';
import { E } from './kernel-ir.js';
import type { OpDef } from './op-def.js';

export interface DropoutAttrs {
  /** Drop probability in [0, 1) (ONNX default 0.5); only used in training mode. */
  readonly ratio: number;
  /** 1 applies random dropout (ONNX default 0: inference, the identity). */
  readonly training_mode: number;
  /** Random seed for training mode (optional, no default). */
  readonly seed: number | undefined;
}

export const Dropout: OpDef<'Dropout'> = {
  type: 'Dropout',
  domain: '',
  version: 13,
  inputs: [{ name: 'data' }],
  outputs: [{ name: 'output' }, { name: 'mask', optional: true }],
  attrs: {
    ratio: { kind: 'float', default: 0.5 },
    training_mode: { kind: 'int', default: 0 },
    seed: { kind: 'int' },
  },

  inferShape(ctx) {
    const { site, attrs } = ctx;
    const data = requireInput(ctx, 0, 'data');
    expectDType(site, 'data', data, FLOAT_TYPES);
    if (!(attrs.ratio >= 0 && attrs.ratio < 1)) throw new ArgumentError(site, 'ratio', 'a number in [0, 1)', String(attrs.ratio));
    if (attrs.training_mode !== 0 && attrs.training_mode !== 1) {
      throw new ArgumentError(site, 'training_mode', '0 or 1', String(attrs.training_mode));
    }
    if (attrs.seed !== undefined && !Number.isInteger(attrs.seed)) throw new ArgumentError(site, 'seed', 'an integer', String(attrs.seed));
    if (attrs.training_mode === 1 && attrs.ratio > 0) {
      throw new UnsupportedOpError('Dropout', '', 13, site.node, `training_mode=1 with ratio=${attrs.ratio} (random dropout) is not implemented; kiln supports inference mode or ratio=0`);
    }
    if (ctx.outputCount < 1 || ctx.outputCount > 2) {
      throw new ArgumentError(site, 'outputs', '1 or 2 outputs (output, mask)', String(ctx.outputCount));
    }
    const outs = [{ dtype: data.dtype, shape: data.shape }];
    if (ctx.outputCount === 2) outs.push({ dtype: 'bool', shape: data.shape });
    return outs;
  },

  reference({ inputs, outputTypes }) {
    const x = inputs[0]!;
    const outs = [f64(x.dims, x.data.slice())];
    if (outputTypes.length === 2) outs.push(f64(x.dims, new Float64Array(x.data.length).fill(1)));
    return outs;
  },

  lower(ctx) {
    const x = ctx.inputs[0]!;
    const outs = [ctx.view(x, x.dims)];
    if (ctx.outputTypes.length === 2) outs.push(ctx.elementwise([], E.const(1), x.dims, 'bool'));
    return outs;
  },
};
