// Memory planning: buffers whose lifetimes overlap never overlap in their arena (every pair checked, on
// toy graphs, small convnets and ResNet-18/50) unless an elementwise step, or a conv/matmul through its
// fused epilogue, overwrites an operand that dies there, read at the element it writes; plan inputs, constants and outputs never share; ResNet-50
// reaches the live-bytes bound; results equal the unplanned ones on the cpu and wasm backends.

import { describe, expect, it } from 'vitest';
import { buildResNet } from '../../bench/workloads/resnet.js';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import type { Graph } from '../../compiler/ir/types.js';
import { compilePlan } from '../../compiler/lowering/compile-plan.js';
import { describePlan } from '../../compiler/lowering/describe-plan.js';
import { ARENA_ALIGN_BYTES, bytesOf } from '../../compiler/lowering/memory-plan.js';
import type { KernelPlan, PlanStep } from '../../compiler/lowering/plan.js';
import { fromFloat64, HostTensor } from '../../core/tensor.js';
import { smallConvNet } from '../../models/zoo/small-convnet.js';
import type { Backend } from '../../runtime/backend.js';
import { bindInputs } from '../../runtime/bind-inputs.js';
import { CpuBackend } from '../../runtime/cpu/cpu-backend.js';
import { GraphSession } from '../../runtime/graph-session.js';
import { WasmBackend } from '../../runtime/wasm/wasm-backend.js';
import { randomTensor } from '../helpers/random.js';

const writes = (s: PlanStep): readonly number[] => (s.kind === 'elementwise' ? [s.output] : s.outputs);

interface Span {
  readonly id: number;
  readonly from: number;
  readonly to: number;
}

/**
 * Lifetimes recomputed here: a buffer is live from the step that first writes it (plan inputs: from
 * step 0) to the step that last reads it (a buffer nothing reads: its writing step); plan inputs,
 * outputs and read constants are pinned and live for the whole run.
 */
function lifetimes(plan: KernelPlan): { spans: Map<number, Span>; pinned: Set<number> } {
  const def = new Map<number, number>();
  const last = new Map<number, number>();
  plan.steps.forEach((s, i) => {
    for (const b of s.operands) last.set(b, i);
    for (const b of writes(s)) if (!def.has(b)) def.set(b, i);
  });
  const pinned = new Set([...plan.inputs.map((b) => b.buffer), ...plan.outputs.map((b) => b.buffer), ...[...plan.constants.keys()].filter((id) => last.has(id))]);
  const spans = new Map<number, Span>();
  const end = plan.steps.length;
  for (const b of plan.buffers) {
    if (pinned.has(b.id)) spans.set(b.id, { id: b.id, from: -1, to: end });
    else if (def.has(b.id)) spans.set(b.id, { id: b.id, from: def.get(b.id)!, to: Math.max(def.get(b.id)!, last.get(b.id) ?? -1) });
  }
  return { spans, pinned };
}

const count = (dims: readonly number[]): number => dims.reduce((a, d) => a * d, 1);

/**
 * Whether step `at` writes `cur` in place over `prev`, which dies there (the caller checks that) and is
 * read only at the element written: an elementwise operand, or an epilogue operand of a conv/matmul
 * routine that is none of the routine's own operands (X, W, B or A, B are read across many outputs).
 */
function inPlaceOver(plan: KernelPlan, at: number, prev: number, cur: number): boolean {
  const s = plan.steps[at];
  if (!plan.memory!.inPlaceSteps.includes(at)) return false;
  if (s.kind === 'elementwise') {
    if (s.output !== cur || !s.operands.includes(prev)) return false;
    const outSize = count(s.kernel.outDims);
    return s.kernel.operands.every((o, j) => s.operands[j] !== prev || count(o.dims) === outSize);
  }
  const call = s.call;
  if (s.outputs.length !== 1 || s.outputs[0] !== cur || !('epilogue' in call) || call.epilogue === undefined) return false;
  if (call.routine !== 'matmul' && call.routine !== 'conv2d' && call.routine !== 'convTranspose2d') return false;
  const own = call.routine === 'matmul' ? 2 : call.hasBias ? 3 : 2;
  if (s.operands.slice(0, own).includes(prev)) return false;
  const [raw, ...extras] = call.epilogue.operands;
  const readAt = extras.filter((_, k) => s.operands[own + k] === prev);
  return readAt.length > 0 && readAt.every((o) => count(o.dims) === count(raw.dims));
}

/** Checks the memory plan's invariants against liveness recomputed here; every pair of buffers is checked. */
function expectSoundMemoryPlan(plan: KernelPlan): void {
  const m = plan.memory;
  expect(m).toBeDefined();
  if (m === undefined) return;
  const { spans, pinned } = lifetimes(plan);
  const byAllocation = new Map<number, number[]>();
  for (const b of plan.buffers) {
    const a = m.allocationOf[b.id];
    if (!spans.has(b.id)) continue;
    expect(a, `buffer %${b.id} has storage`).toBeGreaterThanOrEqual(0);
    const alloc = m.allocations[a];
    expect(alloc.dtype).toBe(b.dtype);
    expect(m.offsetOf[b.id]).toBeGreaterThanOrEqual(0);
    expect(m.offsetOf[b.id] + b.size, `buffer %${b.id} lies inside its allocation`).toBeLessThanOrEqual(alloc.size);
    expect((m.offsetOf[b.id] * bytesOf(b.dtype, 1)) % ARENA_ALIGN_BYTES, `buffer %${b.id} is aligned`).toBe(0);
    if (pinned.has(b.id)) {
      const role = plan.constants.has(b.id) ? 'constant' : plan.inputs.some((i) => i.buffer === b.id) ? 'input' : 'output';
      expect(alloc.role).toBe(role);
    } else {
      expect(alloc.role).toBe('arena');
    }
    byAllocation.set(a, [...(byAllocation.get(a) ?? []), b.id]);
  }
  for (const [a, ids] of byAllocation) {
    if (ids.some((id) => pinned.has(id))) {
      expect(ids, `allocation ${a} of a plan input, constant or output is shared`).toHaveLength(1);
      continue;
    }
    // Every pair whose lifetimes overlap: disjoint in memory, or an in-place step's output over its operand.
    const sorted = ids.map((id) => spans.get(id)!).sort((x, y) => x.from - y.from || x.id - y.id);
    for (let i = 0; i < sorted.length; i++) {
      for (let j = i + 1; j < sorted.length; j++) {
        const p = sorted[i];
        const c = sorted[j];
        if (c.from > p.to) continue;
        const ps = plan.buffers[p.id].size;
        const cs = plan.buffers[c.id].size;
        if (ps === 0 || cs === 0) continue;
        const po = m.offsetOf[p.id];
        const co = m.offsetOf[c.id];
        if (po + ps <= co || co + cs <= po) continue;
        expect(p.to === c.from && po === co && ps === cs && inPlaceOver(plan, c.from, p.id, c.id), `live buffers %${p.id} and %${c.id} overlap in allocation ${a}`).toBe(true);
      }
    }
  }
  const bytes = (keep: (role: string) => boolean): number => m.allocations.filter((x) => keep(x.role)).reduce((t, x) => t + bytesOf(x.dtype, x.size), 0);
  expect(m.peakBytes).toBe(bytes(() => true));
  expect(m.constantBytes).toBe(bytes((r) => r === 'constant'));
  expect(m.activationBytes).toBe(m.peakBytes - m.constantBytes);
  expect(m.allocations.filter((x) => x.role === 'arena').map((x) => x.dtype).sort(), 'one arena per dtype').toEqual([...new Set(m.allocations.filter((x) => x.role === 'arena').map((x) => x.dtype))].sort());
  expect(m.peakBytes).toBeLessThanOrEqual(m.unsharedBytes + ARENA_ALIGN_BYTES * plan.buffers.length);
}

/**
 * The least memory any offset plan with these lifetimes can take: per dtype, the largest sum over the
 * steps of the bytes of the arena buffers live there, plus the pinned buffers' storage.
 */
function liveBound(plan: KernelPlan): { activations: number; arenas: number } {
  const { spans, pinned } = lifetimes(plan);
  const live = new Map<string, number[]>();
  let pinnedBytes = 0;
  for (const [id, sp] of spans) {
    const b = plan.buffers[id];
    if (pinned.has(id)) {
      if (!plan.constants.has(id)) pinnedBytes += bytesOf(b.dtype, b.size);
      continue;
    }
    const per = live.get(b.dtype) ?? new Array<number>(plan.steps.length).fill(0);
    live.set(b.dtype, per);
    for (let i = sp.from; i <= sp.to; i++) per[i] += bytesOf(b.dtype, b.size);
  }
  const arenas = [...live.values()].reduce((t, per) => t + Math.max(...per), 0);
  return { activations: arenas + pinnedBytes, arenas };
}

function longChain(n: number): Graph {
  const b = new GraphBuilder('long_chain');
  const x = b.input('x', 'float32', [32, 64]);
  const s = b.input('s', 'float32', [64]);
  let v = x;
  for (let i = 0; i < n; i++) v = b.op(i % 3 === 0 ? 'Add' : i % 3 === 1 ? 'Mul' : 'Sub', [v, i % 2 === 0 ? s : x]);
  return b.build([v]);
}

function planOf(g: Graph, feeds: Record<string, HostTensor>, fuse: boolean): KernelPlan {
  return new GraphSession(g, { fuse }).planFor(bindInputs(g, feeds));
}

const chainFeeds = (seed: number): Record<string, HostTensor> => ({ x: randomTensor('float32', [32, 64], { seed }), s: randomTensor('float32', [64], { seed: seed + 1 }) });

function modelGraph(training: boolean): { g: Graph; feeds: Record<string, HostTensor> } {
  const model = smallConvNet({ seed: 3, inputShape: [3, 8, 8] });
  const lowered = model.lowered({ training });
  const g = lowered.graph;
  const feeds: Record<string, HostTensor> = {};
  g.inputs.forEach((v, i) => {
    const dims = v.type.shape.map((d) => (typeof d === 'number' ? d : 2));
    const isVariance = /variance/.test(v.name);
    feeds[v.name] = randomTensor('float32', dims, { seed: 20 + i, low: isVariance ? 0.5 : -1, high: isVariance ? 2 : 1 });
  });
  return { g, feeds };
}

describe('memory plan', () => {
  it('a long unfused chain runs in far less memory than one buffer per step, mostly in place', () => {
    const g = longChain(12);
    const plan = planOf(g, chainFeeds(1), false);
    expect(plan.steps).toHaveLength(12);
    const m = plan.memory!;
    const one = bytesOf('float32', 32 * 64);
    expect(m.unsharedBytes).toBe(13 * one + bytesOf('float32', 64));
    // x, s and the output pinned, plus one arena buffer the chain writes over again and again.
    expect(m.peakBytes).toBeLessThanOrEqual(3 * one + bytesOf('float32', 64));
    expect(m.peakBytes).toBeLessThan(m.unsharedBytes);
    expect(m.inPlaceSteps.length).toBeGreaterThan(5);
    expectSoundMemoryPlan(plan);
  });

  it('is sound on fused and unfused plans of real models (training and inference)', () => {
    for (const training of [false, true]) {
      const { g, feeds } = modelGraph(training);
      for (const fuse of [true, false]) {
        const plan = planOf(g, feeds, fuse);
        expectSoundMemoryPlan(plan);
        expect(plan.memory!.peakBytes).toBeLessThan(plan.memory!.unsharedBytes);
      }
    }
  });

  it('outputs and intermediates that stay live are never aliased', () => {
    const b = new GraphBuilder('multi');
    const x = b.input('x', 'float32', [4, 8]);
    const a = b.op('Relu', [x], {}, 'a');
    const t = b.op('Transpose', [a], { perm: [1, 0] }, 't');
    const c = b.op('Exp', [t], {}, 'c');
    const d = b.op('Transpose', [c], { perm: [1, 0] }, 'd');
    const e = b.op('Add', [d, a], {}, 'e');
    const f = b.op('Neg', [e], {}, 'f');
    const g = b.build([f, c]);
    const feeds = { x: randomTensor('float32', [4, 8], { seed: 2 }) };
    for (const fuse of [true, false]) {
      const plan = planOf(g, feeds, fuse);
      expectSoundMemoryPlan(plan);
      const outAllocations = plan.outputs.map((o) => plan.memory!.allocationOf[o.buffer]);
      expect(new Set(outAllocations).size).toBe(outAllocations.length);
    }
  });

  it('gives the same results as one allocation per buffer, fused and unfused', () => {
    for (const training of [false, true]) {
      const { g, feeds } = modelGraph(training);
      for (const fuse of [true, false]) {
        const planned = new GraphSession(g, { fuse }).runHost(feeds);
        const plain = new GraphSession(g, { fuse, planMemory: false }).runHost(feeds);
        for (const k of Object.keys(plain)) expect([...planned[k].data], `${k} (fuse ${fuse}, training ${training})`).toEqual([...plain[k].data]);
      }
    }
  });

  it('a session reused many times (alternating feeds and input dims) gives identical results', () => {
    const g = longChain(9);
    const session = new GraphSession(g);
    const feedSets = [chainFeeds(1), chainFeeds(5)];
    const expected = feedSets.map((f) => new GraphSession(g, { fuse: false, planMemory: false }).runHost(f));
    const name = g.outputs[0].name;
    for (let run = 0; run < 20; run++) {
      const k = run % 2;
      expect([...session.runHost(feedSets[k])[name].data], `run ${run}`).toEqual([...expected[k][name].data]);
    }

    const { g: mg, feeds } = modelGraph(true);
    const ms = new GraphSession(mg);
    const first = ms.runHost(feeds);
    const other = { ...feeds, [mg.inputs[0].name]: randomTensor('float32', [3, 3, 8, 8], { seed: 99 }) };
    for (let run = 0; run < 10; run++) {
      const out = ms.runHost(run % 2 === 0 ? feeds : other);
      if (run % 2 === 0) for (const k of Object.keys(first)) expect([...out[k].data], `${k} run ${run}`).toEqual([...first[k].data]);
    }
  });

  it('never shares constants or feeds, so constants survive many runs', () => {
    const b = new GraphBuilder('consts');
    const x = b.input('x', 'float32', [16]);
    const k = b.initializer('k', fromFloat64('float32', [16], Array.from({ length: 16 }, (_, i) => i)));
    const t = b.op('Transpose', [b.op('Mul', [x, k])], { perm: [0] });
    const y = b.op('Add', [b.op('Softmax', [t], { axis: 0 }), k]);
    const g = b.build([y]);
    const feeds = { x: randomTensor('float32', [16], { seed: 3 }) };
    const s = new GraphSession(g);
    expectSoundMemoryPlan(s.planFor(bindInputs(g, feeds)));
    const want = new GraphSession(g, { planMemory: false }).runHost(feeds)[y.name];
    for (let run = 0; run < 5; run++) expect([...s.runHost(feeds)[y.name].data]).toEqual([...want.data]);
  });

  it('describePlan prints the kernels, bytes moved and peak memory', () => {
    const b = new GraphBuilder('describe');
    const x = b.input('x', 'float32', [1, 2, 5, 5]);
    const w = b.initializer('w', randomTensor('float32', [3, 2, 3, 3], { seed: 1 }));
    const y = b.op('Relu', [b.op('Conv', [x, w], { pads: [1, 1, 1, 1] }, 'conv')], {}, 'relu');
    const g = b.build([y]);
    const text = describePlan(new GraphSession(g).planFor(new Map([['x', [1, 2, 5, 5]]])));
    expect(text).toMatch(/^kernel plan: 1 kernels \(0 elementwise, 1 routines, 1 with a fused epilogue\)/);
    expect(text).toMatch(/#0 conv2d 'conv\+relu' .* epilogue relu\(roundF32\(x0\)\)/);
    expect(text).toMatch(/bytes moved: \d/);
    expect(text).toMatch(/peak memory: .* in \d+ allocations, \d+ of them arenas/);
    const unfused = describePlan(new GraphSession(g, { fuse: false, planMemory: false }).planFor(new Map([['x', [1, 2, 5, 5]]])));
    expect(unfused).toMatch(/#1 elementwise 'relu' .* = relu\(x0\)/);
    expect(unfused).toMatch(/no memory plan/);
  });
});

function zeroSizeGraph(): Graph {
  const b = new GraphBuilder('zero_size');
  const x = b.input('x', 'float32', [0, 8]);
  const y = b.input('y', 'float32', [4, 8]);
  const e = b.op('Exp', [b.op('Relu', [x])]);
  const t = b.op('Transpose', [b.op('Neg', [y])], { perm: [1, 0] });
  const u = b.op('Transpose', [b.op('Exp', [t])], { perm: [1, 0] });
  const z = b.op('Concat', [e, u], { axis: 0 });
  return b.build([b.op('Sigmoid', [z]), e]);
}

describe('memory plan: offsets in arenas', () => {
  const resnets = new Map<string, KernelPlan>();
  const resnetPlan = (depth: 18 | 50, n: number): KernelPlan => {
    const key = `${depth}:${n}`;
    let p = resnets.get(key);
    if (p === undefined) {
      p = compilePlan(buildResNet(depth), new Map([['x', [n, 3, 224, 224]]]), { fuse: true, planMemory: true });
      resnets.set(key, p);
    }
    return p;
  };

  it('is sound on ResNet-18 (batch 1 and 2) and ResNet-50, fused', () => {
    for (const [depth, n] of [[18, 1], [18, 2], [50, 1]] as const) expectSoundMemoryPlan(resnetPlan(depth, n));
  });

  it("ResNet-50's planned activations reach the live-bytes bound (up to alignment), far below one slot per lifetime chain", () => {
    const plan = resnetPlan(50, 1);
    const m = plan.memory!;
    const bound = liveBound(plan);
    const arenas = m.allocations.filter((a) => a.role === 'arena').reduce((t, a) => t + bytesOf(a.dtype, a.size), 0);
    const slack = ARENA_ALIGN_BYTES * plan.buffers.length;
    expect(arenas).toBeLessThanOrEqual(bound.arenas + slack);
    expect(m.activationBytes).toBeLessThanOrEqual(bound.activations + slack);
    // Slots (one allocation per slot, grown to its largest buffer) took 9.80 MiB here; without writing
    // the residual convs in place 6.89 MiB of intermediates were live at once (a bottleneck's input
    // alongside conv3's output), now 5.01 MiB; the input's 0.57 MiB is pinned on top.
    expect(arenas / 2 ** 20).toBeLessThan(5.05);
    expect(m.activationBytes / 2 ** 20).toBeLessThan(5.6);
  });

  it("writes each of ResNet-50's 16 residual convs over the residual it adds (never over X or W)", () => {
    const plan = resnetPlan(50, 1);
    const m = plan.memory!;
    const routines = m.inPlaceSteps.filter((i) => plan.steps[i].kind === 'routine');
    expect(routines).toHaveLength(16);
    for (const i of routines) {
      const s = plan.steps[i];
      if (s.kind !== 'routine' || s.call.routine !== 'conv2d') throw new Error(`step ${i} is not a conv2d`);
      const out = s.outputs[0];
      const over = s.operands.filter((o) => m.allocationOf[o] === m.allocationOf[out] && m.offsetOf[o] === m.offsetOf[out]);
      expect(over, `step ${i} overwrites one operand`).toHaveLength(1);
      expect(s.operands.slice(0, s.call.hasBias ? 3 : 2)).not.toContain(over[0]);
      expect(plan.buffers[over[0]].size).toBe(plan.buffers[out].size);
    }
    expect(describePlan(plan).split('\n').filter((l) => /conv2d .*\(in place\)/.test(l))).toHaveLength(16);
  });

  it('keeps a conv out of place over its own input, a residual read later, and a broadcast operand', () => {
    const b = new GraphBuilder('not_in_place');
    const x = b.input('x', 'float32', [1, 8, 6, 6]);
    const w = (name: string, seed: number): ReturnType<GraphBuilder['initializer']> => b.initializer(name, randomTensor('float32', [8, 8, 3, 3], { seed }));
    const h = b.op('Relu', [b.op('Conv', [x, w('w0', 1)], { pads: [1, 1, 1, 1] })]);
    // conv(h) + h: h is the conv's own input.
    const own = b.op('Relu', [b.op('Add', [b.op('Conv', [h, w('w1', 2)], { pads: [1, 1, 1, 1] }), h])]);
    // conv(own) + own2, where own2 is read again afterwards.
    const own2 = b.op('Relu', [b.op('Conv', [own, w('w2', 3)], { pads: [1, 1, 1, 1] })]);
    const kept = b.op('Add', [b.op('Conv', [own, w('w3', 4)], { pads: [1, 1, 1, 1] }), own2]);
    // conv(kept) + a per-pixel plane broadcast over channels.
    const plane = b.op('ReduceMean', [kept], { axes: [1], keepdims: 1 });
    const bc = b.op('Add', [b.op('Conv', [kept, w('w4', 5)], { pads: [1, 1, 1, 1] }), plane]);
    const g = b.build([b.op('Mul', [b.op('Relu', [bc]), own2])]);
    const plan = planOf(g, { x: randomTensor('float32', [1, 8, 6, 6], { seed: 6 }) }, true);
    expectSoundMemoryPlan(plan);
    expect(plan.memory!.inPlaceSteps.filter((i) => plan.steps[i].kind === 'routine')).toEqual([]);
  });

  it('is sound on plans with zero-size buffers and multiple outputs, and runs them like unplanned ones', () => {
    const g = zeroSizeGraph();
    const feeds = { x: randomTensor('float32', [0, 8], { seed: 1 }), y: randomTensor('float32', [4, 8], { seed: 2 }) };
    for (const fuse of [true, false]) {
      const plan = planOf(g, feeds, fuse);
      expect(plan.buffers.some((b) => b.size === 0 && plan.memory!.allocationOf[b.id] >= 0)).toBe(true);
      expectSoundMemoryPlan(plan);
      const planned = new GraphSession(g, { fuse }).runHost(feeds);
      const plain = new GraphSession(g, { fuse, planMemory: false }).runHost(feeds);
      for (const k of Object.keys(plain)) expect([...planned[k].data]).toEqual([...plain[k].data]);
    }
  });

  it('keeps elementwise steps in place on unfused model plans', () => {
    for (const training of [false, true]) {
      const { g, feeds } = modelGraph(training);
      const plan = planOf(g, feeds, false);
      expect(plan.memory!.inPlaceSteps.length).toBeGreaterThan(0);
      for (const i of plan.memory!.inPlaceSteps) {
        const s = plan.steps[i];
        expect(s.kind).toBe('elementwise');
        if (s.kind === 'elementwise') expect(s.operands.some((o) => plan.memory!.offsetOf[o] === plan.memory!.offsetOf[s.output] && plan.memory!.allocationOf[o] === plan.memory!.allocationOf[s.output])).toBe(true);
      }
    }
  });

  it('backend views address elements at an offset of one allocation', () => {
    const cpu = new CpuBackend();
    const wasm = new WasmBackend({ threads: 1 });
    try {
      for (const be of [cpu, wasm] as Backend<unknown, unknown>[]) {
        const arena = be.allocate('float32', 64);
        const a = be.view(arena, 16, 8);
        const b = be.view(arena, 32, 4);
        be.write(a, Float32Array.from({ length: 8 }, (_, i) => i + 1));
        be.write(b, Float32Array.of(-1, -2, -3, -4));
        const all = [...be.read(arena)];
        expect(all.slice(16, 24)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
        expect(all.slice(32, 36)).toEqual([-1, -2, -3, -4]);
        expect(all.slice(0, 16).every((v) => v === 0)).toBe(true);
        expect([...be.storage(a)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
        expect(be.view(arena, 0, 64)).toBe(arena);
        expect(() => be.view(arena, 60, 8)).toThrow(RangeError);
      }
    } finally {
      wasm.dispose();
    }
  });

  it('planned and unplanned runs are bit-identical on the cpu and wasm backends', () => {
    const b = new GraphBuilder('multi');
    const x = b.input('x', 'float32', [4, 8]);
    const a = b.op('Relu', [x]);
    const c = b.op('Exp', [b.op('Transpose', [a], { perm: [1, 0] })]);
    const multi = b.build([b.op('Neg', [b.op('Add', [b.op('Transpose', [c], { perm: [1, 0] }), a])]), c]);
    const cases: { g: Graph; feeds: Record<string, HostTensor> }[] = [
      modelGraph(false),
      modelGraph(true),
      { g: multi, feeds: { x: randomTensor('float32', [4, 8], { seed: 2 }) } },
    ];
    // ResNet-18 runs its routines (conv, pools, gemm) on buffers at arena offsets; on the wasm backend
    // only, where offsets become byte addresses (the cpu backend's views are subarrays, and slow).
    const resnet = { g: buildResNet(18), feeds: { x: randomTensor('float32', [1, 3, 224, 224], { seed: 4 }) } };
    for (const backend of ['cpu', 'wasm'] as const) {
      for (const { g, feeds } of backend === 'wasm' ? [...cases, resnet] : cases) {
        const planned = new GraphSession(g, { backend, threads: 2 });
        const plain = new GraphSession(g, { backend, threads: 2, planMemory: false });
        try {
          const want = plain.runHost(feeds);
          for (let run = 0; run < (g.name === 'resnet18' ? 1 : 2); run++) {
            const got = planned.runHost(feeds);
            for (const k of Object.keys(want)) expect([...got[k].data], `${g.name} ${k} on ${backend}, run ${run}`).toEqual([...want[k].data]);
          }
        } finally {
          planned.release();
          plain.release();
        }
      }
    }
  });
});
