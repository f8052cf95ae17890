// Oracles for graph passes: a rewrite must keep the function. The BEFORE graph's float64 reference is
// the arbiter; the AFTER graph runs on the CPU backend and on the reference and both must match it.
// Also builders for adversarial BatchNormalization statistics (DESIGN.md §4: large offsets, tiny
// variances, ε-dominated channels, negative scales).

import { expect } from 'vitest';
import { GraphBuilder } from '../../../compiler/ir/builder.js';
import type { Graph, Value } from '../../../compiler/ir/types.js';
import { verifyGraph } from '../../../compiler/ir/verify.js';
import type { SkippedRewrite } from '../../../compiler/passes/rewrite.js';
import { F64Tensor, fromFloat64, HostTensor } from '../../../core/tensor.js';
import type { OpName } from '../../../ops/op-attrs.js';
import { GraphSession } from '../../../runtime/graph-session.js';
import { runReference } from '../../../runtime/reference.js';
import { hostValues } from '../../helpers/compare.js';

/** Allowed absolute error per element of an output, given the expected (float64 reference) values. */
export type ToleranceRule = (expected: F64Tensor, output: string) => Float64Array;

/**
 * float32 tolerance against the BEFORE graph's float64 reference: rtol 1e-4 and atol 1e-4·max|y| taken
 * per channel (axis 1). The absolute part covers elements near zero in a channel whose values are
 * large; taking the max per channel keeps a large channel (a tiny variance gives a large a) from
 * loosening the others.
 */
export function channelTolerance(rtol = 1e-4, atolScale = 1e-4): ToleranceRule {
  return (e) => {
    const c = e.dims.length >= 2 ? e.dims[1] : 1;
    const inner = e.data.length / Math.max(1, (e.dims[0] ?? 1) * c);
    const channel = (i: number): number => (e.dims.length >= 2 ? Math.floor(i / inner) % c : 0);
    const max = new Float64Array(c);
    e.data.forEach((v, i) => (max[channel(i)] = Math.max(max[channel(i)], Math.abs(v))));
    return e.data.map((v, i) => rtol * Math.abs(v) + atolScale * max[channel(i)]);
  };
}

/**
 * The rounding a folded linear op legitimately has, element by element: its weights are rounded once
 * to float32 (relative error u = 2^-24) and multiply the raw input, so the error of y = W'·x + B' is
 * bounded by about u·(|W'|·|x| + |B'|) — the folded graph evaluated on absolute values. With inputs
 * ~1e4 + noise this is far above 1e-4·|y|, and the unfused graph has the same error (its conv output,
 * ~1e4, is rounded to float32 before the BN subtracts the mean). Valid for graphs of Conv,
 * ConvTranspose, Gemm and MatMul nodes, whose absolute-value evaluation bounds every partial sum.
 */
export function conditionedTolerance(after: Graph, feeds: Readonly<Record<string, HostTensor>>, rtol = 1e-4): ToleranceRule {
  const abs = (t: HostTensor): HostTensor => fromFloat64(t.dtype, t.dims, hostValues(t).map(Math.abs));
  const absGraph: Graph = {
    ...after,
    initializers: new Map([...after.initializers].map(([id, t]) => [id, abs(t)])),
    nodes: after.nodes.map((n) => (n.op === 'Gemm' ? { ...n, attrs: { ...n.attrs, alpha: Math.abs(n.attrs.alpha), beta: Math.abs(n.attrs.beta) } } : n)),
  };
  const absFeeds: Record<string, HostTensor> = {};
  for (const [k, t] of Object.entries(feeds)) absFeeds[k] = abs(t);
  const magnitude = runReference(absGraph, absFeeds).outputs;
  return (e, name) => {
    const m = magnitude[name].data;
    const u = 2 ** -24;
    return e.data.map((v, i) => rtol * Math.abs(v) + 4 * u * m[i] + 1e-30);
  };
}

/** Assert |actual − expected| ≤ allowed element by element (NaN must match NaN). */
export function expectWithin(actual: HostTensor | F64Tensor, expected: F64Tensor, allowed: Float64Array, what: string): number {
  expect([...actual.dims], `${what} dims`).toEqual([...expected.dims]);
  const a = 'dtype' in actual ? hostValues(actual) : actual.data;
  let worst = 0;
  for (let i = 0; i < expected.data.length; i++) {
    const e = expected.data[i];
    if (Number.isNaN(e) || Number.isNaN(a[i])) {
      if (Number.isNaN(e) !== Number.isNaN(a[i])) expect.fail(`${what}: element ${i} is ${a[i]}, expected ${e}`);
      continue;
    }
    const err = Math.abs(a[i] - e);
    if (err > allowed[i]) expect.fail(`${what}: element ${i} is ${a[i]}, expected ${e} (error ${err}, allowed ${allowed[i]})`);
    worst = Math.max(worst, err);
  }
  return worst;
}

export interface FunctionCheck {
  /** Max abs error of the AFTER graph on the CPU against the BEFORE graph's reference, per output. */
  readonly afterError: number[];
  /** The same for the BEFORE graph on the CPU (for comparison: what the unfused graph achieves). */
  readonly beforeError: number[];
}

/** Run BEFORE and AFTER on `feeds` and assert AFTER (CPU and reference) matches BEFORE's reference. */
export function expectSameFunction(before: Graph, after: Graph, feeds: Readonly<Record<string, HostTensor>>, rule: ToleranceRule = channelTolerance()): FunctionCheck {
  verifyGraph(before);
  verifyGraph(after);
  expect(after.outputs.map((v) => v.name)).toEqual(before.outputs.map((v) => v.name));
  const expected = runReference(before, feeds).outputs;
  const refAfter = runReference(after, feeds).outputs;
  const cpuAfter = new GraphSession(after).runHost(feeds);
  const cpuBefore = new GraphSession(before).runHost(feeds);
  const afterError: number[] = [];
  const beforeError: number[] = [];
  for (const v of before.outputs) {
    const e = expected[v.name];
    const allowed = rule(e, v.name);
    afterError.push(expectWithin(cpuAfter[v.name], e, allowed, `'${v.name}' after (cpu)`));
    expectWithin(refAfter[v.name], e, allowed, `'${v.name}' after (reference)`);
    beforeError.push(maxAbsError(hostValues(cpuBefore[v.name]), e.data));
  }
  return { afterError, beforeError };
}

function maxAbsError(a: ArrayLike<number>, e: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < e.length; i++) if (!Number.isNaN(e[i])) worst = Math.max(worst, Math.abs(a[i] - e[i]));
  return worst;
}

export function opsOf(g: Graph): OpName[] {
  return g.nodes.map((n) => n.op);
}

export function countOp(g: Graph, op: OpName): number {
  return g.nodes.filter((n) => n.op === op).length;
}

/** Collects the guards' reports. */
export function skipLog(): { readonly skips: SkippedRewrite[]; readonly onSkip: (s: SkippedRewrite) => void } {
  const skips: SkippedRewrite[] = [];
  return { skips, onSkip: (s) => skips.push(s) };
}

/** Per-channel mean and population variance over axis 1 of a tensor (float64). */
export function channelStats(t: F64Tensor): { mean: Float64Array; variance: Float64Array } {
  const c = t.dims[1];
  const inner = t.data.length / (t.dims[0] * c);
  const sum = new Float64Array(c);
  const count = new Float64Array(c);
  t.data.forEach((v, i) => {
    const ch = Math.floor(i / inner) % c;
    sum[ch] += v;
    count[ch]++;
  });
  const mean = sum.map((s, ch) => s / count[ch]);
  const sq = new Float64Array(c);
  t.data.forEach((v, i) => {
    const ch = Math.floor(i / inner) % c;
    sq[ch] += (v - mean[ch]) ** 2;
  });
  return { mean, variance: sq.map((s, ch) => s / count[ch]) };
}

export interface BnStats {
  readonly scale: Float64Array;
  readonly bias: Float64Array;
  readonly mean: Float64Array;
  readonly variance: Float64Array;
}

/**
 * Adversarial statistics for the BN input `pre`: the true channel means (so large offsets cancel),
 * and per channel in turn: the true variance, a tiny variance 1e-6, an ε-dominated 1e-8, a variance
 * 1e-7; scales alternate in sign, shifts vary in size. All values are distinct (DESIGN.md §7).
 */
export function adversarialStats(pre: F64Tensor): BnStats {
  const { mean, variance } = channelStats(pre);
  const vars = [(v: number): number => v, (): number => 1e-6, (): number => 1e-8, (): number => 1e-7];
  const scales = [1.5, -0.75, 2.25, -1.25, 0.5, -3];
  const shifts = [0.25, -2, 0.125, 3.5, -0.5, 1];
  const c = mean.length;
  return {
    mean,
    variance: variance.map((v, ch) => vars[ch % vars.length](v)),
    scale: Float64Array.from({ length: c }, (_, ch) => scales[ch % scales.length]),
    bias: Float64Array.from({ length: c }, (_, ch) => shifts[ch % shifts.length]),
  };
}

/** Add the BN parameters as float32 initializers named `<prefix>_scale` etc. */
export function bnInputs(b: GraphBuilder, prefix: string, s: BnStats, dtype: 'float32' | 'float64' = 'float32'): Value[] {
  const p = (name: string, v: Float64Array): Value => b.initializer(`${prefix}_${name}`, fromFloat64(dtype, [v.length], v));
  return [p('scale', s.scale), p('B', s.bias), p('mean', s.mean), p('var', s.variance)];
}
