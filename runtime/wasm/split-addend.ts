// The one rule for where float32 lanes split a float64 operand into float32 hi + lo (DESIGN.md §6):
// shared by the in-line split of elementwise.ts and the once-per-dispatch conversion of split-operands.ts.

import type { ScalarExpr } from '../../ops/kernel-ir.js';

/**
 * Where float32 lanes split a float64 operand into hi + lo: at `v ± operand`, the rhs of an add or a
 * sub, else the lhs of an add (one side per node; the other float64 side, if any, rounds to float32).
 * The operand and the other side, or undefined. The one rule for elementwise.ts and split-operands.ts.
 */
export function splitAddend(e: ScalarExpr, isFloat64: (j: number) => boolean): { readonly operand: number; readonly other: ScalarExpr } | undefined {
  if (e.kind !== 'binary' || (e.fn !== 'add' && e.fn !== 'sub')) return undefined;
  if (e.rhs.kind === 'operand' && isFloat64(e.rhs.index)) return { operand: e.rhs.index, other: e.lhs };
  if (e.fn === 'add' && e.lhs.kind === 'operand' && isFloat64(e.lhs.index)) return { operand: e.lhs.index, other: e.rhs };
  return undefined;
}

/** The operands `splitAddend` picks anywhere in the expression. */
export function splitAddends(expr: ScalarExpr, isFloat64: (j: number) => boolean): ReadonlySet<number> {
  const out = new Set<number>();
  const visit = (e: ScalarExpr): void => {
    if (e.kind === 'unary') visit(e.arg);
    if (e.kind !== 'binary') return;
    const s = splitAddend(e, isFloat64);
    if (s !== undefined) out.add(s.operand);
    visit(e.lhs);
    visit(e.rhs);
  };
  visit(expr);
  return out;
}
