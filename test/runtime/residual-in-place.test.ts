// ResNet-style blocks whose residual conv (or Gemm) writes its output over the residual it adds (the
// memory plan's in-place routine step): bottlenecks with identity and projection shortcuts, a basic
// block (3×3 Winograd residual conv), and Gemm + Gemm + Add, run on the cpu backend and on the wasm
// backend (1 and 2 threads, float64 and float32 lanes), against the float64 reference.
// Each block sits between a stem and a tail stage (as in a network, so that neither its residual nor
// its output is a pinned graph input or output). Tolerance: float32 accumulation errs by at most γ_K·Σ|w||x| per conv/Gemm (γ_K ≈ K·u, Higham), and
// errors pass through BN (×|a|), Add and ReLU (1-Lipschitz) into later stages, so the output's error
// is bounded by Σ_stages (γ_K + roundings)·S, where S is the output of the same block computed on
// absolute values (|x|, |W|, BN as x·|a| + |mean·a| + |B|, ReLU as identity): each stage's Σ|w||x|
// bound propagated. Inputs are offset by 100 (large activations around small BN-centred values).

import { afterAll, describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import type { Graph, Value } from '../../compiler/ir/types.js';
import { fromFloat64, type HostTensor } from '../../core/tensor.js';
import { bindInputs } from '../../runtime/bind-inputs.js';
import { GraphSession, type GraphSessionOptions } from '../../runtime/graph-session.js';
import { runReference } from '../../runtime/reference.js';
import { hostValues } from '../helpers/compare.js';
import { mulberry32 } from '../helpers/random.js';

const U = 2 ** -24;
const EPS = 1e-5;

/** Builds a block with seeded parameters; `abs` builds its absolute-value majorant (see the header). */
class Block {
  readonly b: GraphBuilder;
  private readonly rnd: () => number;
  private n = 0;

  constructor(name: string, seed: number, private readonly abs: boolean) {
    this.b = new GraphBuilder(name);
    this.rnd = mulberry32(seed);
  }

  private u(): number {
    return 2 * this.rnd() - 1;
  }

  /** float32 parameters; the majorant runs in float64 on their absolute values. */
  private init(dims: number[], values: number[]): Value {
    if (this.abs) return this.b.initializer(`p${this.n++}`, fromFloat64('float64', dims, values.map((v) => Math.abs(Math.fround(v)))));
    return this.b.initializer(`p${this.n++}`, fromFloat64('float32', dims, values));
  }

  conv(x: Value, cout: number, k: number): Value {
    const cin = x.type.shape[1] as number;
    const w = Array.from({ length: cout * cin * k * k }, () => this.u() * Math.sqrt(2 / (cin * k * k)));
    const pad = (k - 1) >> 1;
    return this.b.op('Conv', [x, this.init([cout, cin, k, k], w)], { kernel_shape: [k, k], pads: [pad, pad, pad, pad] });
  }

  /** Inference BN; the majorant is x·|a| + |mean·a| + |B| (scale |a|, mean −|mean|, var 1 − ε). */
  bn(x: Value): Value {
    const c = x.type.shape[1] as number;
    const scale = Array.from({ length: c }, () => 0.5 + this.rnd());
    const bias = Array.from({ length: c }, () => this.u());
    const mean = Array.from({ length: c }, () => 40 * this.u());
    const variance = Array.from({ length: c }, () => 50 + 100 * this.rnd());
    if (!this.abs) return this.b.op('BatchNormalization', [x, ...[scale, bias, mean, variance].map((v) => this.init([c], v))], { epsilon: EPS });
    const [fs, fv, fm, fb] = [scale, variance, mean, bias].map((v) => v.map(Math.fround));
    const a = fs.map((s, i) => s / Math.sqrt(fv[i] + EPS));
    const f = (v: number[]): Value => this.b.initializer(`p${this.n++}`, fromFloat64('float64', [c, 1, 1], v));
    const shift = fm.map((m, i) => Math.abs(m * a[i]) + Math.abs(fb[i]));
    return this.b.op('Add', [this.b.op('Mul', [x, f(a.map(Math.abs))]), f(shift)]);
  }

  relu(x: Value): Value {
    return this.abs ? x : this.b.op('Relu', [x]);
  }

  add(a: Value, c: Value): Value {
    return this.b.op('Add', [a, c]);
  }

  softmax(x: Value): Value {
    return this.abs ? x : this.b.op('Softmax', [x], { axis: 1 });
  }

  matmul(x: Value, n: number): Value {
    const k = x.type.shape[1] as number;
    return this.b.op('MatMul', [x, this.init([k, n], Array.from({ length: k * n }, () => this.u() / Math.sqrt(k)))]);
  }

  gemm(x: Value, n: number): Value {
    const k = x.type.shape[1] as number;
    const w = Array.from({ length: k * n }, () => this.u() / Math.sqrt(k));
    const bias = Array.from({ length: n }, () => this.u());
    return this.b.op('Gemm', [x, this.init([k, n], w), this.init([n], bias)]);
  }
}

interface BlockCase {
  readonly name: string;
  readonly inDims: number[];
  /** Stages on the longest path (conv/Gemm), the largest reduction length K, whether a 3×3 runs Winograd. */
  readonly stages: number;
  readonly maxK: number;
  readonly winograd: boolean;
  readonly build: (k: Block, x: Value) => Value;
}

const cases: BlockCase[] = [
  {
    name: 'bottleneck, identity shortcut (1×1 residual conv)',
    inDims: [1, 32, 14, 14], stages: 3, maxK: 144, winograd: true,
    build: (k, x) => k.relu(k.add(k.bn(k.conv(k.relu(k.bn(k.conv(k.relu(k.bn(k.conv(x, 16, 1))), 16, 3))), 32, 1)), x)),
  },
  {
    name: 'bottleneck, projection shortcut (the residual is the projection conv’s output)',
    inDims: [2, 16, 10, 10], stages: 3, maxK: 144, winograd: false,
    build: (k, x) => k.relu(k.add(k.bn(k.conv(k.relu(k.bn(k.conv(k.relu(k.bn(k.conv(x, 16, 1))), 16, 3))), 48, 1)), k.bn(k.conv(x, 48, 1)))),
  },
  {
    name: 'basic block, identity shortcut (3×3 Winograd residual conv)',
    inDims: [1, 16, 12, 12], stages: 2, maxK: 144, winograd: true,
    build: (k, x) => k.relu(k.add(k.bn(k.conv(k.relu(k.bn(k.conv(x, 16, 3))), 16, 3)), x)),
  },
  {
    // The residual is a Softmax routine's float32 output: a Gemm with a bias keeps its unfused product
    // in float64, which cannot share a float32 output's storage, and a MatMul's would take the Add into
    // its own epilogue. The majorant replaces the softmax by its input (it is 2-Lipschitz, within the
    // stem + tail margin, and its output is at most 1).
    name: 'Gemm + Add + Relu over a Softmax residual',
    inDims: [9, 70], stages: 2, maxK: 70, winograd: false,
    build: (k, x) => k.relu(k.add(k.gemm(x, 37), k.softmax(k.matmul(k.relu(x), 37)))),
  },
];

/**
 * The block between a stem and a tail stage, as in a network: a residual that is a graph input, or an
 * output that is a graph output, keeps storage of its own (the memory plan pins them).
 */
function graphOf(c: BlockCase, abs: boolean): Graph {
  const k = new Block(c.name, 11, abs);
  const x = k.b.input('x', abs ? 'float64' : 'float32', c.inDims);
  const channels = c.inDims[1];
  if (c.inDims.length === 2) return k.b.build([k.gemm(c.build(k, k.relu(k.gemm(x, channels))), 5)]);
  return k.b.build([k.conv(c.build(k, k.relu(k.bn(k.conv(x, channels, 1)))), 4, 1)]);
}

const sessions: GraphSession[] = [];
afterAll(() => {
  for (const s of sessions) s.release();
});

describe.each(cases)('$name', (c) => {
  const g = graphOf(c, false);
  const rnd = mulberry32(3);
  const xs = Array.from({ length: c.inDims.reduce((a, d) => a * d, 1) }, () => 100 + (2 * rnd() - 1));
  const feeds: Record<string, HostTensor> = { x: fromFloat64('float32', c.inDims, xs) };
  const want = runReference(g, feeds).outputs[g.outputs[0].name].data;
  const ga = graphOf(c, true);
  const scale = runReference(ga, { x: fromFloat64('float64', c.inDims, xs.map((v) => Math.abs(Math.fround(v)))) }).outputs[ga.outputs[0].name].data;
  const perStage = (c.maxK + 12) * U + (c.winograd ? 6e-6 : 0);
  // The block's stages plus the stem and the tail.
  const tol = scale.map((s) => (c.stages + 2) * perStage * s);

  const run = (options: GraphSessionOptions): { y: Float64Array; inPlaceRoutines: number } => {
    const s = new GraphSession(g, options);
    sessions.push(s);
    const plan = s.planFor(bindInputs(g, feeds));
    const inPlaceRoutines = plan.memory?.inPlaceSteps.filter((i) => plan.steps[i].kind === 'routine').length ?? 0;
    return { y: hostValues(s.runHost(feeds)[g.outputs[0].name]), inPlaceRoutines };
  };

  const expectWithin = (got: Float64Array, what: string): void => {
    expect(got.length).toBe(want.length);
    for (let i = 0; i < want.length; i++) {
      if (!(Math.abs(got[i] - want[i]) <= tol[i])) expect.fail(`${what}: element ${i} is ${got[i]}, expected ${want[i]} ± ${tol[i]}`);
    }
  };

  it('the plan writes the residual routine step in place', () => {
    expect(run({ backend: 'cpu' }).inPlaceRoutines).toBe(1);
  });

  it('cpu backend: matches the float64 reference', () => {
    expectWithin(run({ backend: 'cpu' }).y, 'cpu');
  });

  it.each(['float64', 'float32'] as const)('wasm backend, %s lanes, 1 and 2 threads: matches the reference, bit-identical across threads and to the unplanned, unfused run', (precision) => {
    const one = run({ backend: 'wasm', threads: 1, precision });
    expect(one.inPlaceRoutines).toBe(1);
    expectWithin(one.y, `wasm ${precision} ×1`);
    expect(run({ backend: 'wasm', threads: 2, precision }).y).toEqual(one.y);
    expect(run({ backend: 'wasm', threads: 2, precision, planMemory: false }).y).toEqual(one.y);
    if (precision === 'float64' && c.inDims.length === 4) {
      // Unfused, every stored intermediate is rounded as the fused epilogue's roundF32 nodes round it,
      // so the staged epilogue computes what separate steps compute. (Not for Gemm with a bias: its
      // unfused product is float64, which the wasm backend leaves to the float64 CPU routine.)
      expect(run({ backend: 'wasm', threads: 1, precision, fuse: false, planMemory: false }).y).toEqual(one.y);
    }
  });
});
