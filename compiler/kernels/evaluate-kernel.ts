// Plan-time evaluation of an elementwise kernel whose operands are all constants: the kernel IR's own
// meaning (ops/kernel-ir.ts: the scalar expression in float64, rounded once to the output dtype), as
// the CPU backend's rendered kernels compute it (runtime/cpu/elementwise-codegen.ts: the same Math
// functions and formulas). lower-graph.ts uses it so that a lowering's per-channel arithmetic on
// initializers (BatchNormalization's a = scale/√(var + ε)) is computed once, not on every run: on the
// wasm backend such a kernel costs 1.5–6 µs per dispatch, most of it before V8 tiers its code up.

import { bfloat16ToFloat, floatToBfloat16, floatToHalf, halfToFloat } from '../../core/half.js';
import { fromFloat64, type HostTensor, toFloat64 } from '../../core/tensor.js';
import type { BinaryFn, ElementwiseKernel, ScalarExpr, UnaryFn } from '../../ops/kernel-ir.js';
import { mapBroadcast } from '../../ops/f64.js';

const UNARY: { readonly [F in UnaryFn]: (x: number) => number } = {
  neg: (x) => -x,
  abs: Math.abs,
  sqrt: Math.sqrt,
  rsqrt: (x) => 1 / Math.sqrt(x),
  recip: (x) => 1 / x,
  exp: Math.exp,
  log: Math.log,
  // NaN stays NaN, −0 becomes 0 (ONNX Relu).
  relu: (x) => (x > 0 ? x : x === x ? 0 : x),
  sigmoid: (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
  tanh: Math.tanh,
  floor: Math.floor,
  ceil: Math.ceil,
  square: (x) => x * x,
  roundF32: Math.fround,
  roundF16: (x) => halfToFloat(floatToHalf(x)),
  roundBF16: (x) => bfloat16ToFloat(floatToBfloat16(x)),
};

const BINARY: { readonly [F in BinaryFn]: (a: number, b: number) => number } = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: Math.pow,
  max: Math.max,
  min: Math.min,
};

function evaluate(e: ScalarExpr, xs: readonly number[]): number {
  switch (e.kind) {
    case 'operand': return xs[e.index];
    case 'const': return e.value;
    case 'unary': return UNARY[e.fn](evaluate(e.arg, xs));
    case 'binary': return BINARY[e.fn](evaluate(e.lhs, xs), evaluate(e.rhs, xs));
  }
}

/**
 * The kernel's output for these operand values (each with its kernel operand's dims), or undefined for
 * an int64 output: the CPU kernel stores those by its own rule (non-finite values as 0, wrapping past
 * 2^63), which fromFloat64's saturating conversion does not follow.
 */
export function evaluateKernel(k: ElementwiseKernel, operands: readonly HostTensor[]): HostTensor | undefined {
  if (k.outDtype === 'int64') return undefined;
  const inputs = operands.map((t, j) => ({ dims: k.operands[j].dims, data: toFloat64(t).data }));
  const out = mapBroadcast(k.outDims, inputs, (...xs) => evaluate(k.expr, xs));
  return fromFloat64(k.outDtype, k.outDims, out.data);
}
