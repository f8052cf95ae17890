// ONNX Concat (opset 13; https://onnx.ai/onnx/operators/onnx__Concat.html): joins any number of tensors
// of one type and rank along `axis` (negative counts from the end); the other dims must agree. Any dtype,
// int64 included (Shape → Gather → Concat → Reshape chains fold through the reference at plan time).
// Lowers to the 'concat' routine, or to a view for a single input.

import { describeShape, DTypeError, ShapeError } from '../core/errors.js';
import { Dim, sizeOf } from '../core/shape.js';
import { checkAxis, dimsCompatible } from './check.js';
import { f64 } from './f64.js';
import type { OpDef } from './op-def.js';

export interface ConcatAttrs {
  /** The axis joined along, in [−r, r−1] (required; ONNX has no default). */
  readonly axis: number;
}

export const Concat: OpDef<'Concat'> = {
  type: 'Concat',
  domain: '',
  version: 13,
  inputs: [{ name: 'inputs', variadic: true }],
  outputs: [{ name: 'concat_result' }],
  attrs: {
    axis: { kind: 'int', required: true },
  },

  inferShape(ctx) {
    const { site, attrs } = ctx;
    const first = ctx.inputs[0];
    if (first === undefined) throw new ShapeError(site, 'inputs[0]', 'a tensor (Concat needs at least one input)', 'nothing');
    const rank = first.shape.length;
    const axis = checkAxis(site, 'axis', attrs.axis, rank);
    const out: Dim[] = [...first.shape];
    let total = 0;
    let symbolic = false;
    ctx.inputs.forEach((t, k) => {
      const name = `inputs[${k}]`;
      if (t === undefined) throw new ShapeError(site, name, 'a tensor (Concat inputs cannot be omitted)', 'nothing');
      if (t.dtype !== first.dtype) throw new DTypeError(site, name, `${first.dtype} (same as 'inputs[0]')`, t.dtype);
      if (t.shape.length !== rank) throw new ShapeError(site, name, `rank ${rank} (same as 'inputs[0]' ${describeShape(first.shape)})`, `${describeShape(t.shape)} (rank ${t.shape.length})`);
      t.shape.forEach((d, i) => {
        if (i === axis) {
          if (typeof d === 'number') total += d;
          else symbolic = true;
          return;
        }
        if (!dimsCompatible(d, out[i])) {
          const want = out.map((e, j) => (j === axis ? '*' : e));
          throw new ShapeError(site, name, `${describeShape(want)} (all dims but axis ${axis} equal to the other inputs')`, describeShape(t.shape));
        }
        if (typeof d === 'number') out[i] = d;
      });
    });
    if (symbolic) {
      const syms = ctx.inputs.map((t) => t!.shape[axis]).filter((d) => typeof d === 'string');
      out[axis] = syms.length === 1 && total === 0 ? syms[0] : `${site.node}_concat${axis}`;
    } else out[axis] = total;
    return [{ dtype: first.dtype, shape: out }];
  },

  reference({ site, attrs, inputs, outputTypes }) {
    const outDims = outputTypes[0].dims;
    const axis = checkAxis(site, 'axis', attrs.axis, outDims.length);
    const y = f64(outDims);
    const outer = sizeOf(outDims.slice(0, axis));
    const inner = sizeOf(outDims.slice(axis + 1));
    const outRow = outDims[axis] * inner;
    let offset = 0;
    for (const t of inputs) {
      const x = t!;
      const row = x.dims[axis] * inner;
      for (let o = 0; o < outer; o++) {
        for (let j = 0; j < row; j++) y.data[o * outRow + offset + j] = x.data[o * row + j];
      }
      offset += row;
    }
    return [y];
  },

  lower(ctx) {
    const { site, attrs } = ctx;
    const out = ctx.outputTypes[0];
    const xs = ctx.inputs.map((x) => x!);
    if (xs.length === 1) return [ctx.view(xs[0], out.dims)];
    const axis = checkAxis(site, 'axis', attrs.axis, out.dims.length);
    return ctx.routine({ routine: 'concat', inDims: xs.map((x) => x.dims), axis, outDims: out.dims }, xs, [{ dtype: out.dtype, dims: out.dims }]);
  },
};
