// Memory planning over a kernel plan: liveness of every buffer (from the step that writes it to the
// last step that reads it), then a greedy walk over the steps that backs buffers whose lifetimes do not
// overlap with one storage slot of their dtype, and lets an elementwise step write over an operand
// that dies there when it reads that operand at the element it writes. Plan inputs, constants and
// outputs always get storage of their own (feeds are rewritten, constants stay resident, outputs are
// read after the last step).

import type { DType } from '../../core/dtype.js';
import { sizeOf } from '../../core/shape.js';
import type { KernelPlan, MemoryPlan, PlanStep, StorageSlot } from './plan.js';

const BYTES: { readonly [D in DType]: number } = {
  float32: 4,
  float64: 8,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int8: 1,
  uint8: 1,
  bool: 1,
};

export function bytesOf(dtype: DType, elements: number): number {
  return BYTES[dtype] * elements;
}

function writes(s: PlanStep): readonly number[] {
  return s.kind === 'elementwise' ? [s.output] : s.outputs;
}

/**
 * The operand an elementwise step may overwrite: it dies at this step, is no pinned buffer, has the
 * output's dtype and size, and every read of it is at the output's own flat index (same element
 * count, so no broadcast): each element is loaded before the same element is stored.
 */
function inPlaceOperand(s: PlanStep, i: number, plan: KernelPlan, lastUse: readonly number[], pinned: ReadonlySet<number>): number | undefined {
  if (s.kind !== 'elementwise') return undefined;
  const out = plan.buffers[s.output];
  const outSize = sizeOf(s.kernel.outDims);
  for (const b of new Set(s.operands)) {
    if (pinned.has(b) || lastUse[b] !== i) continue;
    const spec = plan.buffers[b];
    if (spec.dtype !== out.dtype || spec.size !== out.size) continue;
    const readsSameElement = s.kernel.operands.every((o, k) => s.operands[k] !== b || sizeOf(o.dims) === outSize);
    if (readsSameElement) return b;
  }
  return undefined;
}

export function planMemory(plan: KernelPlan): MemoryPlan {
  const n = plan.buffers.length;
  const lastUse = new Array<number>(n).fill(-1);
  plan.steps.forEach((s, i) => {
    for (const b of s.operands) lastUse[b] = i;
  });
  const pinned = new Set<number>([...plan.inputs.map((b) => b.buffer), ...plan.outputs.map((b) => b.buffer)]);
  for (const id of plan.constants.keys()) if (lastUse[id] >= 0) pinned.add(id);

  const slots: { dtype: DType; size: number }[] = [];
  const slotOf = new Array<number>(n).fill(-1);
  const free: number[] = [];
  const inPlaceSteps: number[] = [];
  const newSlot = (dtype: DType, size: number): number => {
    slots.push({ dtype, size });
    return slots.length - 1;
  };
  for (const b of pinned) slotOf[b] = newSlot(plan.buffers[b].dtype, plan.buffers[b].size);

  /** Best fit among free slots of the dtype: the smallest that is large enough, else the largest (grown). */
  const takeFree = (dtype: DType, size: number): number | undefined => {
    let best = -1;
    for (let k = 0; k < free.length; k++) {
      const s = slots[free[k]];
      if (s.dtype !== dtype) continue;
      if (best < 0) {
        best = k;
        continue;
      }
      const cur = slots[free[best]];
      const fits = s.size >= size;
      const curFits = cur.size >= size;
      if ((fits && (!curFits || s.size < cur.size)) || (!fits && !curFits && s.size > cur.size)) best = k;
    }
    if (best < 0) return undefined;
    const id = free[best];
    free.splice(best, 1);
    slots[id].size = Math.max(slots[id].size, size);
    return id;
  };

  plan.steps.forEach((s, i) => {
    const overwritten = inPlaceOperand(s, i, plan, lastUse, pinned);
    for (const b of s.operands) {
      if (slotOf[b] < 0) throw new Error(`memory plan: buffer %${b} is read by step ${i} before any step writes it`);
    }
    for (const o of writes(s)) {
      if (pinned.has(o)) continue;
      const spec = plan.buffers[o];
      if (overwritten !== undefined && s.kind === 'elementwise') {
        slotOf[o] = slotOf[overwritten];
        inPlaceSteps.push(i);
        continue;
      }
      slotOf[o] = takeFree(spec.dtype, spec.size) ?? newSlot(spec.dtype, spec.size);
    }
    // Storage is free again after its buffer's last read (or right away when nothing reads it).
    for (const b of new Set(s.operands)) {
      if (!pinned.has(b) && lastUse[b] === i && b !== overwritten) free.push(slotOf[b]);
    }
    for (const o of writes(s)) {
      if (!pinned.has(o) && lastUse[o] < i) free.push(slotOf[o]);
    }
  });

  const unsharedBytes = plan.buffers.filter((b) => slotOf[b.id] >= 0).reduce((t, b) => t + bytesOf(b.dtype, b.size), 0);
  const frozen: StorageSlot[] = slots.map((s) => ({ dtype: s.dtype, size: s.size }));
  const peakBytes = frozen.reduce((t, s) => t + bytesOf(s.dtype, s.size), 0);
  return { slots: frozen, slotOf, inPlaceSteps, peakBytes, unsharedBytes };
}
