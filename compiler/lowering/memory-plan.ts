// Memory planning over a kernel plan: liveness of every buffer, steps written in place over an operand
// that dies there (elementwise operands, and the epilogue operands of heavy routines), and an element
// offset for every other intermediate buffer in one arena per dtype ("greedy by size", Pisarchyk & Lee
// 2020), so that buffers live at once never overlap.
// Plan inputs, constants and outputs keep storage of their own (see planMemory).

import { ELEMENT_BYTES, type DType } from '../../core/dtype.js';
import { sizeOf } from '../../core/shape.js';
import { acceptsEpilogue, routineOwnOperands } from '../../ops/kernel-ir.js';
import type { KernelPlan, MemoryAllocation, MemoryPlan, PlanStep } from './plan.js';

/** Offsets in an arena start on 64-byte boundaries (the wasm heap's cache-line alignment), so SIMD loads of a buffer stay aligned. */
export const ARENA_ALIGN_BYTES = 64;

export function bytesOf(dtype: DType, elements: number): number {
  return ELEMENT_BYTES[dtype] * elements;
}

/** Elements per arena alignment unit of `dtype`. */
export function alignElements(dtype: DType): number {
  return Math.max(1, ARENA_ALIGN_BYTES / ELEMENT_BYTES[dtype]);
}

function writes(s: PlanStep): readonly number[] {
  return s.kind === 'elementwise' ? [s.output] : s.outputs;
}

/**
 * The operand a step may overwrite: it dies at this step, is no pinned buffer, has the output's dtype
 * and size, and every read of it is at the output's own flat index (same element count, so no
 * broadcast): each element is loaded before the same element is stored.
 *   - elementwise steps: any such operand;
 *   - heavy routines (conv2d, convTranspose2d, matmul) with a fused epilogue: an epilogue operand (the
 *     residual of Conv→BN→Add→ReLU), never one of the routine's own operands (X, W, B, or A and B of a
 *     matmul: the routine reads those across many output elements). Backends store each output element
 *     after reading its epilogue operands at that element (the CPU routines element by element, the
 *     wasm routines per staged block: runtime/wasm/routines/epilogue-stage.ts), as onnxruntime's FusedConv
 *     declares MayInplace for its Sum input.
 */
function inPlaceOperand(s: PlanStep, i: number, plan: KernelPlan, lastUse: readonly number[], pinned: ReadonlySet<number>): number | undefined {
  const candidates = inPlaceCandidates(s);
  if (candidates === undefined) return undefined;
  const out = plan.buffers[candidates.output];
  for (const b of new Set(candidates.operands)) {
    if (pinned.has(b) || lastUse[b] !== i || candidates.excluded.has(b)) continue;
    const spec = plan.buffers[b];
    if (spec.dtype !== out.dtype || spec.size !== out.size) continue;
    const readsSameElement = candidates.operands.every((o, k) => o !== b || sizeOf(candidates.dims[k]) === candidates.outSize);
    if (readsSameElement) return b;
  }
  return undefined;
}

/** The operands a step could write over (with the dims it reads them at), and those it must not. */
function inPlaceCandidates(s: PlanStep): { output: number; operands: readonly number[]; dims: readonly (readonly number[])[]; outSize: number; excluded: ReadonlySet<number> } | undefined {
  if (s.kind === 'elementwise') {
    return { output: s.output, operands: s.operands, dims: s.kernel.operands.map((o) => o.dims), outSize: sizeOf(s.kernel.outDims), excluded: new Set() };
  }
  const call = s.call;
  if (!acceptsEpilogue(call) || call.epilogue === undefined || s.outputs.length !== 1) return undefined;
  const own = routineOwnOperands(call);
  const [raw, ...extras] = call.epilogue.operands;
  return { output: s.outputs[0], operands: s.operands.slice(own), dims: extras.map((o) => o.dims), outSize: sizeOf(raw.dims), excluded: new Set(s.operands.slice(0, own)) };
}

/** Buffers sharing one storage range (an in-place chain, or a single buffer) and their joint lifetime. */
interface Group {
  readonly dtype: DType;
  size: number;
  readonly from: number;
  to: number;
  offset: number;
}

/** Places the groups of one dtype in the given order; returns the arena's size in elements (offsets set on the groups). */
function place(groups: readonly Group[], align: number): number {
  const placed: Group[] = [];
  let arena = 0;
  for (const g of groups) {
    // Placed groups whose lifetimes intersect this one, by offset; take the first gap that fits.
    const conflicts = placed.filter((p) => p.from <= g.to && g.from <= p.to && p.size > 0).sort((a, b) => a.offset - b.offset);
    let offset = 0;
    if (g.size > 0) {
      for (const p of conflicts) {
        if (offset + g.size <= p.offset) break;
        offset = Math.max(offset, Math.ceil((p.offset + p.size) / align) * align);
      }
    }
    g.offset = offset;
    placed.push(g);
    arena = Math.max(arena, offset + g.size);
  }
  return arena;
}

// Orders tried (the smallest arena wins; ties keep the earlier order). Greedy by size breaks ties by
// first use as TFLite does — breaking them by lifetime length instead costs ResNet-50 11 % over the
// live-bytes bound. Greedy by breadth (Pisarchyk & Lee) visits steps by their live bytes, largest
// first, placing the groups live there largest first; longest lifetime first is a third opinion.
const bySize = (a: Group, b: Group): number => b.size - a.size || a.from - b.from;
const byLifetime = (a: Group, b: Group): number => b.to - b.from - (a.to - a.from) || b.size - a.size || a.from - b.from;

function byBreadth(groups: readonly Group[]): Group[] {
  const steps = groups.reduce((t, g) => Math.max(t, g.to + 1), 0);
  const live = new Array<number>(steps).fill(0);
  for (const g of groups) for (let i = g.from; i <= g.to; i++) live[i] += g.size;
  const order: Group[] = [];
  const done = new Set<Group>();
  for (const i of [...live.keys()].sort((a, b) => live[b] - live[a] || a - b)) {
    const here = groups.filter((g) => g.from <= i && i <= g.to && !done.has(g)).sort(bySize);
    for (const g of here) {
      done.add(g);
      order.push(g);
    }
  }
  return order;
}

/** Offsets for the groups of one dtype: the best of the greedy orders. */
function planArena(groups: Group[], align: number): number {
  if (groups.length === 0) return 0;
  const orders = [[...groups].sort(bySize), byBreadth(groups), [...groups].sort(byLifetime)];
  let best: { size: number; offsets: number[] } | undefined;
  for (const order of orders) {
    const size = place(order, align);
    if (best === undefined || size < best.size) best = { size, offsets: groups.map((g) => g.offset) };
  }
  groups.forEach((g, k) => (g.offset = best!.offsets[k]));
  return best!.size;
}

/**
 * 1. Liveness: a buffer is live from the step that writes it to the last step that reads it (one
 *    nothing reads: at its writing step only). Lifetimes are inclusive step intervals, so a step's
 *    operands and outputs are live together and never share memory — except:
 * 2. In place: an elementwise step, or a routine's fused epilogue, may write its output over an
 *    operand that dies there (see inPlaceOperand). The two then form one storage group (chains of
 *    such steps too) whose lifetime is the union of theirs; this never raises the peak, as both are
 *    live at that step anyway.
 * 3. Offsets: the groups of each dtype are placed greedily, largest first, each at the lowest aligned
 *    offset where it overlaps no placed group whose lifetime intersects its own (TFLite's arena
 *    planner does the same). Unlike whole slots (one allocation per slot, grown to the largest buffer
 *    it ever backs — 9.8 MiB of activations on ResNet-50 where at most 6.9 MiB were ever live, before
 *    residual convs were written in place; 5.0 MiB now), a large
 *    buffer's storage later backs several smaller ones side by side, so each arena comes close to the
 *    largest sum of live bytes over the steps (on ResNet-18/50 it is exactly that, up to alignment).
 * 4. Plan inputs, constants and outputs keep allocations of their own and never alias anything: feeds
 *    are written before the run and must survive it (IoBinding's resident inputs), constants stay
 *    resident across runs, outputs are read after the last step (and stay valid until the next run).
 */
export function planMemory(plan: KernelPlan): MemoryPlan {
  const n = plan.buffers.length;
  const lastUse = new Array<number>(n).fill(-1);
  const firstWrite = new Array<number>(n).fill(-1);
  plan.steps.forEach((s, i) => {
    for (const b of s.operands) lastUse[b] = i;
    for (const o of writes(s)) if (firstWrite[o] < 0) firstWrite[o] = i;
  });
  const pinned = new Set<number>([...plan.inputs.map((b) => b.buffer), ...plan.outputs.map((b) => b.buffer)]);
  for (const id of plan.constants.keys()) if (lastUse[id] >= 0) pinned.add(id);

  const allocations: MemoryAllocation[] = [];
  const allocationOf = new Array<number>(n).fill(-1);
  const offsetOf = new Array<number>(n).fill(0);
  const inputs = new Set(plan.inputs.map((b) => b.buffer));
  for (const b of pinned) {
    const spec = plan.buffers[b];
    const role = plan.constants.has(b) ? 'constant' : inputs.has(b) ? 'input' : 'output';
    allocations.push({ dtype: spec.dtype, size: spec.size, role });
    allocationOf[b] = allocations.length - 1;
  }

  // Storage groups: every written, unpinned buffer starts one; an in-place step joins its output to
  // the group of the operand it overwrites.
  const groupOf = new Array<Group | undefined>(n).fill(undefined);
  const groups: Group[] = [];
  const inPlaceSteps: number[] = [];
  plan.steps.forEach((s, i) => {
    for (const b of s.operands) {
      if (!pinned.has(b) && (firstWrite[b] < 0 || firstWrite[b] >= i)) throw new Error(`memory plan: buffer %${b} is read by step ${i} before any step writes it`);
    }
    const overwritten = inPlaceOperand(s, i, plan, lastUse, pinned);
    for (const o of writes(s)) {
      if (pinned.has(o) || groupOf[o] !== undefined) continue;
      const spec = plan.buffers[o];
      const end = Math.max(i, lastUse[o]);
      if (overwritten !== undefined) {
        const g = groupOf[overwritten]!;
        g.to = Math.max(g.to, end);
        g.size = Math.max(g.size, spec.size);
        groupOf[o] = g;
        inPlaceSteps.push(i);
        continue;
      }
      const g: Group = { dtype: spec.dtype, size: spec.size, from: i, to: end, offset: 0 };
      groups.push(g);
      groupOf[o] = g;
    }
  });

  // One arena per dtype, in order of first appearance.
  const arenaOf = new Map<DType, number>();
  for (const g of groups) {
    if (arenaOf.has(g.dtype)) continue;
    const of = groups.filter((h) => h.dtype === g.dtype);
    const size = planArena(of, alignElements(g.dtype));
    allocations.push({ dtype: g.dtype, size, role: 'arena' });
    arenaOf.set(g.dtype, allocations.length - 1);
  }
  for (let b = 0; b < n; b++) {
    const g = groupOf[b];
    if (g === undefined) continue;
    allocationOf[b] = arenaOf.get(g.dtype)!;
    offsetOf[b] = g.offset;
  }

  const unsharedBytes = plan.buffers.filter((b) => allocationOf[b.id] >= 0).reduce((t, b) => t + bytesOf(b.dtype, b.size), 0);
  const total = (keep: (a: MemoryAllocation) => boolean): number => allocations.filter(keep).reduce((t, a) => t + bytesOf(a.dtype, a.size), 0);
  const constantBytes = total((a) => a.role === 'constant');
  const peakBytes = total(() => true);
  return { allocations, allocationOf, offsetOf, inPlaceSteps, peakBytes, activationBytes: peakBytes - constantBytes, constantBytes, unsharedBytes };
}
