// Pooling and Gemm adapters: attributes that later opsets added (MaxPool storage_order 8, ceil_mode and
// dilations 10; AveragePool count_include_pad 7, ceil_mode 10, dilations 19), MaxPool's Indices output
// (opset 8) and Gemm's C, optional only from opset 11.

import { OnnxExportError } from '../../../core/errors.js';
import { fromFloat64 } from '../../../core/tensor.js';
import { checkSince, defaultAdapter, inputNames, omitNewAttrs, outputNames } from './default.js';
import type { OpAdapter } from './types.js';

const maxPoolDefault = defaultAdapter('MaxPool', { attrSince: { storage_order: 8, ceil_mode: 10, dilations: 10 } });

export const maxPoolAdapter: OpAdapter<'MaxPool'> = {
  since: 1,
  importNode: maxPoolDefault.importNode,
  exportNode(ctx) {
    if (ctx.node.outputs.length > 1 && ctx.opset < 8) {
      throw new OnnxExportError(`MaxPool '${ctx.node.name}': the Indices output needs opset >= 8; the target opset is ${ctx.opset}`);
    }
    maxPoolDefault.exportNode(ctx);
  },
};

export const averagePoolAdapter = defaultAdapter('AveragePool', { attrSince: { count_include_pad: 7, ceil_mode: 10, dilations: 19 } });

const OPTIONAL_C_SINCE = 11;

export const gemmAdapter: OpAdapter<'Gemm'> = {
  since: 1,
  importNode(ctx) {
    // Gemm-1/6 `broadcast` only said whether C may broadcast; numpy-style broadcasting covers both.
    if (ctx.opset < 7) ctx.attrs.take('broadcast', 'int');
    return ctx.emit('Gemm', ctx.inputs, ctx.mapAttrs('Gemm'), ctx.outputNames);
  },
  exportNode(ctx) {
    checkSince(ctx, 1);
    const inputs = inputNames(ctx);
    if (inputs.length < 3 && ctx.opset < OPTIONAL_C_SINCE) {
      // C is required before opset 11: a zero that broadcasts to (M, N) changes nothing.
      inputs.push(ctx.addInitializer(`${ctx.node.name}_C`, fromFloat64(ctx.inputType(0)!.dtype, [1], [0])));
    }
    ctx.addNode('Gemm', inputs, outputNames(ctx), ctx.attributes(omitNewAttrs(ctx, {})), { name: ctx.node.name });
  },
};
