// Elementwise binary adapters (Add, Sub, Mul, Div, Pow). Before opset 7 these took `broadcast` and
// `axis` attributes (B broadcast onto A starting at `axis`, suffix-aligned when `axis` is absent);
// from 7 they use numpy broadcasting, kiln's IR meaning. An `axis` is honoured by padding B's shape
// with trailing 1s (Unsqueeze) so that numpy broadcasting lines it up at `axis`.

import { ONNX_DTYPE_CODE } from '../../../core/dtype.js';
import { OnnxImportError } from '../../../core/errors.js';
import { defaultAdapter, writeDefault } from './default.js';
import { writeCast } from './helpers.js';
import type { OpAdapter } from './types.js';

const NUMPY_BROADCAST_SINCE = 7;

type BinaryOp = 'Add' | 'Sub' | 'Mul' | 'Div' | 'Pow';

export function binaryAdapter<K extends BinaryOp>(op: K): OpAdapter<K> {
  const base = defaultAdapter(op);
  return {
    since: 1,
    importNode(ctx) {
      if (ctx.opset >= NUMPY_BROADCAST_SINCE) return base.importNode(ctx);
      ctx.attrs.ignore('consumed_inputs');
      const broadcast = ctx.attrs.take('broadcast', 'int') ?? 0;
      const axis = ctx.attrs.take('axis', 'int');
      ctx.mapAttrs(op);
      const [a, b] = ctx.inputs;
      if (broadcast === 0 || axis === undefined || a === undefined || b === undefined) {
        // broadcast=0 requires equal shapes, and suffix alignment is numpy's: both are numpy broadcasting.
        return ctx.emit(op, ctx.inputs, {}, ctx.outputNames);
      }
      const r = a.type.shape.length;
      const k = b.type.shape.length;
      const at = axis < 0 ? axis + r : axis;
      const ones = r - at - k;
      if (at < 0 || ones < 0) {
        throw new OnnxImportError(`${op} node '${ctx.name}': legacy broadcast axis ${axis} does not fit B of rank ${k} into A of rank ${r}`);
      }
      const bb = ones === 0 ? b : ctx.helper('Unsqueeze', [b], { axes: Array.from({ length: ones }, (_, i) => k + i) })[0];
      return ctx.emit(op, [a, bb], {}, ctx.outputNames);
    },
    exportNode(ctx) {
      const a = ctx.inputType(0)!;
      const b = ctx.inputType(1)!;
      if (op === 'Pow' && ctx.opset < 12 && a.dtype !== b.dtype) {
        // Pow-7 has one type for base and exponent; Pow-12 lets the exponent differ.
        const cast = ctx.fresh(`${ctx.node.name}_exponent`);
        writeCast(ctx, ctx.input(1), ONNX_DTYPE_CODE[a.dtype], cast);
        ctx.addNode('Pow', [ctx.input(0), cast], [ctx.output(0)], [], { name: ctx.node.name });
        return;
      }
      writeDefault(ctx);
    },
  };
}
