// Plan-time evaluation of all-constant elementwise kernels (compiler/kernels/evaluate-kernel.ts)
// against the CPU backend's rendered JavaScript kernels (runtime/cpu/elementwise-codegen.ts), an
// independent implementation of the same IR: bit for bit over every unary and binary function,
// broadcasting and each float output dtype; and the BatchNormalization lowering that uses it.

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import { evaluateKernel } from '../../compiler/kernels/evaluate-kernel.js';
import { compilePlan } from '../../compiler/lowering/compile-plan.js';
import type { DType } from '../../core/dtype.js';
import { E, type ElementwiseKernel, type ScalarExpr, type UnaryFn } from '../../ops/kernel-ir.js';
import { CpuBackend } from '../../runtime/cpu/cpu-backend.js';
import { GraphSession } from '../../runtime/graph-session.js';
import { randomTensor } from '../helpers/random.js';

const UNARY: readonly UnaryFn[] = ['neg', 'abs', 'sqrt', 'rsqrt', 'recip', 'exp', 'log', 'relu', 'sigmoid', 'tanh', 'floor', 'ceil', 'square', 'roundF32', 'roundF16', 'roundBF16'];
const X = E.operand(0);
const Y = E.operand(1);

function onCpu(k: ElementwiseKernel, inputs: ReturnType<typeof randomTensor>[]): ArrayLike<number | bigint> {
  const be = new CpuBackend();
  const out = be.allocate(k.outDtype, k.outDims.reduce((a, b) => a * b, 1));
  be.dispatch(be.compile(k), inputs.map((t) => be.constant(t.dtype, t.data)), out);
  return be.read(out);
}

describe('evaluateKernel', () => {
  const x = randomTensor('float32', [3, 1, 5], { seed: 4, low: -3, high: 3 });
  const y = randomTensor('float64', [4, 1], { seed: 5, low: -2, high: 2 });
  // Special values: NaN, ±0 sums (x + y = −0 where x = −0 meets y = −0) and an infinity.
  x.data.set([NaN, -0, Infinity], 0);
  y.data.set([-0, 40], 0);
  const cases: [string, ScalarExpr][] = [
    ...UNARY.map((fn): [string, ScalarExpr] => [fn, E.unary(fn, E.binary('add', X, Y))]),
    ...(['add', 'sub', 'mul', 'div', 'pow', 'max', 'min'] as const).map((fn): [string, ScalarExpr] => [fn, E.binary(fn, E.unary('abs', X), Y)]),
  ];
  it.each(cases)('%s over broadcast operands [3,1,5] × [4,1], as the CPU kernel computes it', (_, expr) => {
    for (const outDtype of ['float32', 'float64', 'float16'] as DType[]) {
      const k: ElementwiseKernel = { kind: 'elementwise', operands: [{ dtype: 'float32', dims: [3, 1, 5] }, { dtype: 'float64', dims: [4, 1] }], outDims: [3, 4, 5], outDtype, expr };
      const got = evaluateKernel(k, [x, y]);
      if (got === undefined) throw new Error('expected a value');
      expect(got.dtype).toBe(outDtype);
      expect(got.dims).toEqual([3, 4, 5]);
      expect(Array.from(got.data as ArrayLike<number>), outDtype).toEqual(Array.from(onCpu(k, [x, y]) as ArrayLike<number>));
    }
  });

  it('leaves int64 outputs to the kernel (its store maps non-finite values to 0 and wraps)', () => {
    const k: ElementwiseKernel = { kind: 'elementwise', operands: [{ dtype: 'float64', dims: [3] }], outDims: [3], outDtype: 'int64', expr: X };
    expect(evaluateKernel(k, [{ dtype: 'float64', dims: [3], data: Float64Array.from([Infinity, 1e20, -2.5]) }])).toBeUndefined();
  });
});

describe('all-constant kernels in a lowering', () => {
  it("BatchNormalization inference: a = scale/√(var + ε) is computed at plan time; one kernel runs, and the result is the reference's", () => {
    const b = new GraphBuilder('bn');
    const xv = b.input('x', 'float32', [2, 3, 4, 5]);
    const [scale, B, mean, variance] = [0.5, -1, -0.5, 0.1].map((low, seed) => randomTensor('float32', [3], { seed, low, high: low + 1 }));
    const params = [scale, B, mean, variance].map((t, i) => b.initializer(['scale', 'B', 'mean', 'var'][i], t));
    const y = b.node('BatchNormalization', [xv, ...params], { epsilon: 1e-3 }, { name: 'bn', outputs: ['y'] });
    const graph = b.build(y);
    expect(compilePlan(graph, new Map([['x', [2, 3, 4, 5]]])).steps).toHaveLength(1);
    const x = randomTensor('float32', [2, 3, 4, 5], { seed: 6, low: -2, high: 2 });
    const got = new GraphSession(graph).runHost({ x }).y.data as Float32Array;
    for (let i = 0; i < got.length; i++) {
      const c = Math.floor(i / 20) % 3;
      const want = ((x.data[i] - mean.data[c]) * scale.data[c]) / Math.sqrt(variance.data[c] + 1e-3) + B.data[c];
      expect(Math.abs(got[i] - want), `element ${i}`).toBeLessThanOrEqual(2 ** -22 * (Math.abs(want) + 1));
    }
  });
});
