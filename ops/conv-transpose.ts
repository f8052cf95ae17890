// ONNX ConvTranspose (opset 11; https://onnx.ai/onnx/operators/onnx__ConvTranspose.html): the
// transpose (input gradient) of a grouped, strided, dilated Conv, with output_padding and output_shape.
// The reference handles any spatial rank; the backends lower 1-D (as H = 1) and 2-D onto 'convTranspose2d'.

import { ArgumentError, describeShape, ErrorSite, ShapeError } from '../core/errors.js';
import type { Dim } from '../core/shape.js';
import { expectSameDType, expectShape } from './check.js';
import { checkGroupDividesChannels, convKernel, convOperands, ConvWindowAttrs } from './conv-attrs.js';
import { lowerConvRoutine } from './conv-lower.js';
import { f64 } from './f64.js';
import type { OpDef } from './op-def.js';
import { checkInts, checkPads, checkWindowAttrs, planeGeometry, Window } from './window.js';

/**
 * The Conv attributes plus output_padding and output_shape. SAME_* auto_pad makes the output size
 * input·stride; pads are ignored when output_shape is given.
 */
export interface ConvTransposeAttrs extends ConvWindowAttrs {
  /** Extra output elements at the high end of each spatial axis; each < max(stride, dilation). Default 0. */
  readonly output_padding?: readonly number[] | undefined;
  /** Spatial output size (or the full N, C, spatial shape, as onnxruntime also takes); overrides pads. */
  readonly output_shape?: readonly number[] | undefined;
}

const VERSION = 11;

/**
 * The resolved transposed-convolution window, shaped as a Conv window: pads are those cropped from the
 * full (unpadded) output, 0 where a symbolic input axis leaves them unknown.
 */
export type TransposeWindow = Window;

/**
 * Output sizes and pads per the ConvTranspose spec. Along each axis the full output is
 * full = stride·(in − 1) + output_padding + (kernel − 1)·dilation + 1, and then:
 * - output_shape given: out = output_shape; total = full − out is cropped, the odd element at the end
 *   for SAME_UPPER and at the beginning otherwise (the spec's total_padding equations). A negative total
 *   is clamped to 0, as onnxruntime does: out > full appends elements only the bias reaches.
 * - SAME_UPPER/SAME_LOWER: the same with out = in·stride (the auto_pad doc; also the ONNX reference).
 * - VALID: no pads, out = full. NOTSET: out = full − pads_begin − pads_end.
 */
export function convTransposeWindow(site: ErrorSite, attrs: ConvTransposeAttrs, spatial: readonly Dim[], kernel: readonly number[]): TransposeWindow {
  const n = spatial.length;
  const { autoPad, strides, dilations } = checkWindowAttrs(site, n, attrs.auto_pad, kernel, attrs.strides, attrs.dilations);
  const outPad = attrs.output_padding ?? Array<number>(n).fill(0);
  checkInts(site, 'output_padding', outPad, n, 0, 'one per spatial axis');
  outPad.forEach((p, i) => {
    if (p >= Math.max(strides[i], dilations[i])) {
      throw new ArgumentError(site, 'output_padding', `each value smaller than its stride or dilation (strides [${strides.join(',')}], dilations [${dilations.join(',')}])`, `[${outPad.join(',')}]`);
    }
  });
  let outShape: readonly number[] | undefined;
  if (attrs.output_shape !== undefined) {
    const os = attrs.output_shape;
    if (os.length !== n && os.length !== n + 2) {
      throw new ArgumentError(site, 'output_shape', `${n} spatial sizes (or ${n + 2} with N and C)`, `[${os.join(',')}]`);
    }
    outShape = os.slice(os.length - n);
    checkInts(site, 'output_shape', outShape, n, 1, 'spatial output sizes');
  }
  const pads = Array<number>(2 * n).fill(0);
  if (attrs.pads !== undefined && outShape === undefined) {
    checkPads(site, attrs.pads, n, autoPad, 'begin and end per spatial axis');
    pads.splice(0, 2 * n, ...attrs.pads);
  }
  const same = autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER';
  const outDims: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const inSize = spatial[i];
    const effK = (kernel[i] - 1) * dilations[i] + 1;
    if (typeof inSize !== 'number') {
      if (outShape !== undefined) outDims.push(outShape[i]);
      else outDims.push(same && strides[i] === 1 ? inSize : `${site.node}_${inSize}_out${i}`);
      continue;
    }
    const full = strides[i] * (inSize - 1) + outPad[i] + effK;
    const target = outShape !== undefined ? outShape[i] : same ? inSize * strides[i] : undefined;
    if (target !== undefined) {
      const total = Math.max(0, full - target);
      const half = Math.floor(total / 2);
      pads[i] = autoPad === 'SAME_UPPER' ? half : total - half;
      pads[i + n] = total - pads[i];
      outDims.push(target);
      continue;
    }
    const out = full - pads[i] - pads[i + n];
    if (out < 1) {
      throw new ArgumentError(site, 'pads', `pads leaving at least one output element on spatial axis ${i + 2} (full output ${full})`, `[${pads.join(',')}]`);
    }
    outDims.push(out);
  }
  return { kernel: [...kernel], strides, dilations, pads, outDims };
}

export const ConvTranspose: OpDef<'ConvTranspose'> = {
  type: 'ConvTranspose',
  domain: '',
  version: VERSION,
  inputs: [{ name: 'X' }, { name: 'W' }, { name: 'B', optional: true }],
  outputs: [{ name: 'Y' }],
  attrs: {
    auto_pad: { kind: 'string', default: 'NOTSET' },
    dilations: { kind: 'ints' },
    group: { kind: 'int', default: 1 },
    kernel_shape: { kind: 'ints' },
    output_padding: { kind: 'ints' },
    output_shape: { kind: 'ints' },
    pads: { kind: 'ints' },
    strides: { kind: 'ints' },
  },

  inferShape(ctx) {
    const { site, attrs } = ctx;
    const { x, w } = convOperands(ctx);
    const group = attrs.group;
    const c = x.shape[1];
    const kernel = convKernel(site, attrs.kernel_shape, w.shape);
    checkGroupDividesChannels(site, c, group);
    if (typeof c === 'number' && typeof w.shape[0] === 'number' && w.shape[0] !== c) {
      throw new ShapeError(site, 'W', `${describeShape([c, w.shape[1], ...kernel])} (dim 0 = X's channel count C = ${c})`, describeShape(w.shape));
    }
    const mg = w.shape[1];
    const m: Dim = typeof mg === 'number' ? mg * group : group === 1 ? mg : `${site.node}_M`;
    const b = ctx.inputs[2];
    if (b !== undefined) {
      expectSameDType(site, 'B', b, x, 'X');
      expectShape(site, 'B', b, [m]);
    }
    const win = convTransposeWindow(site, attrs, x.shape.slice(2), kernel);
    return [{ dtype: x.dtype, shape: [x.shape[0], m, ...win.outDims] }];
  },

  reference({ site, attrs, inputs, outputTypes }) {
    const x = inputs[0]!;
    const w = inputs[1]!;
    const b = inputs[2];
    const outDims = outputTypes[0].dims;
    const win = convTransposeWindow(site, attrs, x.dims.slice(2), w.dims.slice(2));
    const y = f64(outDims);
    const [nb, c] = x.dims;
    const m = outDims[1];
    const cg = c / attrs.group;
    const mg = m / attrs.group;
    const { inSp, outSp, inStrides, outStrides, kStrides, taps, inPlane, outPlane } = planeGeometry(x.dims, outDims, win.kernel);
    const n = inSp.length;
    for (let bi = 0; bi < nb; bi++) {
      for (let oc = 0; oc < m; oc++) {
        const base = (bi * m + oc) * outPlane;
        for (let o = 0; o < outPlane; o++) y.data[base + o] = b === undefined ? 0 : b.data[oc];
      }
      for (let ci = 0; ci < c; ci++) {
        const g = Math.floor(ci / cg);
        for (let i = 0; i < inPlane; i++) {
          const xv = x.data[(bi * c + ci) * inPlane + i];
          for (let t = 0; t < taps; t++) {
            // Input position i with tap t lands on full-output position i·s + t·d; the begin pad crops.
            let offset = 0;
            let inside = true;
            for (let a = 0; a < n; a++) {
              const pos = (Math.floor(i / inStrides[a]) % inSp[a]) * win.strides[a] - win.pads[a] + (Math.floor(t / kStrides[a]) % win.kernel[a]) * win.dilations[a];
              if (pos < 0 || pos >= outSp[a]) inside = false;
              offset += pos * outStrides[a];
            }
            if (!inside) continue;
            for (let mi = 0; mi < mg; mi++) {
              const oc = g * mg + mi;
              y.data[(bi * m + oc) * outPlane + offset] += xv * w.data[(ci * mg + mi) * taps + t];
            }
          }
        }
      }
    }
    return [y];
  },

  lower(ctx) {
    const x = ctx.inputs[0]!;
    const w = ctx.inputs[1]!;
    const win = convTransposeWindow(ctx.site, ctx.attrs, x.dims.slice(2), w.dims.slice(2));
    return lowerConvRoutine(ctx, 'convTranspose2d', win, VERSION, 'transposed convolution');
  },
};
