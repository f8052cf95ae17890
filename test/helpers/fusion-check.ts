// Runs one graph three ways — fused and memory-planned (the default session), unfused without a
// memory plan, and on the float64 reference — so fusion tests can demand bit-identical kiln results
// and closeness to the reference.

import { expect } from 'vitest';
import type { Graph } from '../../compiler/ir/types.js';
import { bindInputs } from '../../runtime/bind-inputs.js';
import type { KernelPlan } from '../../compiler/lowering/plan.js';
import type { F64Tensor, HostTensor } from '../../core/tensor.js';
import { GraphSession } from '../../runtime/graph-session.js';
import { runReference } from '../../runtime/reference.js';
import { expectClose, Tolerance, toleranceFor } from './compare.js';

export interface ThreeWay {
  readonly fusedPlan: KernelPlan;
  readonly unfusedPlan: KernelPlan;
  readonly fused: Record<string, HostTensor>;
  readonly unfused: Record<string, HostTensor>;
  readonly reference: Record<string, F64Tensor>;
}

export function runThreeWays(g: Graph, feeds: Readonly<Record<string, HostTensor>>): ThreeWay {
  const fusedSession = new GraphSession(g);
  const unfusedSession = new GraphSession(g, { fuse: false, planMemory: false });
  const dims = bindInputs(g, feeds);
  return {
    fusedPlan: fusedSession.planFor(dims),
    unfusedPlan: unfusedSession.planFor(dims),
    fused: fusedSession.runHost(feeds),
    unfused: unfusedSession.runHost(feeds),
    reference: runReference(g, feeds).outputs,
  };
}

/** Fused equals unfused bit for bit, and both are within `tol` (default: the dtype's) of the reference. */
export function expectFusionKeepsResults(g: Graph, feeds: Readonly<Record<string, HostTensor>>, tol?: Tolerance): ThreeWay {
  const r = runThreeWays(g, feeds);
  for (const v of g.outputs) {
    const f = r.fused[v.name];
    const u = r.unfused[v.name];
    expect(f.dtype, v.name).toBe(u.dtype);
    expect([...f.dims], v.name).toEqual([...u.dims]);
    expect([...f.data], `${v.name}: fused vs unfused`).toEqual([...u.data]);
    expectClose(f, r.reference[v.name], tol ?? toleranceFor(f.dtype), `${v.name} (fused) vs reference`);
  }
  return r;
}
