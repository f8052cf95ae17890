// Every workload of `npm run bench`, in report order; `--quick` keeps a representative subset.

import { bnWorkloads } from './bn.js';
import { fusedWorkloads } from './fused.js';
import { resnetWorkloads } from './resnet.js';
import type { Workload } from './types.js';

export function allWorkloads(): Workload[] {
  return [...bnWorkloads(), ...fusedWorkloads(), ...resnetWorkloads()];
}

/** The smoke-run subset: one BN shape each way, both fusion workloads, ResNet-18 at batch 1. */
export const QUICK_WORKLOADS: ReadonlySet<string> = new Set([
  'bn-infer-8x64x56x56',
  'bn-train-8x64x56x56',
  'conv-bn-relu',
  'matmul-bn-relu',
  'resnet18-b1',
]);
