// Renders an elementwise kernel to JavaScript over typed arrays: nested loops over the output with
// per-operand strides (0 on broadcast axes), adjacent axes merged where every operand allows it.
// The source is printable (`renderElementwise`) and compiled kernels are cached by source text.

import type { DType } from '../../core/dtype.js';
import { stridesOf } from '../../core/shape.js';
import { bfloat16ToFloat, floatToBfloat16, floatToHalf, halfToFloat } from '../../core/half.js';
import type { BinaryFn, ElementwiseKernel, KernelOperand, ScalarExpr, UnaryFn } from '../../ops/kernel-ir.js';
import type { Storage } from '../../core/dtype.js';

export type ElementwiseFn = (operands: readonly Storage[], out: Storage) => void;

const UNARY: { readonly [F in UnaryFn]: (a: string) => string } = {
  neg: (a) => `(-${a})`,
  abs: (a) => `Math.abs(${a})`,
  sqrt: (a) => `Math.sqrt(${a})`,
  rsqrt: (a) => `(1 / Math.sqrt(${a}))`,
  recip: (a) => `(1 / ${a})`,
  exp: (a) => `Math.exp(${a})`,
  log: (a) => `Math.log(${a})`,
  // NaN stays NaN (ONNX Relu is max(0, x) with NaN propagation).
  relu: (a) => `relu(${a})`,
  sigmoid: (a) => `sigmoid(${a})`,
  tanh: (a) => `Math.tanh(${a})`,
  floor: (a) => `Math.floor(${a})`,
  ceil: (a) => `Math.ceil(${a})`,
  square: (a) => `square(${a})`,
  // What storing into a float32 / float16 / bfloat16 buffer and loading it back would give.
  roundF32: (a) => `Math.fround(${a})`,
  roundF16: (a) => `h2f(f2h(${a}))`,
  roundBF16: (a) => `bf2f(f2bf(${a}))`,
};

const BINARY: { readonly [F in BinaryFn]: (a: string, b: string) => string } = {
  add: (a, b) => `(${a} + ${b})`,
  sub: (a, b) => `(${a} - ${b})`,
  mul: (a, b) => `(${a} * ${b})`,
  div: (a, b) => `(${a} / ${b})`,
  pow: (a, b) => `Math.pow(${a}, ${b})`,
  max: (a, b) => `Math.max(${a}, ${b})`,
  min: (a, b) => `Math.min(${a}, ${b})`,
};

export const PRELUDE = [
  'const relu = (x) => (x > 0 ? x : x === x ? 0 : x);',
  'const sigmoid = (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));',
  'const square = (x) => x * x;',
  'const toI64 = (x) => BigInt(Number.isFinite(x) ? Math.trunc(x) : 0);',
].join('\n');

function load(dtype: DType, ref: string): string {
  switch (dtype) {
    case 'float16': return `h2f(${ref})`;
    case 'bfloat16': return `bf2f(${ref})`;
    case 'int64': return `Number(${ref})`;
    default: return ref;
  }
}

function store(dtype: DType, v: string): string {
  switch (dtype) {
    case 'float16': return `f2h(${v})`;
    case 'bfloat16': return `f2bf(${v})`;
    // ONNX Cast float -> int truncates toward zero; NaN and ±inf have no integer value: 0, as typed arrays give.
    case 'int64': return `toI64(${v})`;
    case 'bool': return `((${v}) !== 0 ? 1 : 0)`;
    default: return v;
  }
}

export function renderExpr(e: ScalarExpr): string {
  switch (e.kind) {
    case 'operand': return `x${e.index}`;
    case 'const': return Number.isNaN(e.value) ? 'NaN' : e.value === Infinity ? 'Infinity' : e.value === -Infinity ? '-Infinity' : `(${e.value})`;
    case 'unary': return UNARY[e.fn](renderExpr(e.arg));
    case 'binary': return BINARY[e.fn](renderExpr(e.lhs), renderExpr(e.rhs));
  }
}

/**
 * Per-operand strides over the output dims (0 where broadcast), then merge axes that stay linear.
 * Operands are right-aligned against `outDims` (numpy rules).
 */
export function loopNest(k: { readonly operands: readonly KernelOperand[]; readonly outDims: readonly number[] }): { dims: number[]; strides: number[][] } {
  const outDims = [...k.outDims];
  const rank = outDims.length;
  let strides = k.operands.map((o) => {
    const own = stridesOf(o.dims);
    const off = rank - o.dims.length;
    return outDims.map((_, d) => (d - off >= 0 && o.dims[d - off] !== 1 ? own[d - off] : 0));
  });
  strides = [stridesOf(outDims), ...strides];
  const dims: number[] = [];
  const merged: number[][] = strides.map(() => []);
  for (let d = 0; d < rank; d++) {
    if (outDims[d] === 1) continue;
    const last = dims.length - 1;
    const canMerge = last >= 0 && strides.every((s, j) => merged[j][last] === s[d] * outDims[d]);
    if (canMerge) {
      dims[last] *= outDims[d];
      strides.forEach((s, j) => (merged[j][last] = s[d]));
    } else {
      dims.push(outDims[d]);
      strides.forEach((s, j) => merged[j].push(s[d]));
    }
  }
  return { dims, strides: merged.slice(1) };
}

export function renderElementwise(k: ElementwiseKernel): string {
  const { dims, strides } = loopNest(k);
  const n = k.operands.length;
  const lines: string[] = [PRELUDE];
  for (let j = 0; j < n; j++) lines.push(`const o${j} = operands[${j}];`);
  lines.push('let i = 0;');
  const indent = (d: number): string => '  '.repeat(d);
  const base = (j: number, d: number): string => (d === 0 ? '0' : `p${j}_${d - 1}`);
  dims.forEach((size, d) => {
    lines.push(`${indent(d)}for (let a${d} = 0; a${d} < ${size}; a${d}++) {`);
    for (let j = 0; j < n; j++) {
      const s = strides[j][d];
      lines.push(`${indent(d + 1)}const p${j}_${d} = ${base(j, d)}${s === 0 ? '' : ` + a${d} * ${s}`};`);
    }
  });
  const depth = dims.length;
  for (let j = 0; j < n; j++) lines.push(`${indent(depth)}const x${j} = ${load(k.operands[j].dtype, `o${j}[${base(j, depth)}]`)};`);
  lines.push(`${indent(depth)}out[i++] = ${store(k.outDtype, renderExpr(k.expr))};`);
  for (let d = depth - 1; d >= 0; d--) lines.push(`${indent(d)}}`);
  return lines.join('\n');
}

const cache = new Map<string, ElementwiseFn>();

export function compileElementwise(k: ElementwiseKernel): ElementwiseFn {
  const src = renderElementwise(k);
  let fn = cache.get(src);
  if (fn === undefined) {
    const make = new Function('h2f', 'bf2f', 'f2h', 'f2bf', `return (operands, out) => {\n${src}\n};`) as (
      ...helpers: ((x: number) => number)[]
    ) => ElementwiseFn;
    fn = make(halfToFloat, bfloat16ToFloat, floatToHalf, floatToBfloat16);
    cache.set(src, fn);
  }
  return fn;
}
