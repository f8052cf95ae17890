// float32 lanes, the normalize of BatchNormalization in training form: y = (x − mean)·a + B with the
// batch mean in float64. elementwise.ts splits the mean as hi + lo and computes ((x − hi) − lo)·a + B,
// three operations on the adder pipes per vector, which made the kernel compute-bound even in L3
// (0.18 ms on [8,64,56,56]; 0.13–0.16 ms, L3 bandwidth, without the lo step). Since, exactly,
//   (x − mean)·a + B = (x − hi)·a + (B − lo·a),   lo = mean − hi (exact in float64),
// the backend computes the shift C = f32(B − (mean − hi)·a) once per dispatch, in float64 from the
// operands' own values, and runs the kernel (x − hi)·a + C: hi and C are float32 operands of the
// rewritten kernel.
//
// Rounding: (x − hi)·f32(a) + C rounds x − hi (exact for x within a factor 2 of hi: Sterbenz), the
// product, C and the sum, each ≤ 2^-24 relative, where the split form rounded x − hi − lo instead of
// C: both stay within a few float32 ulps of |(x − mean)·a| + |B| (fold-shift.test.ts and
// elementwise.test.ts check data offset by 1e4 against the float64 reference, and the results bit for
// bit against this arithmetic written out; epilogue-in-place.test.ts the fold inside conv/matmul
// epilogues).
//
// The fold applies where the float64 mean, the factor and the shift are small operands of the same dims
// (per-channel vectors, or constants), so the conversion costs nothing beside the kernel, and the mean
// is used nowhere else in the expression. Other kernels are left to the in-line split.

import { countOperandUses } from '../../compiler/kernels/scalar-expr.js';
import { sizeOf } from '../../core/shape.js';
import type { ElementwiseKernel, KernelOperand, ScalarExpr } from '../../ops/kernel-ir.js';
import { MAX_FRACTION } from './split-operands.js';

/** A factor or shift: an operand of the original kernel, or a constant. */
export type FoldTerm = { readonly operand: number } | { readonly value: number };

export interface ShiftFold {
  /** The rewritten kernel: operand `mean` is float32 hi, operand `shift` (appended) is C. */
  readonly kernel: ElementwiseKernel;
  readonly mean: number;
  readonly factor: FoldTerm;
  readonly addend: FoldTerm;
  /** Index of the appended operand C, and the element count of mean, factor and C. */
  readonly shift: number;
  readonly size: number;
}

interface Match {
  readonly node: ScalarExpr;
  readonly value: ScalarExpr;
  readonly mean: number;
  readonly factor: ScalarExpr;
  readonly factorOnLeft: boolean;
  readonly addend: ScalarExpr;
  readonly addendOnLeft: boolean;
}

/** (v − M)·A or A·(v − M) with M a float64 operand: v, M, A and A's side. */
function product(e: ScalarExpr, isFloat64: (j: number) => boolean): { value: ScalarExpr; mean: number; factor: ScalarExpr; factorOnLeft: boolean } | undefined {
  if (e.kind !== 'binary' || e.fn !== 'mul') return undefined;
  for (const [diff, factor, factorOnLeft] of [[e.lhs, e.rhs, false], [e.rhs, e.lhs, true]] as const) {
    if (diff.kind === 'binary' && diff.fn === 'sub' && diff.rhs.kind === 'operand' && isFloat64(diff.rhs.index)) {
      return { value: diff.lhs, mean: diff.rhs.index, factor, factorOnLeft };
    }
  }
  return undefined;
}

/** The first node (pre-order) of the form (v − M)·A + B, either way round. */
function findAffine(e: ScalarExpr, isFloat64: (j: number) => boolean): Match | undefined {
  if (e.kind === 'binary' && e.fn === 'add') {
    for (const [p, addend, addendOnLeft] of [[e.lhs, e.rhs, false], [e.rhs, e.lhs, true]] as const) {
      const m = product(p, isFloat64);
      if (m !== undefined) return { node: e, ...m, addend, addendOnLeft };
    }
  }
  if (e.kind === 'unary') return findAffine(e.arg, isFloat64);
  if (e.kind === 'binary') return findAffine(e.lhs, isFloat64) ?? findAffine(e.rhs, isFloat64);
  return undefined;
}

function replace(e: ScalarExpr, node: ScalarExpr, by: ScalarExpr): ScalarExpr {
  if (e === node) return by;
  if (e.kind === 'unary') return { ...e, arg: replace(e.arg, node, by) };
  if (e.kind === 'binary') return { ...e, lhs: replace(e.lhs, node, by), rhs: replace(e.rhs, node, by) };
  return e;
}

/** A constant, or an operand with the mean's dims: what C can be computed from element by element. */
function term(e: ScalarExpr, operands: readonly KernelOperand[], dims: readonly number[]): FoldTerm | undefined {
  if (e.kind === 'const') return { value: e.value };
  if (e.kind !== 'operand') return undefined;
  const o = operands[e.index];
  const float = o.dtype === 'float32' || o.dtype === 'float64';
  return float && o.dims.length === dims.length && o.dims.every((d, i) => d === dims[i]) ? { operand: e.index } : undefined;
}

/** The kernel with (v − M)·A + B computed as (v − hi)·A + C, or undefined where the fold does not apply. */
export function foldSplitShift(k: ElementwiseKernel): ShiftFold | undefined {
  if (k.outDtype !== 'float32') return undefined;
  const isFloat64 = (j: number): boolean => k.operands[j].dtype === 'float64';
  const m = findAffine(k.expr, isFloat64);
  if (m === undefined || countOperandUses(k.expr, (j) => j === m.mean) !== 1) return undefined;
  const dims = k.operands[m.mean].dims;
  const size = sizeOf(dims);
  if (size > sizeOf(k.outDims) * MAX_FRACTION) return undefined;
  const factor = term(m.factor, k.operands, dims);
  const addend = term(m.addend, k.operands, dims);
  if (factor === undefined || addend === undefined) return undefined;
  const shift = k.operands.length;
  const operands: KernelOperand[] = k.operands.map((o, j) => (j === m.mean ? { dtype: 'float32', dims } : o));
  operands.push({ dtype: 'float32', dims });
  const diff: ScalarExpr = { kind: 'binary', fn: 'sub', lhs: m.value, rhs: { kind: 'operand', index: m.mean } };
  const prod: ScalarExpr = { kind: 'binary', fn: 'mul', lhs: m.factorOnLeft ? m.factor : diff, rhs: m.factorOnLeft ? diff : m.factor };
  const c: ScalarExpr = { kind: 'operand', index: shift };
  const sum: ScalarExpr = { kind: 'binary', fn: 'add', lhs: m.addendOnLeft ? c : prod, rhs: m.addendOnLeft ? prod : c };
  return { kernel: { ...k, operands, expr: replace(k.expr, m.node, sum) }, mean: m.mean, factor, addend, shift, size };
}
