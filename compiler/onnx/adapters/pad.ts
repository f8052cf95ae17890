// Pad adapter. Pad-1 has `paddings`, Pad-2 `pads` and `value` attributes; Pad-11 takes pads and
// constant_value as inputs; Pad-18 adds an optional `axes` input (pads then list only those axes);
// Pad-19 adds wrap mode. kiln's IR keeps pads (every axis) and value as attributes.

import { OnnxExportError, OnnxImportError } from '../../../core/errors.js';
import { checkAxis } from '../../../ops/check.js';
import { attr, constantInts, constantScalar, expectDataInputOnly, int64Initializer, rejectMovedAttrs, scalarInitializer } from './helpers.js';
import type { OpAdapter } from './types.js';

const INPUTS_SINCE = 11;
const AXES_SINCE = 18;
const WRAP_SINCE = 19;

export const padAdapter: OpAdapter<'Pad'> = {
  since: 1,
  importNode(ctx) {
    const where = `Pad node '${ctx.name}'`;
    if (ctx.opset < INPUTS_SINCE) {
      expectDataInputOnly(ctx);
      const paddings = ctx.opset < 2 ? ctx.attrs.take('paddings', 'ints') : undefined;
      const attrs = ctx.mapAttrs('Pad');
      return ctx.emit('Pad', [ctx.inputs[0]], paddings === undefined ? attrs : { ...attrs, pads: paddings }, ctx.outputNames);
    }
    rejectMovedAttrs(ctx, ['pads', 'value'], INPUTS_SINCE);
    const x = ctx.inputs[0];
    let pads = constantInts(ctx, 1, 'pads');
    if (pads === undefined) throw new OnnxImportError(`${where}: input 'pads' is required`);
    const value = constantScalar(ctx, 2, 'constant_value');
    const axes = ctx.opset >= AXES_SINCE ? constantInts(ctx, 3, 'axes') : undefined;
    if (axes !== undefined && x !== undefined) {
      // pads lists begins then ends for the given axes only; spread them over every axis.
      const rank = x.type.shape.length;
      if (pads.length !== 2 * axes.length) {
        throw new OnnxImportError(`${where}: input 'pads' expected ${2 * axes.length} values (2 per entry of axes [${axes.join(',')}]), got ${pads.length}`);
      }
      const full = new Array<number>(2 * rank).fill(0);
      axes.forEach((a, k) => {
        const ax = checkAxis(ctx.site, 'axes', a, rank);
        full[ax] = pads![k];
        full[ax + rank] = pads![k + axes.length];
      });
      pads = full;
    }
    const attrs = { ...ctx.mapAttrs('Pad'), pads, ...(value === undefined ? {} : { value }) };
    return ctx.emit('Pad', [x], attrs, ctx.outputNames);
  },
  exportNode(ctx) {
    const { mode, pads, value } = ctx.node.attrs;
    const name = ctx.node.name;
    if (mode === 'wrap' && ctx.opset < WRAP_SINCE) {
      throw new OnnxExportError(`Pad '${name}': mode 'wrap' needs opset >= ${WRAP_SINCE}; the target opset is ${ctx.opset}`);
    }
    if (ctx.opset < INPUTS_SINCE) {
      ctx.addNode('Pad', [ctx.input(0)], [ctx.output(0)], [attr.string('mode', mode), attr.ints('pads', pads), attr.float('value', value)], { name });
      return;
    }
    const inputs = [ctx.input(0), int64Initializer(ctx, `${name}_pads`, pads)];
    if (mode === 'constant' && value !== 0) inputs.push(scalarInitializer(ctx, `${name}_value`, ctx.inputType(0)!.dtype, value));
    ctx.addNode('Pad', inputs, [ctx.output(0)], [attr.string('mode', mode)], { name });
  },
};
