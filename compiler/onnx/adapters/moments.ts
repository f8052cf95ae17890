// ai.kiln::Moments adapter. It is not an ONNX op: export writes its definition with standard nodes
// (two-pass, as kiln computes it): mean = ReduceMean(X), var = ReduceMean((X − mean)²); weighted,
// mean = ΣwX / (Σw + ε) and var = Σw(X − mean)² / (Σw + ε). Half inputs are cast to float32 first
// (Moments returns float32 statistics for them). A correction c scales the variance by N/(N − c), N
// known at export. With `kilnOps` the node is kept in the ai.kiln domain.

import { ONNX_DTYPE_CODE, isHalfDType } from '../../../core/dtype.js';
import { OnnxExportError } from '../../../core/errors.js';
import { sameShape } from '../../../core/shape.js';
import { checkAxes } from '../../../ops/check.js';
import { defaultAdapter, inputNames, outputNames } from './default.js';
import { fromFloat64 } from '../../../core/tensor.js';
import { attr, scalarInitializer, writeCast, writeReduce, writeSqueeze } from './helpers.js';
import type { OpAdapter } from './types.js';
import { KILN_DOMAIN } from '../domains.js';

const kilnDefault = defaultAdapter('Moments');

export const momentsAdapter: OpAdapter<'Moments'> = {
  since: 1,
  importNode: kilnDefault.importNode,
  exportNode(ctx) {
    const { node } = ctx;
    if (ctx.kilnOps) {
      ctx.addNode('Moments', inputNames(ctx), outputNames(ctx), ctx.attributes(), { name: node.name, domain: KILN_DOMAIN });
      return;
    }
    const name = node.name;
    const x = ctx.inputType(0)!;
    const rank = x.shape.length;
    const axes = checkAxes(ctx.site, 'axes', node.attrs.axes, rank);
    const keep = node.attrs.keepdims === 1;
    const statType = node.outputs[0].type.dtype;
    const f = (s: string): string => ctx.fresh(`${name}_${s}`);
    let xs = ctx.input(0);
    if (isHalfDType(x.dtype)) {
      xs = f('x');
      writeCast(ctx, ctx.input(0), ONNX_DTYPE_CODE[statType], xs);
    }
    const meanK = keep ? ctx.output(0) : f('mean_keep');
    const correction = node.attrs.correction;
    const varK = keep ? ctx.output(1) : f('var_keep');
    // With a correction c, the population variance is written to varP and scaled by N/(N − c).
    const varP = correction === 0 ? varK : f('var_population');
    const w = ctx.inputType(1);
    const d = f('centered');
    const dd = f('squared');
    if (w === undefined) {
      writeReduce(ctx, 'ReduceMean', xs, axes, rank, 1, meanK, name);
      ctx.addNode('Sub', [xs, meanK], [d]);
      ctx.addNode('Mul', [d, d], [dd]);
      writeReduce(ctx, 'ReduceMean', dd, axes, rank, 1, varP);
      if (correction !== 0) {
        const n = axes.reduce((p, a) => p * (typeof x.shape[a] === 'number' ? (x.shape[a] as number) : NaN), 1);
        let factor: string;
        if (!Number.isNaN(n)) factor = scalarInitializer(ctx, `${name}_correction`, statType, n / (n - correction));
        else {
          // Symbolic N: count the reduced elements at run time, N = ΣReduceSum(ones(shape(X))).
          if (ctx.opset < 9) throw new OnnxExportError(`Moments '${name}': a correction over symbolic dimensions needs ConstantOfShape (opset >= 9); the target opset is ${ctx.opset}`);
          const shape = f('x_shape');
          const ones = f('ones');
          const count = f('count');
          const less = f('count_minus_correction');
          factor = f('correction_factor');
          ctx.addNode('Shape', [ctx.input(0)], [shape]);
          ctx.addNode('ConstantOfShape', [shape], [ones], [attr.tensor('value', fromFloat64(statType, [1], [1]))]);
          writeReduce(ctx, 'ReduceSum', ones, axes, rank, 1, count);
          ctx.addNode('Sub', [count, scalarInitializer(ctx, `${name}_correction`, statType, correction)], [less]);
          ctx.addNode('Div', [count, less], [factor]);
        }
        ctx.addNode('Mul', [varP, factor], [varK]);
      }
    } else {
      let ws = ctx.input(1);
      if (w.dtype !== statType) {
        const c = f('w');
        writeCast(ctx, ws, ONNX_DTYPE_CODE[statType], c);
        ws = c;
      }
      if (!sameShape(w.shape, x.shape)) {
        // Σw must count every element of X: broadcast the weights to X's shape first (w · ones(shape(X))),
        // with ops kiln itself reads back (no Expand).
        if (ctx.opset < 9) throw new OnnxExportError(`Moments '${name}': weights that broadcast need ConstantOfShape (opset >= 9); the target opset is ${ctx.opset}`);
        const shape = f('x_shape');
        const ones = f('ones');
        const wide = f('w_expanded');
        ctx.addNode('Shape', [ctx.input(0)], [shape]);
        ctx.addNode('ConstantOfShape', [shape], [ones], [attr.tensor('value', fromFloat64(statType, [1], [1]))]);
        ctx.addNode('Mul', [ws, ones], [wide]);
        ws = wide;
      }
      const sw = f('weight_sum');
      const den = f('denominator');
      const wx = f('wx');
      const swx = f('wx_sum');
      const wdd = f('weighted_squared');
      const swdd = f('weighted_squared_sum');
      writeReduce(ctx, 'ReduceSum', ws, axes, rank, 1, sw);
      ctx.addNode('Add', [sw, scalarInitializer(ctx, `${name}_weight_epsilon`, statType, node.attrs.weight_epsilon)], [den]);
      ctx.addNode('Mul', [ws, xs], [wx]);
      writeReduce(ctx, 'ReduceSum', wx, axes, rank, 1, swx);
      ctx.addNode('Div', [swx, den], [meanK], [], { name });
      ctx.addNode('Sub', [xs, meanK], [d]);
      ctx.addNode('Mul', [d, d], [dd]);
      ctx.addNode('Mul', [ws, dd], [wdd]);
      writeReduce(ctx, 'ReduceSum', wdd, axes, rank, 1, swdd);
      ctx.addNode('Div', [swdd, den], [varK]);
    }
    if (!keep) {
      writeSqueeze(ctx, meanK, axes, rank, ctx.output(0));
      writeSqueeze(ctx, varK, axes, rank, ctx.output(1));
    }
  },
};
