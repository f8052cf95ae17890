// The operand list of a fused kernel under construction: buffer + dims + dtype triples, each kept
// once (two producers reading the same buffer the same way share one operand), plus the re-dimming
// that moves a producer's operand from its own output dims onto the consumer's.

import { sizeOf } from '../../core/shape.js';
import type { KernelOperand } from '../../ops/kernel-ir.js';

export class OperandTable {
  readonly buffers: number[] = [];
  readonly operands: KernelOperand[] = [];

  /** Index of (buffer, operand), added if new. */
  add(buffer: number, operand: KernelOperand): number {
    const i = this.buffers.findIndex((b, k) => b === buffer && sameOperand(this.operands[k], operand));
    if (i >= 0) return i;
    this.buffers.push(buffer);
    this.operands.push({ dtype: operand.dtype, dims: [...operand.dims] });
    return this.buffers.length - 1;
  }
}

function sameOperand(a: KernelOperand, b: KernelOperand): boolean {
  return a.dtype === b.dtype && sameDims(a.dims, b.dims);
}

export function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * An operand that broadcasts against `from`, re-expressed against `to` (the same element count, row
 * major), or undefined when that needs more than a rename: a scalar broadcasts anywhere, an operand
 * read element for element (its size is `from`'s) is read element for element of `to`.
 */
export function redim(operandDims: readonly number[], from: readonly number[], to: readonly number[]): readonly number[] | undefined {
  if (sameDims(from, to)) return operandDims;
  const n = sizeOf(operandDims);
  if (n === 1) return operandDims;
  if (n === sizeOf(from) && sizeOf(from) === sizeOf(to)) return to;
  return undefined;
}

/**
 * True when an operand of `operandDims` is read at the kernel's own flat output index: it broadcasts
 * into `outDims` (the kernel is valid) and has as many elements, so no axis actually repeats.
 */
export function readsInPlace(operandDims: readonly number[], outDims: readonly number[]): boolean {
  return sizeOf(operandDims) === sizeOf(outDims);
}
