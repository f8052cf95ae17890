// Memory planning: buffers share storage only when their lifetimes do not overlap (or an elementwise
// step overwrites an operand that dies there, read at the element it writes); plan inputs, constants
// and outputs never share; the peak is below the unshared total on long chains; results equal the
// unplanned ones and stay identical over many runs of one session.

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import type { Graph } from '../../compiler/ir/types.js';
import { describePlan } from '../../compiler/lowering/describe-plan.js';
import { bytesOf } from '../../compiler/lowering/memory-plan.js';
import type { KernelPlan, PlanStep } from '../../compiler/lowering/plan.js';
import { fromFloat64, HostTensor } from '../../core/tensor.js';
import { smallConvNet } from '../../models/zoo/small-convnet.js';
import { bindInputs } from '../../runtime/bind-inputs.js';
import { GraphSession } from '../../runtime/graph-session.js';
import { randomTensor } from '../helpers/random.js';

const writes = (s: PlanStep): readonly number[] => (s.kind === 'elementwise' ? [s.output] : s.outputs);

/** Checks the memory plan's invariants against liveness recomputed here. */
function expectSoundMemoryPlan(plan: KernelPlan): void {
  const m = plan.memory;
  expect(m).toBeDefined();
  if (m === undefined) return;
  const def = new Map<number, number>();
  const last = new Map<number, number>();
  plan.steps.forEach((s, i) => {
    for (const b of s.operands) last.set(b, i);
    for (const b of writes(s)) def.set(b, i);
  });
  const pinned = new Set([...plan.inputs.map((b) => b.buffer), ...plan.outputs.map((b) => b.buffer), ...[...plan.constants.keys()].filter((id) => last.has(id))]);
  const bySlot = new Map<number, number[]>();
  for (const b of plan.buffers) {
    const slot = m.slotOf[b.id];
    const used = pinned.has(b.id) || def.has(b.id) || last.has(b.id);
    if (!used) continue;
    expect(slot, `buffer %${b.id} has storage`).toBeGreaterThanOrEqual(0);
    expect(m.slots[slot].dtype).toBe(b.dtype);
    expect(m.slots[slot].size).toBeGreaterThanOrEqual(b.size);
    bySlot.set(slot, [...(bySlot.get(slot) ?? []), b.id]);
  }
  for (const [slot, ids] of bySlot) {
    if (ids.some((id) => pinned.has(id))) {
      expect(ids, `slot ${slot} of a plan input, constant or output is shared`).toHaveLength(1);
      continue;
    }
    const spans = ids.map((id) => ({ id, from: def.get(id) ?? -1, to: Math.max(def.get(id) ?? -1, last.get(id) ?? -1) })).sort((a, b) => a.from - b.from);
    for (let k = 1; k < spans.length; k++) {
      const prev = spans[k - 1];
      const cur = spans[k];
      if (prev.to < cur.from) continue;
      // The only allowed overlap: an in-place elementwise step reading prev (dying there) at the element it writes.
      const s = plan.steps[cur.from];
      expect(prev.to, `buffers %${prev.id} and %${cur.id} overlap in slot ${slot}`).toBe(cur.from);
      expect(m.inPlaceSteps).toContain(cur.from);
      expect(s.kind === 'elementwise' && s.operands.includes(prev.id)).toBe(true);
      if (s.kind === 'elementwise') {
        const outSize = s.kernel.outDims.reduce((a, d) => a * d, 1);
        s.kernel.operands.forEach((o, j) => {
          if (s.operands[j] === prev.id) expect(o.dims.reduce((a, d) => a * d, 1)).toBe(outSize);
        });
      }
    }
  }
  const peak = m.slots.reduce((t, s) => t + bytesOf(s.dtype, s.size), 0);
  expect(m.peakBytes).toBe(peak);
  expect(m.peakBytes).toBeLessThanOrEqual(m.unsharedBytes);
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
    // x, s and the output pinned, plus one slot the chain writes over again and again.
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
      const outSlots = plan.outputs.map((o) => plan.memory!.slotOf[o.buffer]);
      expect(new Set(outSlots).size).toBe(outSlots.length);
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
    expect(text).toMatch(/peak memory: .* in \d+ slots/);
    const unfused = describePlan(new GraphSession(g, { fuse: false, planMemory: false }).planFor(new Map([['x', [1, 2, 5, 5]]])));
    expect(unfused).toMatch(/#1 elementwise 'relu' .* = relu\(x0\)/);
    expect(unfused).toMatch(/no memory plan/);
  });
});
