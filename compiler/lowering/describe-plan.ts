// A text description of a kernel plan (for `kiln inspect` and tests): one line per step with its
// buffers, fused formula and bytes moved, then the totals: kernels, bytes moved and peak memory.
//   #0 conv2d 'conv+bn+relu' %0:f32×192 %1:f32×108 %7:f64×4 -> %9:f32×256  epilogue relu(...)  1.9 KB

import type { DType } from '../../core/dtype.js';
import { printExpr } from '../kernels/scalar-expr.js';
import { bytesOf } from './memory-plan.js';
import type { KernelPlan, PlanStep } from './plan.js';

const SHORT: { readonly [D in DType]: string } = {
  float32: 'f32', float64: 'f64', float16: 'f16', bfloat16: 'bf16', int64: 'i64', int32: 'i32', int8: 'i8', uint8: 'u8', bool: 'bool',
};

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

function writes(s: PlanStep): readonly number[] {
  return s.kind === 'elementwise' ? [s.output] : s.outputs;
}

/** Bytes a step reads (each distinct operand buffer once) and writes. */
export function stepBytes(plan: KernelPlan, s: PlanStep): number {
  const bufs = [...new Set(s.operands), ...writes(s)];
  return bufs.reduce((t, b) => t + bytesOf(plan.buffers[b].dtype, plan.buffers[b].size), 0);
}

function describeStep(plan: KernelPlan, s: PlanStep, i: number): string {
  const buf = (b: number): string => `%${b}:${SHORT[plan.buffers[b].dtype]}×${plan.buffers[b].size}`;
  const io = `${s.operands.map(buf).join(' ')} -> ${writes(s).map(buf).join(' ')}`;
  const inPlace = plan.memory?.inPlaceSteps.includes(i) ? '  (in place)' : '';
  const moved = formatBytes(stepBytes(plan, s));
  if (s.kind === 'elementwise') return `  #${i} elementwise '${s.node}' ${io} = ${printExpr(s.kernel.expr)}${inPlace}  ${moved}`;
  const epilogue = 'epilogue' in s.call && s.call.epilogue !== undefined ? `  epilogue ${printExpr(s.call.epilogue.expr)}` : '';
  return `  #${i} ${s.call.routine} '${s.node}' ${io}${epilogue}${inPlace}  ${moved}`;
}

export function describePlan(plan: KernelPlan): string {
  const moved = plan.steps.reduce((t, s) => t + stepBytes(plan, s), 0);
  const elementwise = plan.steps.filter((s) => s.kind === 'elementwise').length;
  const fused = plan.steps.filter((s) => s.kind === 'routine' && 'epilogue' in s.call && s.call.epilogue !== undefined).length;
  const lines = [
    `kernel plan: ${plan.steps.length} kernels (${elementwise} elementwise, ${plan.steps.length - elementwise} routines, ${fused} with a fused epilogue)`,
    ...plan.steps.map((s, i) => describeStep(plan, s, i)),
    `bytes moved: ${formatBytes(moved)}`,
  ];
  const m = plan.memory;
  if (m !== undefined) {
    const arenas = m.allocations.filter((a) => a.role === 'arena').length;
    lines.push(`peak memory: ${formatBytes(m.peakBytes)} in ${m.allocations.length} allocations, ${arenas} of them arenas (${formatBytes(m.activationBytes)} activations, ${formatBytes(m.constantBytes)} constants; ${formatBytes(m.unsharedBytes)} without sharing)`);
  } else {
    const total = plan.buffers.reduce((t, b) => t + bytesOf(b.dtype, b.size), 0);
    lines.push(`peak memory: ${formatBytes(total)} (no memory plan: one allocation per buffer)`);
  }
  return lines.join('\n');
}
