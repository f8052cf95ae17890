// ONNX Pad (opset 13 semantics, wrap from opset 19; https://onnx.ai/onnx/operators/onnx__Pad.html):
// pads (or crops, where a pad is negative) every axis. Canonical IR form: `pads` and the constant `value`
// are attributes, as in opset 2; opsets 11+ pass them (and opset 18's `axes`) as constant inputs, which
// the ONNX importer's opset adapter folds into these attributes. Lowers to the 'pad' routine.

import { ArgumentError, describeShape, ErrorSite, ShapeError } from '../core/errors.js';
import type { DType } from '../core/dtype.js';
import { Dim, sizeOf, stridesOf } from '../core/shape.js';
import { expectDType, NUMERIC_TYPES, requireInput } from './check.js';
import { f64 } from './f64.js';
import type { PadMode } from './kernel-ir.js';
import type { OpDef } from './op-def.js';

export interface PadAttrs {
  /** constant | reflect | edge (ONNX default constant); wrap from opset 19. */
  readonly mode: string;
  /** [x1_begin, x2_begin, …, x1_end, x2_end, …], one begin and one end per axis; negative crops (required). */
  readonly pads: readonly number[];
  /** The fill of constant mode (ONNX `constant_value`, default 0; ±Infinity allowed), cast to data's type. */
  readonly value: number;
}

const PAD_MODES: readonly PadMode[] = ['constant', 'reflect', 'edge', 'wrap'];
const PAD_TYPES: readonly DType[] = [...NUMERIC_TYPES, 'bool'];

function isPadMode(s: string): s is PadMode {
  return (PAD_MODES as readonly string[]).includes(s);
}

export function checkPadMode(site: ErrorSite, mode: string): PadMode {
  if (!isPadMode(mode)) throw new ArgumentError(site, 'mode', `one of ${PAD_MODES.join('|')}`, `'${mode}'`);
  return mode;
}

function checkPads(site: ErrorSite, pads: readonly number[], rank: number): void {
  if (pads.length !== 2 * rank || pads.some((p) => !Number.isInteger(p))) {
    throw new ArgumentError(site, 'pads', `${2 * rank} integers (a begin and an end per axis of data, rank ${rank})`, `[${pads.join(',')}]`);
  }
}

/**
 * Source index along one axis, in the cropped extent [0, len), of output-relative position q
 * (q = output index − positive begin pad), or −1 for the constant fill. Negative pads crop first and the
 * modes then read the cropped extent, as onnxruntime does. reflect mirrors without repeating the edge
 * and wrap repeats periodically, both for any pad width (numpy.pad semantics; onnxruntime limits reflect
 * to pads < len and needs len >= 2, and mis-wraps pads > len).
 */
export function padSource(q: number, len: number, mode: PadMode): number {
  if (q >= 0 && q < len) return q;
  switch (mode) {
    case 'constant': return -1;
    case 'edge': return q < 0 ? 0 : len - 1;
    case 'wrap': return ((q % len) + len) % len;
    case 'reflect': {
      if (len === 1) return 0;
      const period = 2 * (len - 1);
      const r = ((q % period) + period) % period;
      return r < len ? r : period - r;
    }
  }
}

/** Output dims, checking that crops leave something to read for the non-constant modes. */
function padDims(site: ErrorSite, shape: readonly Dim[], pads: readonly number[], mode: PadMode): Dim[] {
  const r = shape.length;
  return shape.map((d, i) => {
    const b = pads[i];
    const e = pads[i + r];
    if (typeof d !== 'number') return b === 0 && e === 0 ? d : `${site.node}_${d}_pad${i}`;
    const out = d + b + e;
    if (out < 0) {
      throw new ArgumentError(site, 'pads', `crops of at most the axis size (axis ${i} of data ${describeShape(shape)} has ${d})`, `[${pads.join(',')}]`);
    }
    const kept = d + Math.min(0, b) + Math.min(0, e);
    if (mode !== 'constant' && kept <= 0 && (b > 0 || e > 0)) {
      throw new ShapeError(site, 'data', `axis ${i} with elements left after the crops to ${mode}-pad from (pads [${pads.join(',')}])`, describeShape(shape));
    }
    return out;
  });
}

export const Pad: OpDef<'Pad'> = {
  type: 'Pad',
  domain: '',
  version: 13,
  inputs: [{ name: 'data' }],
  outputs: [{ name: 'output' }],
  attrs: {
    mode: { kind: 'string', default: 'constant' },
    pads: { kind: 'ints', required: true },
    value: { kind: 'float', default: 0 },
  },

  inferShape(ctx) {
    const { site, attrs } = ctx;
    const x = requireInput(ctx, 0, 'data');
    expectDType(site, 'data', x, PAD_TYPES);
    const mode = checkPadMode(site, attrs.mode);
    checkPads(site, attrs.pads, x.shape.length);
    return [{ dtype: x.dtype, shape: padDims(site, x.shape, attrs.pads, mode) }];
  },

  reference({ site, attrs, inputs, outputTypes }) {
    const x = inputs[0]!;
    const mode = checkPadMode(site, attrs.mode);
    const outDims = outputTypes[0].dims;
    const r = x.dims.length;
    const y = f64(outDims);
    const inStrides = stridesOf(x.dims);
    const outStrides = stridesOf(outDims);
    for (let o = 0; o < sizeOf(outDims); o++) {
      let src = 0;
      for (let a = 0; a < r && src >= 0; a++) {
        const b = attrs.pads[a];
        const e = attrs.pads[a + r];
        const start = Math.max(0, -b);
        const len = x.dims[a] - start - Math.max(0, -e);
        const q = (Math.floor(o / outStrides[a]) % outDims[a]) - Math.max(0, b);
        const s = padSource(q, len, mode);
        src = s < 0 ? -1 : src + (start + s) * inStrides[a];
      }
      y.data[o] = src < 0 ? attrs.value : x.data[src];
    }
    return [y];
  },

  lower(ctx) {
    const { site, attrs } = ctx;
    const x = ctx.inputs[0]!;
    const out = ctx.outputTypes[0];
    if (attrs.pads.every((p) => p === 0)) return [ctx.view(x, x.dims)];
    const mode = checkPadMode(site, attrs.mode);
    return ctx.routine({ routine: 'pad', inDims: x.dims, pads: attrs.pads, mode, value: attrs.value, outDims: out.dims }, [x], [{ dtype: out.dtype, dims: out.dims }]);
  },
};
