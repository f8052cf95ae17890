// The CPU epilogue codegen: applied to any run of output elements (starting mid-row, crossing rows and
// planes), each extra operand is read at its broadcast position, checked against index arithmetic
// written here; the rounding unaries match a float32/float16 store.

import { describe, expect, it } from 'vitest';
import { sizeOf, stridesOf } from '../../core/shape.js';
import { floatToHalf, halfToFloat } from '../../core/half.js';
import { E, Epilogue } from '../../ops/kernel-ir.js';
import { compileEpilogue, renderEpilogue } from '../../runtime/cpu/epilogue-codegen.js';
import { mulberry32, randomValues } from '../helpers/random.js';

/** Flat index into a right-aligned broadcast operand of `opDims` for output flat index `i` over `dims`. */
function broadcastIndex(i: number, dims: readonly number[], opDims: readonly number[]): number {
  const outStrides = stridesOf(dims);
  const own = stridesOf(opDims);
  const off = dims.length - opDims.length;
  let idx = 0;
  for (let d = 0; d < dims.length; d++) {
    const c = Math.floor(i / outStrides[d]) % dims[d];
    if (d - off >= 0 && opDims[d - off] !== 1) idx += c * own[d - off];
  }
  return idx;
}

const cases: { name: string; dims: number[]; extras: number[][] }[] = [
  { name: 'per-channel and residual over NCHW', dims: [2, 3, 4, 5], extras: [[3, 1, 1], [2, 3, 4, 5]] },
  { name: 'row vector and column vector', dims: [6, 7], extras: [[7], [6, 1]] },
  { name: 'broadcast middle axes', dims: [2, 3, 1, 4, 5], extras: [[2, 1, 1, 1, 5], [1, 4, 1]] },
  { name: 'no extras', dims: [3, 5], extras: [] },
  { name: 'scalar output', dims: [1, 1], extras: [[1]] },
];

describe('CPU epilogue codegen', () => {
  it.each(cases)('$name: any run of elements matches index arithmetic', ({ dims, extras }) => {
    const n = sizeOf(dims);
    // x0·(x1 + 1) − x2 … over however many extras there are.
    let expr = E.mul(E.operand(0), E.const(1.5));
    extras.forEach((_, j) => (expr = j % 2 === 0 ? E.add(expr, E.operand(j + 1)) : E.mul(expr, E.operand(j + 1))));
    const epilogue: Epilogue = { expr, operands: [{ dtype: 'float32', dims }, ...extras.map((d) => ({ dtype: 'float64' as const, dims: d }))] };
    const fn = compileEpilogue(epilogue);
    const src = randomValues(n + 3, { seed: 1 });
    const ops = extras.map((d, j) => randomValues(sizeOf(d), { seed: 10 + j }));
    const expected = (i: number, s: number): number => {
      let v = src[s] * 1.5;
      extras.forEach((d, j) => {
        const e = ops[j][broadcastIndex(i, dims, d)];
        v = j % 2 === 0 ? v + e : v * e;
      });
      return v;
    };
    const rnd = mulberry32(7);
    for (let trial = 0; trial < 40; trial++) {
      const start = Math.floor(rnd() * n);
      const len = Math.floor(rnd() * (n - start + 1));
      const srcOff = Math.floor(rnd() * 4);
      const out = new Float64Array(n).fill(NaN);
      fn(src, srcOff, out, start, len, ops);
      for (let i = 0; i < n; i++) {
        if (i < start || i >= start + len) expect(out[i], `element ${i} outside the run`).toBeNaN();
        else expect(out[i], `element ${i} of run [${start}, ${start + len})`).toBe(expected(i, srcOff + i - start));
      }
    }
  });

  it('renders merged axes: a per-channel operand advances once per plane', () => {
    const src = renderEpilogue({ expr: E.mul(E.operand(0), E.operand(1)), operands: [{ dtype: 'float32', dims: [2, 3, 4, 5] }, { dtype: 'float32', dims: [3, 1, 1] }] });
    // [2,3,4,5] against [3,1,1]: the 4·5 inner axes merge into one run of 20 with stride 0.
    expect(src).toMatch(/Math\.min\(len - t, 20 - c2\)/);
    expect(src).toMatch(/const x1 = e1\[p1\];/);
  });

  it('rounding unaries match a float32 and a float16 store', () => {
    const fn = compileEpilogue({ expr: E.add(E.unary('roundF32', E.operand(0)), E.unary('roundF16', E.operand(0))), operands: [{ dtype: 'float64', dims: [64] }] });
    const src = randomValues(64, { seed: 3, low: -1000, high: 1000 });
    const out = new Float64Array(64);
    fn(src, 0, out, 0, 64, []);
    for (let i = 0; i < 64; i++) expect(out[i]).toBe(Math.fround(src[i]) + halfToFloat(floatToHalf(src[i])));
  });
});
