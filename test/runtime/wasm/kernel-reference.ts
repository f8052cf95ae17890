// Test oracles for the wasm backend: an independent float64 evaluator of elementwise kernels (its own
// broadcasting index math and scalar semantics), and helpers that run a kernel or a routine on a
// backend from host arrays.

import { allocateStorage, DType, Storage } from '../../../core/dtype.js';
import { halfToFloat, floatToHalf } from '../../../core/half.js';
import { sizeOf } from '../../../core/shape.js';
import { fromFloat64, readElement } from '../../../core/tensor.js';
import type { ElementwiseKernel, RoutineCall, ScalarExpr } from '../../../ops/kernel-ir.js';
import { afterAll } from 'vitest';
import type { Backend } from '../../../runtime/backend.js';
import { WasmBackend } from '../../../runtime/wasm/wasm-backend.js';

function evalExpr(e: ScalarExpr, x: readonly number[]): number {
  switch (e.kind) {
    case 'operand': return x[e.index];
    case 'const': return e.value;
    case 'unary': {
      const a = evalExpr(e.arg, x);
      switch (e.fn) {
        case 'neg': return -a;
        case 'abs': return Math.abs(a);
        case 'sqrt': return Math.sqrt(a);
        case 'rsqrt': return 1 / Math.sqrt(a);
        case 'recip': return 1 / a;
        case 'exp': return Math.exp(a);
        case 'log': return Math.log(a);
        case 'relu': return Number.isNaN(a) ? a : a > 0 ? a : 0;
        case 'sigmoid': return 1 / (1 + Math.exp(-a));
        case 'tanh': return Math.tanh(a);
        case 'floor': return Math.floor(a);
        case 'ceil': return Math.ceil(a);
        case 'square': return a * a;
        case 'roundF32': return Math.fround(a);
        case 'roundF16': return halfToFloat(floatToHalf(a));
        case 'roundBF16': throw new Error('not needed by these tests');
      }
      throw new Error('unreachable');
    }
    case 'binary': {
      const a = evalExpr(e.lhs, x);
      const b = evalExpr(e.rhs, x);
      switch (e.fn) {
        case 'add': return a + b;
        case 'sub': return a - b;
        case 'mul': return a * b;
        case 'div': return a / b;
        case 'pow': return Math.pow(a, b);
        case 'max': return Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b);
        case 'min': return Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b);
      }
    }
  }
}

/** The kernel's value at every output element, in float64, before any output rounding. */
export function referenceElementwise(k: ElementwiseKernel, operands: readonly Float64Array[]): Float64Array {
  const out = k.outDims;
  const n = sizeOf(out);
  const res = new Float64Array(n);
  const idx = new Array<number>(out.length).fill(0);
  for (let i = 0; i < n; i++) {
    let rem = i;
    for (let d = out.length - 1; d >= 0; d--) {
      idx[d] = rem % out[d];
      rem = Math.floor(rem / out[d]);
    }
    const xs = k.operands.map((o, j) => {
      let off = 0;
      let stride = 1;
      for (let d = o.dims.length - 1; d >= 0; d--) {
        const od = out.length - o.dims.length + d;
        off += (o.dims[d] === 1 ? 0 : idx[od]) * stride;
        stride *= o.dims[d];
      }
      return operands[j][off];
    });
    res[i] = evalExpr(k.expr, xs);
  }
  return res;
}

export function values(t: { readonly dtype: DType; readonly data: Storage }): Float64Array {
  const out = new Float64Array(t.data.length);
  for (let i = 0; i < out.length; i++) out[i] = readElement(t.dtype, t.data, i);
  return out;
}

/** Host storage of `dtype` holding `v` (rounded as the dtype stores it). */
export function storage(dtype: DType, v: ArrayLike<number>): Storage {
  return fromFloat64(dtype, [v.length], v).data;
}

/** Run one elementwise kernel on a backend from host operands; returns the output storage. */
export function runKernel<B, C>(be: Backend<B, C>, k: ElementwiseKernel, inputs: readonly Storage[]): Storage {
  const bufs = inputs.map((d, j) => {
    const b = be.allocate(k.operands[j].dtype, d.length);
    be.write(b, d);
    return b;
  });
  const out = be.allocate(k.outDtype, sizeOf(k.outDims));
  be.dispatch(be.compile(k), bufs, out);
  return be.read(out);
}

/** Run one routine on a backend from host operands; returns the outputs' storage. */
export function runRoutineOn<B, C>(
  be: Backend<B, C>,
  call: RoutineCall,
  inputs: readonly { readonly dtype: DType; readonly data: Storage }[],
  outputs: readonly { readonly dtype: DType; readonly size: number }[],
): Storage[] {
  const bufs = inputs.map((t) => {
    const b = be.allocate(t.dtype, t.data.length);
    be.write(b, t.data);
    return b;
  });
  const outs = outputs.map((o) => {
    const b = be.allocate(o.dtype, o.size);
    // NaN-filled float outputs: a routine that skips an element shows up in the comparison.
    const init = allocateStorage(o.dtype, o.size);
    if (init instanceof Float32Array || init instanceof Float64Array) init.fill(Number.NaN);
    be.write(b, init);
    return b;
  });
  be.runRoutine(call, bufs, outs);
  return outs.map((b) => be.read(b));
}

/**
 * Wasm backends created on first use, one per thread count, disposed after the test file (call at
 * module level: the afterAll hook belongs to the calling file).
 */
export function backendsByThreads(): (threads: number) => WasmBackend {
  const backends = new Map<number, WasmBackend>();
  afterAll(() => {
    for (const be of backends.values()) be.dispose();
  });
  return (threads) => {
    let be = backends.get(threads);
    if (be === undefined) {
      be = new WasmBackend({ threads });
      backends.set(threads, be);
    }
    return be;
  };
}
