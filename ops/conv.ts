// ONNX Conv (opset 11; https://onnx.ai/onnx/operators/onnx__Conv.html): Y = X ⋆ W + B over N-C-spatial
// tensors, grouped, strided, dilated, padded (auto_pad or pads). The reference handles any spatial rank;
// the backends lower 1-D (as H = 1) and 2-D onto the conv2d routine and report 3-D as unsupported.

import { ArgumentError, describeShape, ErrorSite, ShapeError, UnsupportedOpError } from '../core/errors.js';
import { Dim, sizeOf, stridesOf } from '../core/shape.js';
import { expectDType, expectRank, expectSameDType, expectShape, FLOAT_TYPES, requireInput } from './check.js';
import { f64 } from './f64.js';
import type { OpDef } from './op-def.js';
import { nchw, resolveWindow, Window, window2d } from './window.js';

export interface ConvAttrs {
  /** NOTSET | SAME_UPPER | SAME_LOWER | VALID (deprecated in ONNX, still common). */
  readonly auto_pad: string;
  /** Default: 1 along each spatial axis. */
  readonly dilations?: readonly number[] | undefined;
  readonly group: number;
  /** Default: W's spatial dims; when given it must equal them. */
  readonly kernel_shape?: readonly number[] | undefined;
  /** [x1_begin, x2_begin, …, x1_end, x2_end, …]; default 0. */
  readonly pads?: readonly number[] | undefined;
  /** Default: 1 along each spatial axis. */
  readonly strides?: readonly number[] | undefined;
}

const VERSION = 11;

function convWindow(site: ErrorSite, attrs: ConvAttrs, spatial: readonly Dim[], kernel: readonly number[]): Window {
  return resolveWindow(site, spatial, {
    auto_pad: attrs.auto_pad,
    kernel,
    strides: attrs.strides,
    dilations: attrs.dilations,
    pads: attrs.pads,
    ceil_mode: 0,
  });
}

export const Conv: OpDef<'Conv'> = {
  type: 'Conv',
  domain: '',
  version: VERSION,
  inputs: [{ name: 'X' }, { name: 'W' }, { name: 'B', optional: true }],
  outputs: [{ name: 'Y' }],
  attrs: {
    auto_pad: { kind: 'string', default: 'NOTSET' },
    dilations: { kind: 'ints' },
    group: { kind: 'int', default: 1 },
    kernel_shape: { kind: 'ints' },
    pads: { kind: 'ints' },
    strides: { kind: 'ints' },
  },

  inferShape(ctx) {
    const { site, attrs } = ctx;
    const x = requireInput(ctx, 0, 'X');
    expectDType(site, 'X', x, FLOAT_TYPES);
    expectRank(site, 'X', x, 3);
    const rank = x.shape.length;
    const w = requireInput(ctx, 1, 'W');
    expectSameDType(site, 'W', w, x, 'X');
    expectRank(site, 'W', w, rank, rank);
    const group = attrs.group;
    if (!Number.isInteger(group) || group < 1) throw new ArgumentError(site, 'group', 'an integer >= 1', String(group));
    const c = x.shape[1];
    const m = w.shape[0];
    const wSpatial = w.shape.slice(2);
    if (attrs.kernel_shape !== undefined) {
      const ks = attrs.kernel_shape;
      if (ks.length !== wSpatial.length || ks.some((k, i) => typeof wSpatial[i] === 'number' && k !== wSpatial[i])) {
        throw new ArgumentError(site, 'kernel_shape', `W's spatial dims ${describeShape(wSpatial)}`, `[${ks.join(',')}]`);
      }
    }
    const kernel = attrs.kernel_shape ?? wSpatial;
    if (!kernel.every((k): k is number => typeof k === 'number')) {
      throw new ShapeError(site, 'W', 'concrete spatial (kernel) dims, or a kernel_shape attribute', describeShape(w.shape));
    }
    if (typeof c === 'number' && c % group !== 0) {
      throw new ArgumentError(site, 'group', `a divisor of X's channel count C=${c}`, String(group));
    }
    if (typeof c === 'number' && typeof w.shape[1] === 'number' && w.shape[1] !== c / group) {
      throw new ShapeError(site, 'W', `${describeShape([m, c / group, ...kernel])} (dim 1 = C/group = ${c}/${group})`, describeShape(w.shape));
    }
    if (typeof m === 'number' && m % group !== 0) {
      throw new ShapeError(site, 'W', `dim 0 (M output channels) divisible by group=${group}`, describeShape(w.shape));
    }
    const b = ctx.inputs[2];
    if (b !== undefined) {
      expectSameDType(site, 'B', b, x, 'X');
      expectShape(site, 'B', b, [m]);
    }
    const win = convWindow(site, attrs, x.shape.slice(2), kernel);
    return [{ dtype: x.dtype, shape: [x.shape[0], m, ...win.outDims] }];
  },

  reference({ site, attrs, inputs, outputTypes }) {
    const x = inputs[0]!;
    const w = inputs[1]!;
    const b = inputs[2];
    const outDims = outputTypes[0].dims;
    const win = convWindow(site, attrs, x.dims.slice(2), w.dims.slice(2));
    const y = f64(outDims);
    const [nb, c] = x.dims;
    const m = w.dims[0];
    const cg = c / attrs.group;
    const mg = m / attrs.group;
    const inSp = x.dims.slice(2);
    const outSp = outDims.slice(2);
    const n = inSp.length;
    const inStrides = stridesOf(inSp);
    const outStrides = stridesOf(outSp);
    const kStrides = stridesOf(win.kernel);
    const taps = sizeOf(win.kernel);
    const inPlane = sizeOf(inSp);
    const outPlane = sizeOf(outSp);
    for (let bi = 0; bi < nb; bi++) {
      for (let oc = 0; oc < m; oc++) {
        const g = Math.floor(oc / mg);
        for (let o = 0; o < outPlane; o++) {
          let acc = b === undefined ? 0 : b.data[oc];
          for (let ci = 0; ci < cg; ci++) {
            const xBase = (bi * c + g * cg + ci) * inPlane;
            const wBase = (oc * cg + ci) * taps;
            for (let t = 0; t < taps; t++) {
              let offset = 0;
              let inside = true;
              for (let a = 0; a < n; a++) {
                const pos = (Math.floor(o / outStrides[a]) % outSp[a]) * win.strides[a] - win.pads[a] + (Math.floor(t / kStrides[a]) % win.kernel[a]) * win.dilations[a];
                if (pos < 0 || pos >= inSp[a]) inside = false;
                offset += pos * inStrides[a];
              }
              if (inside) acc += x.data[xBase + offset] * w.data[wBase + t];
            }
          }
          y.data[(bi * m + oc) * outPlane + o] = acc;
        }
      }
    }
    return [y];
  },

  lower(ctx) {
    const { site, attrs } = ctx;
    const x = ctx.inputs[0]!;
    const w = ctx.inputs[1]!;
    const b = ctx.inputs[2];
    const out = ctx.outputTypes[0];
    if (x.dims.length > 4) {
      throw new UnsupportedOpError('Conv', '', VERSION, site.node, `${x.dims.length - 2}-D convolution (X ${describeShape(x.dims)}); the backends implement 1-D and 2-D`);
    }
    const win = window2d(convWindow(site, attrs, x.dims.slice(2), w.dims.slice(2)));
    const xDims = nchw(x.dims);
    const wDims = nchw(w.dims);
    const outDims = nchw(out.dims);
    const operands = [ctx.view(x, xDims), ctx.view(w, wDims)];
    if (b !== undefined) operands.push(b);
    const [y] = ctx.routine(
      { routine: 'conv2d', xDims, wDims, hasBias: b !== undefined, group: attrs.group, strides: win.strides, pads: win.pads, dilations: win.dilations, outDims },
      operands,
      [{ dtype: out.dtype, dims: outDims }],
    );
    return [ctx.view(y, out.dims)];
  },
};
