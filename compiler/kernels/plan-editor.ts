// A mutable view of a kernel plan for the fusion passes: steps by index (removed steps leave a hole
// so indices stay stable), which steps read each buffer, which step writes it, and the buffers that
// must survive the plan (its outputs). Buffers are written once (the plan is SSA over buffers).

import type { KernelPlan, PlanStep } from '../lowering/plan.js';

export function stepReads(s: PlanStep): readonly number[] {
  return s.operands;
}

export function stepWrites(s: PlanStep): readonly number[] {
  return s.kind === 'elementwise' ? [s.output] : s.outputs;
}

export class PlanEditor {
  private readonly steps: (PlanStep | undefined)[];
  private readonly readers = new Map<number, Set<number>>();
  private readonly producers = new Map<number, number>();
  /** Buffers a plan output binds: their contents must exist after the last step. */
  readonly outputBuffers: ReadonlySet<number>;

  constructor(private readonly plan: KernelPlan) {
    this.steps = [...plan.steps];
    this.outputBuffers = new Set(plan.outputs.map((o) => o.buffer));
    this.steps.forEach((s, i) => {
      if (s !== undefined) this.register(i, s);
    });
  }

  get length(): number {
    return this.steps.length;
  }

  step(i: number): PlanStep | undefined {
    return this.steps[i];
  }

  /** Indices of the steps that read `buffer`. */
  readersOf(buffer: number): ReadonlySet<number> {
    return this.readers.get(buffer) ?? new Set<number>();
  }

  /** Index of the step that writes `buffer` (undefined for inputs and constants). */
  producerOf(buffer: number): number | undefined {
    return this.producers.get(buffer);
  }

  /** True when `step` is the only reader of `buffer` and no plan output binds it. */
  onlyReader(buffer: number, step: number): boolean {
    const r = this.readersOf(buffer);
    return !this.outputBuffers.has(buffer) && r.size === 1 && r.has(step);
  }

  replace(i: number, s: PlanStep): void {
    this.remove(i);
    this.steps[i] = s;
    this.register(i, s);
  }

  remove(i: number): void {
    const old = this.steps[i];
    if (old === undefined) return;
    for (const b of stepReads(old)) this.readers.get(b)?.delete(i);
    for (const b of stepWrites(old)) if (this.producers.get(b) === i) this.producers.delete(b);
    this.steps[i] = undefined;
  }

  result(): KernelPlan {
    const steps = this.steps.filter((s): s is PlanStep => s !== undefined);
    return { ...this.plan, steps, memory: undefined };
  }

  private register(i: number, s: PlanStep): void {
    for (const b of stepReads(s)) {
      let r = this.readers.get(b);
      if (r === undefined) this.readers.set(b, (r = new Set()));
      r.add(i);
    }
    for (const b of stepWrites(s)) this.producers.set(b, i);
  }
}

/** Node names of fused steps joined with '+', each once (a lowering may emit several steps per node). */
export function fusedNodeName(...names: readonly string[]): string {
  const parts: string[] = [];
  for (const n of names) for (const p of n.split('+')) if (!parts.includes(p)) parts.push(p);
  return parts.join('+');
}
