// Cast adapter: ONNX stores `to` as a TensorProto.DataType code (a type name string in Cast-1); kiln's
// IR stores the DType name. bfloat16 exists from Cast-13.

import { ONNX_DTYPE_CODE } from '../../../core/dtype.js';
import { OnnxExportError, OnnxImportError } from '../../../core/errors.js';
import { onnx } from '../proto.js';
import { dtypeFromOnnx } from '../tensor-proto.js';
import { attr } from './helpers.js';
import type { OpAdapter } from './types.js';

/** Cast-1's type names (TensorProto.DataType enum names). */
const CAST1_NAMES: Readonly<Record<string, number>> = {
  FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9, FLOAT16: 10, DOUBLE: 11,
  UINT32: 12, UINT64: 13, COMPLEX64: 14, COMPLEX128: 15, BFLOAT16: 16,
};

export const castAdapter: OpAdapter<'Cast'> = {
  since: 1,
  importNode(ctx) {
    const where = `Cast node '${ctx.name}'`;
    let code: number | undefined;
    if (ctx.attrs.typeOf('to') === onnx.AttributeProto.AttributeType.STRING) {
      const name = ctx.attrs.take('to', 'string')!;
      code = CAST1_NAMES[name.toUpperCase()];
      if (code === undefined) throw new OnnxImportError(`${where}: attribute 'to' names an unknown type '${name}'`);
    } else {
      code = ctx.attrs.take('to', 'int');
    }
    if (code === undefined) throw new OnnxImportError(`${where}: required attribute 'to' is missing`);
    // saturate (Cast-19) only affects float8 targets, which kiln does not have.
    if (ctx.opset >= 19) ctx.attrs.take('saturate', 'int');
    const to = dtypeFromOnnx(code, `${where}: attribute 'to'`);
    ctx.mapAttrs('Cast');
    return ctx.emit('Cast', ctx.inputs, { to }, ctx.outputNames);
  },
  exportNode(ctx) {
    const to = ctx.node.attrs.to;
    if ((to === 'bfloat16' || ctx.inputType(0)!.dtype === 'bfloat16') && ctx.opset < 13) {
      throw new OnnxExportError(`Cast '${ctx.node.name}': bfloat16 needs opset >= 13; the target opset is ${ctx.opset}`);
    }
    ctx.addNode('Cast', [ctx.input(0)], [ctx.output(0)], [attr.int('to', ONNX_DTYPE_CODE[to])], { name: ctx.node.name });
  },
};
