// Runs an IR graph on a backend: binds the feeds, lowers once per distinct set of input dims (plans
// are cached; kernels fused and memory planned unless disabled), allocates one backing buffer per
// storage slot, keeps constant buffers resident, executes the kernel steps and reads the outputs.

import { Tensor } from 'onnxruntime-common';
import { BackendUnavailableError } from '../core/errors.js';
import { fromOrtTensor, hostTensor, HostTensor, toOrtTensor } from '../core/tensor.js';
import type { Graph } from '../compiler/ir/types.js';
import { compilePlan } from '../compiler/lowering/compile-plan.js';
import type { KernelPlan } from '../compiler/lowering/plan.js';
import type { Backend } from './backend.js';
import { bindInputs } from './bind-inputs.js';
import { CpuBackend } from './cpu/cpu-backend.js';
import { WasmBackend } from './wasm/wasm-backend.js';

export type BackendName = 'cpu' | 'wasm';

export interface GraphSessionOptions {
  readonly backend?: BackendName;
  /** backend 'wasm': threads running kernels, the caller's included (default os.availableParallelism()). */
  readonly threads?: number;
  /** Fuse elementwise chains and routine epilogues (default true; false for debugging and comparisons). */
  readonly fuse?: boolean;
  /** Share storage between plan buffers whose lifetimes do not overlap (default true). */
  readonly planMemory?: boolean;
}

interface Prepared<Buf, Compiled> {
  readonly plan: KernelPlan;
  readonly buffers: Buf[];
  readonly kernels: Map<number, Compiled>;
}

function createBackend(name: BackendName, options: GraphSessionOptions): Backend<unknown, unknown> {
  switch (name) {
    case 'cpu': return new CpuBackend() as Backend<unknown, unknown>;
    case 'wasm': return new WasmBackend({ threads: options.threads }) as Backend<unknown, unknown>;
  }
  throw new BackendUnavailableError(`backend '${String(name)}' is not available; available: cpu, wasm`);
}

export class GraphSession {
  private readonly backend: Backend<unknown, unknown>;
  private readonly plans = new Map<string, Prepared<unknown, unknown>>();
  private readonly fuse: boolean;
  private readonly planMemory: boolean;

  constructor(readonly graph: Graph, options: GraphSessionOptions = {}) {
    this.backend = createBackend(options.backend ?? 'cpu', options);
    this.fuse = options.fuse ?? true;
    this.planMemory = options.planMemory ?? true;
  }

  /** Free the backend's resources (the wasm backend's worker threads). The session cannot run afterwards. */
  release(): void {
    if (this.backend instanceof WasmBackend) this.backend.dispose();
  }

  get inputNames(): string[] {
    return this.graph.inputs.map((v) => v.name);
  }

  get outputNames(): string[] {
    return this.graph.outputs.map((v) => v.name);
  }

  /** The kernel plan used for these input dims (for inspection and tests). */
  planFor(inputDims: ReadonlyMap<string, readonly number[]>): KernelPlan {
    return this.prepare(inputDims).plan;
  }

  /** Synchronous run on host tensors; returns outputs by name. */
  runHost(feeds: Readonly<Record<string, HostTensor>>): Record<string, HostTensor> {
    const dims = bindInputs(this.graph, feeds);
    const { plan, buffers, kernels } = this.prepare(dims);
    const be = this.backend;
    for (const b of plan.inputs) be.write(buffers[b.buffer], feeds[b.name].data);
    plan.steps.forEach((s, i) => {
      if (s.kind === 'elementwise') be.dispatch(kernels.get(i), s.operands.map((o) => buffers[o]), buffers[s.output]);
      else be.runRoutine(s.call, s.operands.map((o) => buffers[o]), s.outputs.map((o) => buffers[o]));
    });
    const out: Record<string, HostTensor> = {};
    for (const b of plan.outputs) out[b.name] = hostTensor(b.dtype, b.dims, be.read(buffers[b.buffer]));
    return out;
  }

  /** onnxruntime-common style: Tensors in, Tensors out. */
  async run(feeds: Readonly<Record<string, Tensor>>): Promise<Record<string, Tensor>> {
    const host: Record<string, HostTensor> = {};
    for (const [k, t] of Object.entries(feeds)) host[k] = fromOrtTensor(t, `input '${k}'`);
    const out = this.runHost(host);
    const res: Record<string, Tensor> = {};
    for (const [k, t] of Object.entries(out)) res[k] = toOrtTensor(t);
    return res;
  }

  private prepare(dims: ReadonlyMap<string, readonly number[]>): Prepared<unknown, unknown> {
    const key = this.graph.inputs.map((v) => `${v.name}:${(dims.get(v.name) ?? []).join('x')}`).join(';');
    let p = this.plans.get(key);
    if (p === undefined) {
      const plan = compilePlan(this.graph, dims, { fuse: this.fuse, planMemory: this.planMemory });
      const buffers = this.allocate(plan);
      for (const [id, t] of plan.constants) {
        if (plan.memory === undefined || plan.memory.slotOf[id] >= 0) this.backend.write(buffers[id], t.data);
      }
      const kernels = new Map<number, unknown>();
      plan.steps.forEach((s, i) => {
        if (s.kind === 'elementwise') kernels.set(i, this.backend.compile(s.kernel));
      });
      p = { plan, buffers, kernels };
      this.plans.set(key, p);
    }
    return p;
  }

  /** One backend buffer per plan buffer: views of the memory plan's slots, or one allocation each. */
  private allocate(plan: KernelPlan): unknown[] {
    const be = this.backend;
    const memory = plan.memory;
    if (memory === undefined) return plan.buffers.map((b) => be.allocate(b.dtype, b.size));
    const slots = memory.slots.map((s) => be.allocate(s.dtype, s.size));
    // A buffer nothing uses any more (fused away) gets an empty allocation.
    return plan.buffers.map((b) => (memory.slotOf[b.id] < 0 ? be.allocate(b.dtype, 0) : be.view(slots[memory.slotOf[b.id]], b.size)));
  }
}
