// Reshape adapter: Reshape-1 takes `shape` as an attribute (kiln makes it an int64 initializer input),
// Reshape-5 as an input, and Reshape-14 adds allowzero (0 in `shape` is a zero-size dim, not a copy).

import { OnnxExportError, OnnxImportError } from '../../../core/errors.js';
import { fromFloat64, readElement } from '../../../core/tensor.js';
import { inputNames, outputNames } from './default.js';
import type { OpAdapter } from './types.js';

const SHAPE_INPUT_SINCE = 5;
const ALLOWZERO_SINCE = 14;

export const reshapeAdapter: OpAdapter<'Reshape'> = {
  since: 1,
  importNode(ctx) {
    if (ctx.opset >= SHAPE_INPUT_SINCE) return ctx.emit('Reshape', ctx.inputs, ctx.mapAttrs('Reshape'), ctx.outputNames);
    const shape = ctx.attrs.take('shape', 'ints');
    if (shape === undefined) throw new OnnxImportError(`Reshape node '${ctx.name}': attribute 'shape' is required at opset ${ctx.opset}`);
    const attrs = ctx.mapAttrs('Reshape');
    const shapeValue = ctx.constantValue('shape', fromFloat64('int64', [shape.length], shape));
    return ctx.emit('Reshape', [ctx.inputs[0], shapeValue], attrs, ctx.outputNames);
  },
  exportNode(ctx) {
    const allowzero = ctx.node.attrs.allowzero;
    if (ctx.opset < ALLOWZERO_SINCE && allowzero === 1) {
      // allowzero only changes the meaning of 0 entries; without any it can be dropped.
      const shape = ctx.constant(1);
      const hasZero = shape === undefined || Array.from({ length: shape.data.length }, (_, i) => readElement(shape.dtype, shape.data, i)).includes(0);
      if (hasZero) {
        throw new OnnxExportError(`Reshape '${ctx.node.name}': allowzero=1 with ${shape === undefined ? 'a computed shape' : 'a 0 in the shape'} needs opset >= 14; the target opset is ${ctx.opset}`);
      }
    }
    const attributes = ctx.opset >= ALLOWZERO_SINCE ? ctx.attributes() : [];
    ctx.addNode('Reshape', inputNames(ctx), outputNames(ctx), attributes, { name: ctx.node.name });
  },
};
