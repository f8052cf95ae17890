// ONNX Conv (opset 11; https://onnx.ai/onnx/operators/onnx__Conv.html): Y = X ⋆ W + B over N-C-spatial
// tensors, grouped, strided, dilated, padded (auto_pad or pads). The reference handles any spatial rank;
// the backends lower 1-D (as H = 1) and 2-D onto the conv2d routine and report 3-D as unsupported.

import { describeShape, ShapeError } from '../core/errors.js';
import { expectSameDType, expectShape } from './check.js';
import { checkGroupDividesChannels, convKernel, convOperands, ConvWindowAttrs } from './conv-attrs.js';
import { lowerConvRoutine } from './conv-lower.js';
import { f64 } from './f64.js';
import type { OpDef } from './op-def.js';
import { planeGeometry, windowOf } from './window.js';

/** auto_pad, dilations, group, kernel_shape, pads and strides (conv-attrs.ts, window.ts); no ceil_mode. */
export type ConvAttrs = ConvWindowAttrs;

const VERSION = 11;

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
    const { x, w } = convOperands(ctx);
    const group = attrs.group;
    const c = x.shape[1];
    const m = w.shape[0];
    const kernel = convKernel(site, attrs.kernel_shape, w.shape);
    checkGroupDividesChannels(site, c, group);
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
    const win = windowOf(site, x.shape.slice(2), attrs, kernel, 0);
    return [{ dtype: x.dtype, shape: [x.shape[0], m, ...win.outDims] }];
  },

  reference({ site, attrs, inputs, outputTypes }) {
    const x = inputs[0]!;
    const w = inputs[1]!;
    const b = inputs[2];
    const outDims = outputTypes[0].dims;
    const win = windowOf(site, x.dims.slice(2), attrs, w.dims.slice(2), 0);
    const y = f64(outDims);
    const [nb, c] = x.dims;
    const m = w.dims[0];
    const cg = c / attrs.group;
    const mg = m / attrs.group;
    const { inSp, outSp, inStrides, outStrides, kStrides, taps, inPlane, outPlane } = planeGeometry(x.dims, outDims, win.kernel);
    const n = inSp.length;
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
    const x = ctx.inputs[0]!;
    const w = ctx.inputs[1]!;
    return lowerConvRoutine(ctx, 'conv2d', windowOf(ctx.site, x.dims.slice(2), ctx.attrs, w.dims.slice(2), 0), VERSION, 'convolution');
  },
};
