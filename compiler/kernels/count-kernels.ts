// Counting the kernels of a plan that touch the data, for fusion tests and `kiln inspect`: a step
// "runs over the data" when some buffer it reads or writes has more elements than a threshold, so the
// small per-channel coefficient kernels (BatchNormalization's scale/√(var+ε) on [C], running-stat
// updates) do not count as passes over the activations.

import type { KernelPlan, PlanStep } from '../lowering/plan.js';
import { stepReads, stepWrites } from './plan-editor.js';

/** Elements of the largest buffer a step reads or writes. */
export function stepElements(plan: KernelPlan, s: PlanStep): number {
  let n = 0;
  for (const b of [...stepReads(s), ...stepWrites(s)]) n = Math.max(n, plan.buffers[b].size);
  return n;
}

/** Steps whose largest buffer has more than `threshold` elements. */
export function dataKernels(plan: KernelPlan, threshold: number): PlanStep[] {
  return plan.steps.filter((s) => stepElements(plan, s) > threshold);
}

export function countDataKernels(plan: KernelPlan, threshold: number): number {
  return dataKernels(plan, threshold).length;
}
