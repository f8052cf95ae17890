// A routine's fused epilogue (ops/kernel-ir.ts Epilogue) as an elementwise kernel over the routine's
// raw float32 output. The wasm routines embed its function and apply it to each block as they store
// it (epilogue-stage.ts); where a second pass is legal and cheaper (Winograd into a float32 output that
// shares no storage with an epilogue operand) or the epilogue has no wasm form, they store raw results
// and run this kernel over them, parallel and chunked like any elementwise kernel. The wasm routines accumulate in
// float32, so operand 0 is read as float32 even where the lowering kept the product in float64 (Gemm
// with a bias: the CPU backend's float64 product, rounded once) — the widening is exact, and the
// difference is the float32 accumulation every wasm GEMM has.

import type { DType } from '../../../core/dtype.js';
import type { Epilogue, ElementwiseKernel } from '../../../ops/kernel-ir.js';

const kernels = new WeakMap<Epilogue, Map<DType, ElementwiseKernel>>();

/** The dtypes an unfused plan may have stored the raw product in, that a float32 raw output stands for. */
export const RAW_DTYPES: ReadonlySet<DType> = new Set<DType>(['float32', 'float64']);

/** The same kernel object for the same epilogue and output dtype (so compiled kernels are reused). */
export function epilogueKernel(e: Epilogue, outDtype: DType): ElementwiseKernel {
  let byDtype = kernels.get(e);
  if (byDtype === undefined) {
    byDtype = new Map();
    kernels.set(e, byDtype);
  }
  let k = byDtype.get(outDtype);
  if (k === undefined) {
    const [raw, ...extra] = e.operands;
    k = { kind: 'elementwise', operands: [{ ...raw, dtype: 'float32' }, ...extra], outDims: raw.dims, outDtype, expr: e.expr };
    byDtype.set(outDtype, k);
  }
  return k;
}
