// float32 lanes, float64 per-channel vectors: in a channels-last kernel ([M, C] with a per-channel
// mean and coefficient of C float64 values, as BatchNormalization over a Dense output lowers) the
// float64 operands are vectors along every row, and converting them to float32 — hi, and lo for an
// addend (elementwise.ts splits x − mean as (x − hi) − lo) — on every row costs more than the kernel's
// own arithmetic. So the backend converts such operands once per dispatch into float32 hi (and lo)
// buffers, and runs a rewritten kernel that reads them: operand j becomes float32 hi, an appended
// operand holds lo, and every `v ± operand j` that the code generator would split becomes
// `(v ± hi) ± lo` explicitly. The arithmetic is exactly what the generated code does in-line (hi =
// f32(x), lo = f32(x − hi), the same operations in the same order), so results are bit-identical; only
// the conversions move out of the loop. Which operand a node splits is one rule, `splitAddend`.

import { countOperandUses } from '../../compiler/kernels/scalar-expr.js';
import { sizeOf } from '../../core/shape.js';
import type { ElementwiseKernel, KernelOperand, ScalarExpr } from '../../ops/kernel-ir.js';
import { rowLayout } from './row-layout.js';
import { splitAddend, splitAddends } from './split-addend.js';

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
export const MAX_FRACTION = 1 / 8;

/**
 * `v ± operand` → `(v ± hi) ± lo` for the converted operands, at exactly the nodes where the code
 * generator would split them in-line (`splitAddend` over the original kernel's float64 operands); a
 * node that splits a float64 operand left unconverted stays as it is, for the generator to split.
 */
function rewrite(e: ScalarExpr, isFloat64: (j: number) => boolean, lo: ReadonlyMap<number, number>): ScalarExpr {
  switch (e.kind) {
    case 'operand':
    case 'const':
      return e;
    case 'unary':
      return { ...e, arg: rewrite(e.arg, isFloat64, lo) };
    case 'binary': {
      const split = splitAddend(e, isFloat64);
      const l = split === undefined ? undefined : lo.get(split.operand);
      if (split !== undefined && l !== undefined) {
        const hi: ScalarExpr = { kind: 'operand', index: split.operand };
        const inner: ScalarExpr = { kind: 'binary', fn: e.fn, lhs: rewrite(split.other, isFloat64, lo), rhs: hi };
        return { kind: 'binary', fn: e.fn, lhs: inner, rhs: { kind: 'operand', index: l } };
      }
      return { ...e, lhs: rewrite(e.lhs, isFloat64, lo), rhs: rewrite(e.rhs, isFloat64, lo) };
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
    // (An operand the expression no longer reads, a folded BN shift's addend, is not converted.)
    .filter(({ o, j }) => o.dtype === 'float64' && strides[j][inner] === 1 && sizeOf(o.dims) <= outSize * MAX_FRACTION && countOperandUses(k.expr, (i) => i === j) > 0);
  if (candidates.length === 0) return undefined;
  const operands: KernelOperand[] = k.operands.map((o, j) => (candidates.some((c) => c.j === j) ? { dtype: 'float32', dims: o.dims } : o));
  const isFloat64 = (j: number): boolean => k.operands[j].dtype === 'float64';
  const addends = splitAddends(k.expr, isFloat64);
  const lo = new Map<number, number>();
  const splits: SplitOperand[] = candidates.map(({ o, j }) => {
    if (!addends.has(j)) return { operand: j, size: sizeOf(o.dims) };
    lo.set(j, operands.length);
    operands.push({ dtype: 'float32', dims: o.dims });
    return { operand: j, size: sizeOf(o.dims), lo: lo.get(j) };
  });
  return { kernel: { ...k, operands, expr: rewrite(k.expr, isFloat64, lo) }, splits };
}
