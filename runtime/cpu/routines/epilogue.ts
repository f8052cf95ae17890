// How the heavy CPU routines (matmul, conv2d, convTranspose2d) store a finished run of output elements:
// a plain copy, or through the call's fused epilogue (DESIGN.md §5) with its extra operands, which the
// plan step lists after the routine's own operands.

import { EpilogueRoutineCall, routineOwnOperands } from '../../../ops/kernel-ir.js';
import { compileEpilogue } from '../epilogue-codegen.js';
import type { FloatArray } from './types.js';

/** Store src[srcOff, srcOff + len) as out[outOff, outOff + len). */
export type StoreRun = (src: Float64Array, srcOff: number, outOff: number, len: number) => void;

export function outputStore(call: EpilogueRoutineCall, inputs: readonly FloatArray[], out: FloatArray): StoreRun {
  const epilogue = call.epilogue;
  if (epilogue === undefined) {
    return (src, srcOff, outOff, len) => {
      out.set(srcOff === 0 && len === src.length ? src : src.subarray(srcOff, srcOff + len), outOff);
    };
  }
  const fn = compileEpilogue(epilogue);
  const extras = inputs.slice(routineOwnOperands(call));
  return (src, srcOff, outOff, len) => fn(src, srcOff, out, outOff, len, extras);
}
