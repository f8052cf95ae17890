// float32 lanes, float64 per-channel vectors: in a channels-last kernel ([M, C] with a per-channel
// mean and coefficient of C float64 values, as BatchNormalization over a Dense output lowers) the
// float64 operands are vectors along every row, and converting them to float32 — hi, and lo for an
// addend (elementwise.ts splits x − mean as (x − hi) − lo) — on every row costs more than the kernel's
// own arithmetic. So the backend converts such operands once per dispatch into float32 hi (and lo)
// buffers, and runs a rewritten kernel that reads them: operand j becomes float32 hi, an appended
// operand holds lo, and every `v ± operand j` that the code generator would split becomes
// `(v ± hi) ± lo` explicitly. The arithmetic is exactly what the generated code does in-line (hi =
// f32(x), lo = f32(x − hi), the same operations in the same order), so results are bit-identical; only
// the conversions move out of the loop.

import { sizeOf } from '../../core/shape.js';
import type { ElementwiseKernel, KernelOperand, ScalarExpr } from '../../ops/kernel-ir.js';
import { rowLayout } from './elementwise.js';

/** One converted operand: `operand` of the original kernel; `lo` is the appended operand's index. */
export interface SplitOperand {
  readonly operand: number;
  readonly size: number;
  readonly lo?: number;
}

export interface SplitKernel {
  readonly kernel: ElementwiseKernel;
  readonly splits: readonly SplitOperand[];
}

/** A float64 operand is worth converting once when it is a vector along rows and small beside the output. */
const MAX_FRACTION = 1 / 8;

/** Whether operand j appears directly as an addend (either side of add, the rhs of sub). */
function isAddend(e: ScalarExpr, j: number): boolean {
  switch (e.kind) {
    case 'operand':
    case 'const':
      return false;
    case 'unary':
      return isAddend(e.arg, j);
    case 'binary': {
      const direct = (s: ScalarExpr): boolean => s.kind === 'operand' && s.index === j;
      if ((e.fn === 'add' && (direct(e.lhs) || direct(e.rhs))) || (e.fn === 'sub' && direct(e.rhs))) return true;
      return isAddend(e.lhs, j) || isAddend(e.rhs, j);
    }
  }
}

/**
 * `v ± operand` → `(v ± hi) ± lo` for the split operands, in the same places and order as the code
 * generator's in-line split (elementwise.ts: the rhs operand first, then the lhs of an add).
 */
function rewrite(e: ScalarExpr, lo: ReadonlyMap<number, number>): ScalarExpr {
  switch (e.kind) {
    case 'operand':
    case 'const':
      return e;
    case 'unary':
      return { ...e, arg: rewrite(e.arg, lo) };
    case 'binary': {
      const loOf = (s: ScalarExpr): number | undefined => (s.kind === 'operand' ? lo.get(s.index) : undefined);
      if (e.fn === 'add' || e.fn === 'sub') {
        const rhsLo = loOf(e.rhs);
        const lhsLo = e.fn === 'add' ? loOf(e.lhs) : undefined;
        if (rhsLo !== undefined || lhsLo !== undefined) {
          const [v, split, l] = rhsLo !== undefined ? [e.lhs, e.rhs, rhsLo] : [e.rhs, e.lhs, lhsLo as number];
          const inner: ScalarExpr = { kind: 'binary', fn: e.fn, lhs: rewrite(v, lo), rhs: split };
          return { kind: 'binary', fn: e.fn, lhs: inner, rhs: { kind: 'operand', index: l } };
        }
      }
      return { ...e, lhs: rewrite(e.lhs, lo), rhs: rewrite(e.rhs, lo) };
    }
  }
}

/** The float32-lane kernel with its small float64 row vectors read from converted operands, or undefined. */
export function splitFloat64Operands(k: ElementwiseKernel): SplitKernel | undefined {
  const { dims, strides } = rowLayout(k);
  const inner = dims.length - 1;
  const outSize = sizeOf(k.outDims);
  const candidates = k.operands
    .map((o, j) => ({ o, j }))
    .filter(({ o, j }) => o.dtype === 'float64' && strides[j][inner] === 1 && sizeOf(o.dims) <= outSize * MAX_FRACTION);
  if (candidates.length === 0) return undefined;
  const operands: KernelOperand[] = k.operands.map((o, j) => (candidates.some((c) => c.j === j) ? { dtype: 'float32', dims: o.dims } : o));
  const lo = new Map<number, number>();
  const splits: SplitOperand[] = candidates.map(({ o, j }) => {
    if (!isAddend(k.expr, j)) return { operand: j, size: sizeOf(o.dims) };
    lo.set(j, operands.length);
    operands.push({ dtype: 'float32', dims: o.dims });
    return { operand: j, size: sizeOf(o.dims), lo: lo.get(j) };
  });
  return { kernel: { ...k, operands, expr: rewrite(k.expr, lo) }, splits };
}

/** hi = f32(x), lo = f32(x − hi), element by element (lo omitted when there is no addend use). */
export function convertSplit(x: Float64Array, hi: Float32Array, lo: Float32Array | undefined): void {
  for (let i = 0; i < x.length; i++) {
    const h = Math.fround(x[i]);
    hi[i] = h;
    if (lo !== undefined) lo[i] = Math.fround(x[i] - h);
  }
}
