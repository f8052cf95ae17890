// ONNX Slice (opset 13 semantics; https://onnx.ai/onnx/operators/onnx__Slice.html): start/end/step per
// listed axis, negative values counting from the end, out-of-range values clamped (INT64_MAX/INT64_MIN
// sentinels arrive as ±9.22e18 and clamp like any other), negative steps walking backwards. Canonical IR
// form: starts/ends/axes/steps are attributes, as in opset 1 (which had no steps); opsets 10+ pass them as
// constant inputs, which the ONNX importer's opset adapter folds into these attributes.

import { ArgumentError, ErrorSite } from '../core/errors.js';
import { Dim, sizeOf, stridesOf } from '../core/shape.js';
import { checkAxis, requireInput } from './check.js';
import { f64 } from './f64.js';
import type { OpDef } from './op-def.js';

export interface SliceAttrs {
  readonly starts: readonly number[];
  readonly ends: readonly number[];
  /** Axes the starts/ends refer to (negative allowed, distinct); default [0, 1, …, len(starts) − 1]. */
  readonly axes: readonly number[] | undefined;
  /** Non-zero steps; default 1 for each listed axis. */
  readonly steps: readonly number[] | undefined;
}

/** Values this large stand for "to the end" (INT64_MAX and INT32_MAX exports are both far above any dim). */
const HUGE = 2 ** 53;

/** Every axis of the input resolved: the first index read, the step, and the number of elements read. */
export interface SliceAxis {
  readonly start: number;
  readonly step: number;
  readonly size: Dim;
}

const list = (v: readonly number[]): string => `[${v.join(',')}]`;

/** Resolve the attributes against the input shape (ONNX Slice clamping rules, per axis). */
export function resolveSlice(site: ErrorSite, shape: readonly Dim[], attrs: SliceAttrs): SliceAxis[] {
  const rank = shape.length;
  const { starts, ends } = attrs;
  if (starts.some((v) => !Number.isInteger(v))) throw new ArgumentError(site, 'starts', 'integers', list(starts));
  if (ends.length !== starts.length || ends.some((v) => !Number.isInteger(v))) {
    throw new ArgumentError(site, 'ends', `${starts.length} integers (one per entry of starts)`, list(ends));
  }
  if (starts.length > rank) throw new ArgumentError(site, 'starts', `at most ${rank} entries (data rank ${rank})`, list(starts));
  const axesIn = attrs.axes ?? starts.map((_, i) => i);
  if (axesIn.length !== starts.length) throw new ArgumentError(site, 'axes', `${starts.length} axes (one per entry of starts)`, list(axesIn));
  const axes = axesIn.map((a) => checkAxis(site, 'axes', a, rank));
  if (new Set(axes).size !== axes.length) throw new ArgumentError(site, 'axes', 'distinct axes', list(axesIn));
  const steps = attrs.steps ?? starts.map(() => 1);
  if (steps.length !== starts.length || steps.some((s) => !Number.isInteger(s) || s === 0)) {
    throw new ArgumentError(site, 'steps', `${starts.length} non-zero integers (one per entry of starts)`, list(steps));
  }
  const out: SliceAxis[] = shape.map((d) => ({ start: 0, step: 1, size: d }));
  axes.forEach((a, k) => {
    const d = shape[a];
    const step = steps[k];
    if (typeof d !== 'number') {
      // Whole-axis slices (0..INT64_MAX by 1, or INT64_MAX..INT64_MIN by −1) keep the symbol.
      const whole = step === 1 ? starts[k] === 0 && ends[k] >= HUGE : step === -1 && (starts[k] === -1 || starts[k] >= HUGE) && ends[k] <= -HUGE;
      out[a] = { start: 0, step, size: whole ? d : `${site.node}_${d}_slice${a}` };
      return;
    }
    let s = starts[k] < 0 ? starts[k] + d : starts[k];
    let e = ends[k] < 0 ? ends[k] + d : ends[k];
    let size: number;
    if (step > 0) {
      s = Math.min(Math.max(s, 0), d);
      e = Math.min(Math.max(e, 0), d);
      size = Math.max(0, Math.ceil((e - s) / step));
    } else {
      s = Math.min(Math.max(s, 0), d - 1);
      e = Math.min(Math.max(e, -1), d - 1);
      size = Math.max(0, Math.ceil((s - e) / -step));
    }
    out[a] = { start: size === 0 ? 0 : s, step, size };
  });
  return out;
}

function concreteAxes(site: ErrorSite, dims: readonly number[], attrs: SliceAttrs): { starts: number[]; steps: number[] } {
  const axes = resolveSlice(site, dims, attrs);
  return { starts: axes.map((a) => a.start), steps: axes.map((a) => a.step) };
}

export const Slice: OpDef<'Slice'> = {
  type: 'Slice',
  domain: '',
  version: 13,
  inputs: [{ name: 'data' }],
  outputs: [{ name: 'output' }],
  attrs: {
    starts: { kind: 'ints', required: true },
    ends: { kind: 'ints', required: true },
    axes: { kind: 'ints' },
    steps: { kind: 'ints' },
  },

  inferShape(ctx) {
    const x = requireInput(ctx, 0, 'data');
    return [{ dtype: x.dtype, shape: resolveSlice(ctx.site, x.shape, ctx.attrs).map((a) => a.size) }];
  },

  reference({ site, attrs, inputs, outputTypes }) {
    const x = inputs[0]!;
    const outDims = outputTypes[0].dims;
    const { starts, steps } = concreteAxes(site, x.dims, attrs);
    const inStrides = stridesOf(x.dims);
    const outStrides = stridesOf(outDims);
    const y = f64(outDims);
    for (let o = 0; o < sizeOf(outDims); o++) {
      let src = 0;
      for (let a = 0; a < outDims.length; a++) src += (starts[a] + (Math.floor(o / outStrides[a]) % outDims[a]) * steps[a]) * inStrides[a];
      y.data[o] = x.data[src];
    }
    return [y];
  },

  lower(ctx) {
    const x = ctx.inputs[0]!;
    const out = ctx.outputTypes[0];
    const { starts, steps } = concreteAxes(ctx.site, x.dims, ctx.attrs);
    const identity = starts.every((s, a) => s === 0 && (steps[a] === 1 || x.dims[a] <= 1) && out.dims[a] === x.dims[a]);
    if (identity) return [ctx.view(x, out.dims)];
    return ctx.routine({ routine: 'slice', inDims: x.dims, starts, steps, outDims: out.dims }, [x], [{ dtype: out.dtype, dims: out.dims }]);
  },
};
