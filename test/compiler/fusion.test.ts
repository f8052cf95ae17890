// Kernel fusion keeps the function: fused plans give bit-identical results to the unfused plan (the
// stores fusion removes become explicit roundings) and stay within float32 rtol 1e-5 of the float64
// reference, over chains mixing broadcasting, float16 intermediates, integer ops (never fused
// through) and routine epilogues with per-channel vectors and residuals. The guards are checked on
// the plans: shared intermediates, plan outputs, broadcast producers and integer buffers stay steps.

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import type { Value } from '../../compiler/ir/types.js';
import { printExpr } from '../../compiler/kernels/scalar-expr.js';
import type { KernelPlan } from '../../compiler/lowering/plan.js';
import { fromFloat64 } from '../../core/tensor.js';
import { expectFusionKeepsResults } from '../helpers/fusion-check.js';
import { randomTensor } from '../helpers/random.js';

const F32 = { rtol: 1e-5, atol: 1e-6 };

const kinds = (plan: KernelPlan): string[] => plan.steps.map((s) => (s.kind === 'routine' ? s.call.routine : s.kind));

/** Every fused formula of the plan, printed. */
const formulas = (plan: KernelPlan): string =>
  plan.steps
    .map((s) => (s.kind === 'elementwise' ? printExpr(s.kernel.expr) : 'epilogue' in s.call && s.call.epilogue ? printExpr(s.call.epilogue.expr) : ''))
    .join('\n');

const scalar = (b: GraphBuilder, name: string, v: number, dtype: 'float32' | 'float16' = 'float32'): Value => b.initializer(name, fromFloat64(dtype, [], [v]));

describe('elementwise fusion', () => {
  it('a broadcasting chain becomes one kernel', () => {
    const b = new GraphBuilder('chain');
    const x = b.input('x', 'float32', [2, 3, 4, 5]);
    const s = b.input('s', 'float32', [3, 1, 1]);
    const t = b.input('t', 'float32', [5]);
    const u = b.op('Sigmoid', [b.op('Add', [b.op('Mul', [x, s]), t])]);
    const y = b.op('Sub', [b.op('Mul', [u, x]), scalar(b, 'half', 0.5)]);
    const r = expectFusionKeepsResults(b.build([y]), {
      x: randomTensor('float32', [2, 3, 4, 5], { seed: 1, low: -3, high: 3 }),
      s: randomTensor('float32', [3, 1, 1], { seed: 2 }),
      t: randomTensor('float32', [5], { seed: 3 }),
    }, F32);
    expect(kinds(r.fusedPlan)).toEqual(['elementwise']);
    expect(kinds(r.unfusedPlan)).toHaveLength(5);
    // x is read twice but loaded once: identical operands are merged.
    const step = r.fusedPlan.steps[0];
    expect(step.kind === 'elementwise' && step.operands.filter((o) => o === r.fusedPlan.inputs[0].buffer)).toHaveLength(1);
  });

  it('float16 intermediates keep their float16 rounding', () => {
    const b = new GraphBuilder('half');
    const x = b.input('x', 'float16', [4, 6]);
    const y = b.input('y', 'float16', [6]);
    const z = b.op('Mul', [b.op('Tanh', [b.op('Add', [b.op('Mul', [x, x]), y])]), scalar(b, 'three', 3, 'float16')]);
    const r = expectFusionKeepsResults(b.build([z]), { x: randomTensor('float16', [4, 6], { seed: 1, low: -2, high: 2 }), y: randomTensor('float16', [6], { seed: 2 }) });
    expect(kinds(r.fusedPlan)).toEqual(['elementwise']);
    expect(formulas(r.fusedPlan)).toMatch(/roundF16/);
  });

  it('Cast float32 → float16 → float32 inside a chain keeps the float16 rounding', () => {
    const b = new GraphBuilder('cast_round_trip');
    const x = b.input('x', 'float32', [64]);
    const h = b.op('Cast', [b.op('Mul', [x, scalar(b, 'k', 1.001)])], { to: 'float16' });
    const y = b.op('Add', [b.op('Cast', [h], { to: 'float32' }), x]);
    const r = expectFusionKeepsResults(b.build([y]), { x: randomTensor('float32', [64], { seed: 4, low: -100, high: 100 }) }, { rtol: 4e-3, atol: 1e-3 });
    expect(kinds(r.fusedPlan)).toEqual(['elementwise']);
    expect(formulas(r.fusedPlan)).toMatch(/roundF16\(roundF32\(/);
  });

  it('integer intermediates are never fused through (integer Div relies on the truncating store)', () => {
    const b = new GraphBuilder('ints');
    const a = b.input('a', 'int32', [3, 4]);
    const d = b.input('d', 'int32', [4]);
    const c = b.input('c', 'int32', [3, 1]);
    const y = b.op('Add', [b.op('Mul', [b.op('Div', [a, d]), c]), a]);
    const ints = (seed: number, dims: number[], low: number, high: number): ReturnType<typeof randomTensor<'int32'>> =>
      fromFloat64('int32', dims, randomTensor('float64', dims, { seed, low, high }).data.map(Math.round));
    const r = expectFusionKeepsResults(b.build([y]), { a: ints(1, [3, 4], -50, 50), d: fromFloat64('int32', [4], [3, -7, 2, 5]), c: ints(3, [3, 1], -4, 4) }, { rtol: 0, atol: 0 });
    expect(r.fusedPlan.steps).toHaveLength(3);
  });

  it('float → int Cast → Div → float Cast: float producers fuse into the casts, the integer Div stays', () => {
    const b = new GraphBuilder('mixed');
    const x = b.input('x', 'float32', [5, 8]);
    const d = b.input('d', 'int32', [8]);
    const i = b.op('Cast', [b.op('Mul', [x, scalar(b, 'k', 2.5)])], { to: 'int32' });
    const q = b.op('Cast', [b.op('Div', [i, d])], { to: 'float32' });
    const y = b.op('Add', [q, x]);
    const r = expectFusionKeepsResults(b.build([y]), { x: randomTensor('float32', [5, 8], { seed: 5, low: -40, high: 40 }), d: fromFloat64('int32', [8], [1, 2, 3, -3, 4, 7, -2, 9]) }, F32);
    expect(kinds(r.fusedPlan)).toEqual(['elementwise', 'elementwise', 'elementwise']);
    expect(r.unfusedPlan.steps).toHaveLength(5);
  });

  it('a shared intermediate, a plan output and a broadcast producer stay materialized', () => {
    const b = new GraphBuilder('guards');
    const x = b.input('x', 'float32', [3, 4, 4]);
    const s = b.input('s', 'float32', [3, 1, 1]);
    const shared = b.op('Relu', [x], {}, 'shared');
    const o1 = b.op('Mul', [shared, scalar(b, 'two', 2)], {}, 'o1');
    const o2 = b.op('Add', [shared, scalar(b, 'one', 1)], {}, 'o2');
    const visible = b.op('Exp', [x], {}, 'visible');
    const o3 = b.op('Neg', [visible], {}, 'o3');
    const o4 = b.op('Mul', [x, b.op('Sqrt', [s], {}, 'per_channel')], {}, 'o4');
    const r = expectFusionKeepsResults(b.build([o1, o2, visible, o3, o4]), { x: randomTensor('float32', [3, 4, 4], { seed: 1 }), s: randomTensor('float32', [3, 1, 1], { seed: 2, low: 0.1, high: 2 }) }, F32);
    expect(r.fusedPlan.steps.map((st) => st.node)).toEqual(r.unfusedPlan.steps.map((st) => st.node));
  });

  it('fuses through a reshape view when the producer reads its operands element for element', () => {
    const b = new GraphBuilder('views');
    const x = b.input('x', 'float32', [2, 3, 4]);
    const s = b.input('s', 'float32', [3, 1]);
    const v = b.input('v', 'float32', [4]);
    const shape = b.initializer('shape', fromFloat64('int64', [2], [6, 4]));
    const y1 = b.op('Add', [b.op('Reshape', [b.op('Relu', [x]), shape]), v], {}, 'y1');
    // s broadcasts inside [2,3,4] but has no place in [6,4]: that producer stays a step.
    const y2 = b.op('Add', [b.op('Reshape', [b.op('Mul', [x, s]), shape]), v], {}, 'y2');
    const r = expectFusionKeepsResults(b.build([y1, y2]), { x: randomTensor('float32', [2, 3, 4], { seed: 1 }), s: randomTensor('float32', [3, 1], { seed: 2 }), v: randomTensor('float32', [4], { seed: 3 }) }, F32);
    expect(r.fusedPlan.steps.map((st) => st.node)).toEqual([`${r.unfusedPlan.steps[0].node}+y1`, r.unfusedPlan.steps[2].node, 'y2']);
  });

  it('a producer referenced twice is inlined only while its formula is small (no exponential growth)', () => {
    const b = new GraphBuilder('squares');
    const x = b.input('x', 'float32', [40]);
    let v = x;
    for (let i = 0; i < 12; i++) v = b.op('Mul', [v, v]);
    // x^4096: each squaring doubles the float32 relative error (4096 · 2^-24 ≈ 2.4e-4), hence rtol 1e-3.
    const r = expectFusionKeepsResults(b.build([v]), { x: randomTensor('float32', [40], { seed: 1, low: 0.995, high: 1.005 }) }, { rtol: 1e-3, atol: 0 });
    expect(r.fusedPlan.steps.length).toBeLessThan(12);
    expect(r.fusedPlan.steps.length).toBeGreaterThan(1);
    expect(formulas(r.fusedPlan).length).toBeLessThan(2000);
  });

  it('a long chain of many ops fuses to one kernel and matches the reference', () => {
    const b = new GraphBuilder('long');
    const x = b.input('x', 'float32', [4, 33]);
    let v = x;
    const ops = ['Abs', 'Sqrt', 'Neg', 'Exp', 'Reciprocal', 'Log', 'Tanh', 'Sigmoid', 'Relu'] as const;
    for (const op of ops) v = b.op(op, [v]);
    const r = expectFusionKeepsResults(b.build([v]), { x: randomTensor('float32', [4, 33], { seed: 9, low: -4, high: 4 }) }, F32);
    expect(kinds(r.fusedPlan)).toEqual(['elementwise']);
  });
});

describe('routine epilogues', () => {
  it('MatMul → Add(bias) → Mul(scale) → Add(residual) → Tanh is one matmul', () => {
    const b = new GraphBuilder('mm');
    const x = b.input('x', 'float32', [2, 5, 6]);
    const w = b.initializer('w', randomTensor('float32', [6, 7], { seed: 2 }));
    const res = b.input('res', 'float32', [2, 5, 7]);
    const bias = b.initializer('bias', randomTensor('float32', [7], { seed: 3 }));
    const scale = b.initializer('scale', randomTensor('float32', [7], { seed: 4 }));
    const y = b.op('Tanh', [b.op('Add', [b.op('Mul', [b.op('Add', [b.op('MatMul', [x, w]), bias]), scale]), res])]);
    const r = expectFusionKeepsResults(b.build([y]), { x: randomTensor('float32', [2, 5, 6], { seed: 1 }), res: randomTensor('float32', [2, 5, 7], { seed: 5 }) }, F32);
    expect(kinds(r.fusedPlan)).toEqual(['matmul']);
  });

  it.each([
    ['transB, C [M, N]', { transB: 1, alpha: 0.75, beta: 1.5 }, [9, 6], [5, 6], [9, 5]],
    ['transA, C [N]', { transA: 1 }, [6, 9], [6, 5], [5]],
    ['plain, no C', {}, [9, 6], [6, 5], undefined],
  ] as const)('Gemm %s → Relu is one matmul', (_name, attrs, aDims, bDims, cDims) => {
    const b = new GraphBuilder('gemm');
    const a = b.input('a', 'float32', aDims);
    const w = b.initializer('w', randomTensor('float32', bDims, { seed: 2 }));
    const c = cDims === undefined ? undefined : b.initializer('c', randomTensor('float32', cDims, { seed: 3 }));
    const y = b.op('Relu', [b.op('Gemm', [a, w, c], attrs)]);
    const r = expectFusionKeepsResults(b.build([y]), { a: randomTensor('float32', aDims, { seed: 1 }) }, F32);
    expect(kinds(r.fusedPlan)).toEqual(['matmul']);
  });

  it('grouped strided Conv → per-channel scale/shift → Add(a residual computed after the conv) → Relu', () => {
    const b = new GraphBuilder('conv');
    const x = b.input('x', 'float32', ['N', 4, 9, 9]);
    const w = b.initializer('w', randomTensor('float32', [6, 2, 3, 3], { seed: 2 }));
    const cv = b.op('Conv', [x, w], { group: 2, strides: [2, 2], pads: [1, 0, 1, 2] }, 'conv');
    const scale = b.initializer('scale', randomTensor('float32', [6, 1, 1], { seed: 3 }));
    const shift = b.initializer('shift', randomTensor('float32', [6, 1, 1], { seed: 4 }));
    // The residual's kernel comes after the conv in the plan (and is a plan output, so it stays a
    // step of its own): the fused conv must move after it.
    const other = b.input('other', 'float32', ['N', 6, 5, 5]);
    const residual = b.op('Sigmoid', [other], {}, 'residual');
    const y = b.op('Relu', [b.op('Add', [b.op('Add', [b.op('Mul', [cv, scale]), shift]), residual])]);
    const r = expectFusionKeepsResults(b.build([y, residual]), { x: randomTensor('float32', [2, 4, 9, 9], { seed: 1 }), other: randomTensor('float32', [2, 6, 5, 5], { seed: 5 }) }, F32);
    expect(kinds(r.fusedPlan)).toEqual(['elementwise', 'conv2d']);
  });

  it('ConvTranspose (bias) → per-channel Mul → Sigmoid is one convTranspose2d', () => {
    const b = new GraphBuilder('deconv');
    const x = b.input('x', 'float32', [1, 4, 5, 5]);
    const w = b.initializer('w', randomTensor('float32', [4, 3, 3, 3], { seed: 2 }));
    const bias = b.initializer('bias', randomTensor('float32', [6], { seed: 3 }));
    const d = b.op('ConvTranspose', [x, w, bias], { group: 2, strides: [2, 2], output_padding: [1, 1] });
    const scale = b.initializer('scale', randomTensor('float32', [6, 1, 1], { seed: 4 }));
    const y = b.op('Sigmoid', [b.op('Mul', [d, scale])]);
    const r = expectFusionKeepsResults(b.build([y]), { x: randomTensor('float32', [1, 4, 5, 5], { seed: 1 }) }, F32);
    expect(kinds(r.fusedPlan)).toEqual(['convTranspose2d']);
  });

  it('an integer MatMul output and a conv output that is a plan output are not fused', () => {
    const b = new GraphBuilder('no_epilogue');
    const a = b.input('a', 'int32', [3, 4]);
    const w = b.initializer('w', fromFloat64('int32', [4, 2], [1, -2, 3, 0, 2, 5, -1, 4]));
    const p = b.op('Add', [b.op('MatMul', [a, w]), b.initializer('one', fromFloat64('int32', [], [1]))]);
    const x = b.input('x', 'float32', [1, 2, 5, 5]);
    const cv = b.op('Conv', [x, b.initializer('k', randomTensor('float32', [3, 2, 3, 3], { seed: 2 }))], {}, 'conv');
    const relu = b.op('Relu', [cv]);
    const r = expectFusionKeepsResults(b.build([p, cv, relu]), { a: fromFloat64('int32', [3, 4], [1, 2, 3, 4, -5, 6, 7, 8, 9, -10, 11, 12]), x: randomTensor('float32', [1, 2, 5, 5], { seed: 1 }) }, F32);
    expect(kinds(r.fusedPlan)).toEqual(['matmul', 'elementwise', 'conv2d', 'elementwise']);
  });
});
