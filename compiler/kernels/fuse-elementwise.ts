// fuseElementwise: merge chains of elementwise kernel steps into one kernel.
//   A: a = f(p…) [elementwise]; B: b = g(a, q…) [elementwise]  =>  B': b = g(round(f(p…)), q…)
// placed at B's position (every operand of A is written before A, hence before B).
// Guards (each an early `continue`):
//   - a is read by B alone and no plan output binds it (A's step disappears);
//   - a is a float buffer: integer and bool stores truncate, and kernels rely on that (integer Div),
//     so integer intermediates stay materialized;
//   - B reads a at its own flat index (no broadcast of a inside B: fusing a smaller producer would
//     recompute it for every element of B), and A's operands can be re-expressed against B's dims;
//   - A's formula is small when B references a more than once (the formula is inlined per use).
// The store of a in A's dtype becomes an explicit rounding unary (roundF32/roundF16/roundBF16), so
// the fused kernel computes bit for bit what the two steps computed.

import { isFloatDType } from '../../core/dtype.js';
import { E, ElementwiseKernel, ScalarExpr } from '../../ops/kernel-ir.js';
import type { KernelPlan, PlanStep } from '../lowering/plan.js';
import { OperandTable, readsInPlace, redim } from './operand-table.js';
import { fusedNodeName, PlanEditor } from './plan-editor.js';
import { countOperandUses, exprSize, roundedTo, substituteOperands } from './scalar-expr.js';

type ElementwiseStep = Extract<PlanStep, { kind: 'elementwise' }>;

/** Largest producer formula (nodes) that may be inlined more than once into its consumer. */
const DUPLICATE_LIMIT = 8;

export function fuseElementwise(plan: KernelPlan): KernelPlan {
  const ed = new PlanEditor(plan);
  for (let j = 0; j < ed.length; j++) {
    // Absorb producers until none qualifies: the fused kernel's new operands may have fusable producers.
    for (;;) {
      const b = ed.step(j);
      if (b === undefined || b.kind !== 'elementwise') break;
      const fused = absorbOneProducer(ed, j, b);
      if (fused === undefined) break;
      ed.remove(fused.producer);
      ed.replace(j, fused.step);
    }
  }
  return ed.result();
}

function absorbOneProducer(ed: PlanEditor, j: number, b: ElementwiseStep): { producer: number; step: ElementwiseStep } | undefined {
  for (const buffer of new Set(b.operands)) {
    const i = ed.producerOf(buffer);
    if (i === undefined) continue;
    const a = ed.step(i);
    if (a === undefined || a.kind !== 'elementwise') continue;
    const step = fuseInto(ed, j, a, b);
    if (step !== undefined) return { producer: i, step };
  }
  return undefined;
}

/** B with A's formula substituted for A's output, or undefined where a guard fails. */
function fuseInto(ed: PlanEditor, j: number, a: ElementwiseStep, b: ElementwiseStep): ElementwiseStep | undefined {
  const buf = a.output;
  const ak = a.kernel;
  const bk = b.kernel;
  if (!ed.onlyReader(buf, j)) return undefined;
  if (!isFloatDType(ak.outDtype)) return undefined;
  const isA = (k: number): boolean => b.operands[k] === buf;
  if (!bk.operands.every((o, k) => !isA(k) || readsInPlace(o.dims, bk.outDims))) return undefined;
  const aDims = ak.operands.map((o) => redim(o.dims, ak.outDims, bk.outDims));
  if (aDims.some((d) => d === undefined)) return undefined;
  if (countOperandUses(bk.expr, isA) > 1 && exprSize(ak.expr) > DUPLICATE_LIMIT) return undefined;

  const table = new OperandTable();
  const bIndex = bk.operands.map((o, k) => (isA(k) ? -1 : table.add(b.operands[k], o)));
  const aIndex = ak.operands.map((o, k) => table.add(a.operands[k], { dtype: o.dtype, dims: aDims[k] ?? o.dims }));
  const inner: ScalarExpr = roundedTo(ak.outDtype, substituteOperands(ak.expr, (k) => E.operand(aIndex[k])));
  const expr = substituteOperands(bk.expr, (k) => (isA(k) ? inner : E.operand(bIndex[k])));
  const kernel: ElementwiseKernel = { kind: 'elementwise', operands: table.operands, outDims: bk.outDims, outDtype: bk.outDtype, expr };
  return { kind: 'elementwise', node: fusedNodeName(a.node, b.node), kernel, operands: table.buffers, output: b.output };
}
