// Which elementwise kernels the wasm backend vectorizes, and the rows × runs view it generates them
// over (the CPU codegen's merged loop nest, seen as rows of the innermost merged axis).

import type { DType } from '../../core/dtype.js';
import { sizeOf } from '../../core/shape.js';
import type { BinaryFn, ElementwiseKernel, ScalarExpr, UnaryFn } from '../../ops/kernel-ir.js';
import { countOperandUses } from '../../compiler/kernels/scalar-expr.js';
import { loopNest } from '../cpu/elementwise-codegen.js';
import type { Precision } from './elementwise.js';

const VECTOR_UNARY: ReadonlySet<UnaryFn> = new Set<UnaryFn>(['neg', 'abs', 'sqrt', 'rsqrt', 'recip', 'relu', 'floor', 'ceil', 'square', 'roundF32']);
const VECTOR_BINARY: ReadonlySet<BinaryFn> = new Set<BinaryFn>(['add', 'sub', 'mul', 'div', 'max', 'min']);

function isWasmFloat(d: DType): boolean {
  return d === 'float32' || d === 'float64';
}

function unsupportedFn(e: ScalarExpr): string | undefined {
  switch (e.kind) {
    case 'operand':
    case 'const':
      return undefined;
    case 'unary': return VECTOR_UNARY.has(e.fn) ? unsupportedFn(e.arg) : e.fn;
    case 'binary': return VECTOR_BINARY.has(e.fn) ? unsupportedFn(e.lhs) ?? unsupportedFn(e.rhs) : e.fn;
  }
}

/** Why the kernel has no wasm form (the backend then runs the CPU kernel), or undefined. */
export function unsupportedReason(k: ElementwiseKernel): string | undefined {
  if (!isWasmFloat(k.outDtype)) return `output dtype ${k.outDtype}`;
  const bad = k.operands.findIndex((o) => !isWasmFloat(o.dtype));
  if (bad >= 0) return `operand ${bad} dtype ${k.operands[bad].dtype}`;
  const fn = unsupportedFn(k.expr);
  if (fn !== undefined) return `function ${fn} has no SIMD form`;
  if (sizeOf(k.outDims) * 8 >= 2 ** 32) return 'more elements than a 32-bit memory holds';
  return undefined;
}

/** Rows × runs view of the kernel: the merged loop nest, with every operand's innermost stride 0 or 1. */
export interface RowLayout {
  /** Merged dims (at least one); the last is the run length. */
  readonly dims: readonly number[];
  /** Per operand, element strides over `dims`. */
  readonly strides: readonly (readonly number[])[];
}

export function rowLayout(k: ElementwiseKernel): RowLayout {
  const nest = loopNest(k);
  if (nest.dims.length === 0) return { dims: [1], strides: k.operands.map(() => [0]) };
  for (const s of nest.strides) {
    const inner = s[s.length - 1];
    if (inner !== 0 && inner !== 1) throw new Error(`wasm elementwise: innermost stride ${inner} (expected 0 or 1)`);
  }
  return nest;
}

/**
 * How the generated loop reads each operand along a row: as vectors (contiguous), as a splat loaded once
 * per row (stride 0), or not at all when the expression does not reference it (a folded BN shift's
 * original addend: fold-shift.ts).
 */
export type OperandLoad = 'vector' | 'splat' | 'unused';

export function operandLoads(k: ElementwiseKernel, layout: RowLayout): OperandLoad[] {
  const inner = layout.dims.length - 1;
  return k.operands.map((_, j) => {
    if (countOperandUses(k.expr, (i) => i === j) === 0) return 'unused';
    return layout.strides[j][inner] === 1 ? 'vector' : 'splat';
  });
}

/** A one-line description of the generated loop (for inspection and tests). */
export function describeWasmKernel(k: ElementwiseKernel, precision: Precision = 'float64'): string {
  const reason = unsupportedReason(k);
  if (reason !== undefined) return `js fallback (${reason})`;
  const layout = rowLayout(k);
  const loads = operandLoads(k, layout);
  const run = layout.dims[layout.dims.length - 1];
  const ops = k.operands.map((o, j) => `x${j}:${o.dtype === 'float32' ? 'f32' : 'f64'} ${loads[j]}`);
  return `${precision === 'float64' ? 'f64x2' : 'f32x4'} rows ${sizeOf(layout.dims) / run} × run ${run}; ${ops.join(', ')}`;
}
