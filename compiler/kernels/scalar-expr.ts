// Rewriting helpers over the scalar-expression IR (ops/kernel-ir.ts) used by kernel fusion: operand
// substitution, operand counts, expression size, the explicit rounding that stands in for a fused-away
// store, and a compact printer for plan descriptions.

import type { DType } from '../../core/dtype.js';
import { E, ScalarExpr, UnaryFn } from '../../ops/kernel-ir.js';

/** `e` with every operand reference replaced by `f(index)`. */
export function substituteOperands(e: ScalarExpr, f: (index: number) => ScalarExpr): ScalarExpr {
  switch (e.kind) {
    case 'operand': return f(e.index);
    case 'const': return e;
    case 'unary': return E.unary(e.fn, substituteOperands(e.arg, f));
    case 'binary': return E.binary(e.fn, substituteOperands(e.lhs, f), substituteOperands(e.rhs, f));
  }
}

/** How many times the operands accepted by `which` are referenced in `e`. */
export function countOperandUses(e: ScalarExpr, which: (index: number) => boolean): number {
  switch (e.kind) {
    case 'operand': return which(e.index) ? 1 : 0;
    case 'const': return 0;
    case 'unary': return countOperandUses(e.arg, which);
    case 'binary': return countOperandUses(e.lhs, which) + countOperandUses(e.rhs, which);
  }
}

/** Number of nodes in `e`. */
export function exprSize(e: ScalarExpr): number {
  switch (e.kind) {
    case 'operand':
    case 'const':
      return 1;
    case 'unary': return 1 + exprSize(e.arg);
    case 'binary': return 1 + exprSize(e.lhs) + exprSize(e.rhs);
  }
}

const ROUNDING: { readonly [D in DType]?: UnaryFn } = { float32: 'roundF32', float16: 'roundF16', bfloat16: 'roundBF16' };

/**
 * `e` rounded as storing it into a `dtype` buffer and loading it back would round it. Fusion only
 * passes float intermediates through (integer stores truncate, and kernels such as integer Div rely
 * on that), so this covers the float dtypes; float64 needs no rounding.
 */
export function roundedTo(dtype: DType, e: ScalarExpr): ScalarExpr {
  const fn = ROUNDING[dtype];
  return fn === undefined ? e : E.unary(fn, e);
}

const BINARY_SYMBOL: { readonly [F in 'add' | 'sub' | 'mul' | 'div']: string } = { add: '+', sub: '-', mul: '*', div: '/' };

/** A one-line formula over x0, x1, … (operand indices), for plan descriptions and tests. */
export function printExpr(e: ScalarExpr): string {
  switch (e.kind) {
    case 'operand': return `x${e.index}`;
    case 'const': return String(e.value);
    case 'unary': return `${e.fn}(${printExpr(e.arg)})`;
    case 'binary': {
      if (e.fn === 'add' || e.fn === 'sub' || e.fn === 'mul' || e.fn === 'div') {
        return `(${printExpr(e.lhs)} ${BINARY_SYMBOL[e.fn]} ${printExpr(e.rhs)})`;
      }
      return `${e.fn}(${printExpr(e.lhs)}, ${printExpr(e.rhs)})`;
    }
  }
}
