// ONNX Reshape (opset 14): data viewed with the dims in the int64 `shape` input; 0 copies the input dim
// at that index (unless allowzero=1, where 0 is a zero-size dim) and one -1 is inferred. Lowers to a view.

import { readElement } from '../core/tensor.js';
import { ArgumentError, describeShape, ErrorSite, ShapeError } from '../core/errors.js';
import { Dim, Shape } from '../core/shape.js';
import { expectDType, expectRank, requireInput } from './check.js';
import { f64 } from './f64.js';
import type { OpDef } from './op-def.js';

export interface ReshapeAttrs {
  /** 1: a 0 in `shape` is a zero-size dim; 0 (ONNX default): it copies data's dim at that index. */
  readonly allowzero: number;
}

/** Numeric product and the symbolic dims of a shape (symbols are kept as a list: a multiset). */
function splitDims(dims: readonly Dim[]): { n: number; syms: string[] } {
  let n = 1;
  const syms: string[] = [];
  for (const d of dims) {
    if (typeof d === 'number') n *= d;
    else syms.push(d);
  }
  return { n, syms };
}

/** Output dims for `requested` (the value of the `shape` input), checking the element count where it is known. */
export function reshapeDims(site: ErrorSite, inShape: Shape, requested: readonly number[], allowzero: boolean): Dim[] {
  const text = `[${requested.join(',')}]`;
  let inferAt = -1;
  const out: Dim[] = requested.map((r, i) => {
    if (!Number.isInteger(r) || r < -1) throw new ArgumentError(site, 'shape', 'entries that are -1, 0 or positive', text);
    if (r === -1) {
      if (inferAt >= 0) throw new ArgumentError(site, 'shape', 'at most one -1', text);
      inferAt = i;
      return 1; // placeholder, filled in below
    }
    if (r === 0 && !allowzero) {
      if (i >= inShape.length) throw new ShapeError(site, 'shape', `with 0 (copy a dim) only at indices below data's rank ${inShape.length}`, text);
      return inShape[i];
    }
    return r;
  });
  if (allowzero && inferAt >= 0 && requested.includes(0)) {
    throw new ArgumentError(site, 'shape', 'no -1 together with 0 when allowzero=1 (the -1 cannot be inferred)', text);
  }
  // Cancel symbols that appear on both sides (e.g. a 0 that copies 'N'); the rest must be numeric to check.
  const a = splitDims(inShape);
  const b = splitDims(out);
  for (const s of [...b.syms]) {
    const k = a.syms.indexOf(s);
    if (k >= 0) {
      a.syms.splice(k, 1);
      b.syms.splice(b.syms.indexOf(s), 1);
    }
  }
  const mismatch = (): ShapeError =>
    new ShapeError(site, 'shape', `with the element count of data ${describeShape(inShape)}`, `${text} (resolved ${describeShape(out)})`);
  if (a.syms.length === 0 && b.syms.length === 0) {
    if (inferAt >= 0) {
      if (b.n === 0 || a.n % b.n !== 0) throw mismatch();
      out[inferAt] = a.n / b.n;
    } else if (a.n !== b.n) throw mismatch();
  } else if (inferAt >= 0) {
    // One leftover input symbol with equal numeric parts is the -1 itself; otherwise a fresh symbol
    // stands for it until the session binds the inputs and inference runs again on concrete dims.
    out[inferAt] = a.syms.length === 1 && b.syms.length === 0 && a.n === b.n ? a.syms[0] : `${site.node}_d${inferAt}`;
  }
  return out;
}

export const Reshape: OpDef<'Reshape'> = {
  type: 'Reshape',
  domain: '',
  version: 14,
  inputs: [{ name: 'data' }, { name: 'shape' }],
  outputs: [{ name: 'reshaped' }],
  attrs: {
    allowzero: { kind: 'int', default: 0 },
  },

  inferShape(ctx) {
    const { site, attrs } = ctx;
    const data = requireInput(ctx, 0, 'data');
    const shape = requireInput(ctx, 1, 'shape');
    expectDType(site, 'shape', shape, ['int64']);
    expectRank(site, 'shape', shape, 1, 1);
    if (attrs.allowzero !== 0 && attrs.allowzero !== 1) throw new ArgumentError(site, 'allowzero', '0 or 1', String(attrs.allowzero));
    const known = ctx.constant(1);
    if (known === undefined) {
      // Not known while building (a computed shape): fresh symbolic dims. Lowering always sees a
      // constant, because plan-time folding evaluates shape subgraphs once the input dims are bound.
      const rank = shape.shape[0];
      if (typeof rank !== 'number') throw new ShapeError(site, 'shape', '[k] with a known k, or a constant value', describeShape(shape.shape));
      return [{ dtype: data.dtype, shape: Array.from({ length: rank }, (_, i) => `${site.node}_d${i}`) }];
    }
    const requested = Array.from({ length: known.data.length }, (_, i) => readElement('int64', known.data, i));
    return [{ dtype: data.dtype, shape: reshapeDims(site, data.shape, requested, attrs.allowzero === 1) }];
  },

  reference({ inputs, outputTypes }) {
    return [f64(outputTypes[0].dims, inputs[0]!.data.slice())];
  },

  lower(ctx) {
    return [ctx.view(ctx.inputs[0]!, ctx.outputTypes[0].dims)];
  },
};
