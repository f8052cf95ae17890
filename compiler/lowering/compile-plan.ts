// The lowering path a session runs: lower the graph to a kernel plan, fuse its kernels (elementwise
// chains, then routine epilogues), and plan its memory. `fuse: false` keeps one kernel per lowered
// step, for debugging and for tests that compare fused against unfused results.

import type { Graph } from '../ir/types.js';
import { fuseElementwise } from '../kernels/fuse-elementwise.js';
import { fuseEpilogues } from '../kernels/fuse-epilogues.js';
import { lowerGraph } from './lower-graph.js';
import { planMemory } from './memory-plan.js';
import type { KernelPlan } from './plan.js';

export interface CompilePlanOptions {
  /** Fuse elementwise chains and routine epilogues (default true). */
  readonly fuse?: boolean;
  /** Share storage between buffers whose lifetimes do not overlap (default true). */
  readonly planMemory?: boolean;
}

/** Fusion only: elementwise chains first, so that a routine's epilogue takes the whole chain. */
export function fusePlan(plan: KernelPlan): KernelPlan {
  return fuseEpilogues(fuseElementwise(plan));
}

export function compilePlan(g: Graph, inputDims: ReadonlyMap<string, readonly number[]>, options: CompilePlanOptions = {}): KernelPlan {
  let plan = lowerGraph(g, inputDims);
  if (options.fuse ?? true) plan = fusePlan(plan);
  if (options.planMemory ?? true) plan = { ...plan, memory: planMemory(plan) };
  return plan;
}
