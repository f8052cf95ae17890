// A routine's fused epilogue (ops/kernel-ir.ts Epilogue) as an elementwise kernel over the routine's
// raw float32 output: the wasm routines store raw results, then run this kernel over the output (a
// second pass, parallel and chunked like any elementwise kernel).

import type { DType } from '../../../core/dtype.js';
import type { Epilogue, ElementwiseKernel } from '../../../ops/kernel-ir.js';

const kernels = new WeakMap<Epilogue, Map<DType, ElementwiseKernel>>();

/** The same kernel object for the same epilogue and output dtype (so compiled kernels are reused). */
export function epilogueKernel(e: Epilogue, outDtype: DType): ElementwiseKernel {
  let byDtype = kernels.get(e);
  if (byDtype === undefined) {
    byDtype = new Map();
    kernels.set(e, byDtype);
  }
  let k = byDtype.get(outDtype);
  if (k === undefined) {
    k = { kind: 'elementwise', operands: e.operands, outDims: e.operands[0].dims, outDtype, expr: e.expr };
    byDtype.set(outDtype, k);
  }
  return k;
}
