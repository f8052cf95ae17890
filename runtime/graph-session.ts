// Runs an IR graph on a backend: binds the feeds, lowers once per distinct set of input dims (plans
// are cached; kernels fused and memory planned unless disabled), allocates the memory plan's arenas
// (buffers are views at planned offsets), keeps constant buffers resident, executes the kernel steps
// and reads the outputs.
// `bind` hands out an IoBinding: inputs and outputs resident in the backend's memory, run with no
// copies at all (onnxruntime's IO binding plays this role for device memory).

import { Tensor } from 'onnxruntime-common';
import { ArgumentError, BackendUnavailableError } from '../core/errors.js';
import { fromOrtTensor, hostTensor, HostTensor, toOrtTensor } from '../core/tensor.js';
import type { Graph } from '../compiler/ir/types.js';
import { compilePlan } from '../compiler/lowering/compile-plan.js';
import type { KernelPlan } from '../compiler/lowering/plan.js';
import type { Backend } from './backend.js';
import { bindInputs, dimsOfFeeds } from './bind-inputs.js';
import { CpuBackend } from './cpu/cpu-backend.js';
import { IoBinding } from './io-binding.js';
import { WasmBackend, type Precision } from './wasm/wasm-backend.js';

export type BackendName = 'cpu' | 'wasm';

export interface GraphSessionOptions {
  readonly backend?: BackendName;
  /** backend 'wasm': threads running kernels, the caller's included (default os.availableParallelism()). */
  readonly threads?: number;
  /**
   * backend 'wasm': elementwise arithmetic in 'float64' lanes (default; bit-identical to the cpu
   * backend) or 'float32' lanes for float32 results (twice the vector width, float32 rounding as in
   * onnxruntime; float64 results keep float64 lanes).
   */
  readonly precision?: Precision;
  /** Fuse elementwise chains and routine epilogues (default true; false for debugging and comparisons). */
  readonly fuse?: boolean;
  /** Share storage between plan buffers whose lifetimes do not overlap (default true). */
  readonly planMemory?: boolean;
  /** backend 'wasm': keep routines' transformed weights between runs (default true; WasmBackendOptions). */
  readonly cacheTransformedWeights?: boolean;
}

/** A plan with its compiled kernels (shared by every instance of it). */
interface Compiled {
  readonly plan: KernelPlan;
  readonly kernels: Map<number, unknown>;
}

/** A plan's buffers on the backend, with its steps bound to them. */
export interface PlanInstance {
  readonly plan: KernelPlan;
  readonly buffers: readonly unknown[];
  /** Runs every step in order. */
  readonly execute: () => void;
}

function createBackend(name: BackendName, options: GraphSessionOptions): Backend<unknown, unknown> {
  switch (name) {
    case 'cpu': return new CpuBackend() as Backend<unknown, unknown>;
    case 'wasm': return new WasmBackend({ threads: options.threads, precision: options.precision, cacheTransformedWeights: options.cacheTransformedWeights }) as Backend<unknown, unknown>;
  }
  throw new BackendUnavailableError(`backend '${String(name)}' is not available; available: cpu, wasm`);
}

export class GraphSession {
  /** The backend the session runs on (for inspection: the wasm backend's heap and statistics). */
  readonly backend: Backend<unknown, unknown>;
  private readonly compiled = new Map<string, Compiled>();
  private readonly instances = new Map<string, PlanInstance>();
  private readonly fuse: boolean;
  private readonly planMemory: boolean;

  constructor(readonly graph: Graph, options: GraphSessionOptions = {}) {
    const name = options.backend ?? 'cpu';
    const site = { op: 'GraphSession', node: graph.name };
    const { threads, precision } = options;
    if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) {
      throw new ArgumentError(site, 'threads', 'a positive integer', String(threads));
    }
    if (precision !== undefined && precision !== 'float64' && precision !== 'float32') {
      throw new ArgumentError(site, 'precision', "'float64' or 'float32'", `'${String(precision)}'`);
    }
    if (options.precision !== undefined && name !== 'wasm') {
      throw new ArgumentError(site, 'precision', "to be left out with backend 'cpu' (it applies to backend 'wasm')", `'${options.precision}'`);
    }
    this.backend = createBackend(name, options);
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

  /**
   * The kernel plan used for these input dims (for inspection and tests). Like the first run with
   * them, it prepares everything a run needs: plan, compiled kernels, buffers, uploaded constants.
   */
  planFor(inputDims: ReadonlyMap<string, readonly number[]>): KernelPlan {
    return this.instanceFor(inputDims).plan;
  }

  /** Synchronous run on host tensors; returns outputs by name (copies, owned by the caller). */
  runHost(feeds: Readonly<Record<string, HostTensor>>): Record<string, HostTensor> {
    const inst = this.instanceFor(bindInputs(this.graph, feeds));
    const { plan, buffers } = inst;
    const be = this.backend;
    for (const b of plan.inputs) be.write(buffers[b.buffer], feeds[b.name].data);
    inst.execute();
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

  /**
   * Inputs and outputs resident in the backend's memory for these input dims (inputs with a static shape may be left
   * out; symbolic dims are bound as a feed would bind them). The binding has buffers of its own, so other runs
   * of the session never touch them; each call allocates them anew, so bind once and run many times.
   */
  bind(inputDims: Readonly<Record<string, readonly number[]>> = {}): IoBinding {
    const dims = bindInputs(this.graph, dimsOfFeeds(this.graph, inputDims));
    return new IoBinding(this.instantiate(dims), this.backend);
  }

  /** The instance runHost uses for these dims, created on first use. */
  private instanceFor(dims: ReadonlyMap<string, readonly number[]>): PlanInstance {
    const key = this.key(dims);
    let inst = this.instances.get(key);
    if (inst === undefined) {
      inst = this.instantiate(dims);
      this.instances.set(key, inst);
    }
    return inst;
  }

  private key(dims: ReadonlyMap<string, readonly number[]>): string {
    return this.graph.inputs.map((v) => `${v.name}:${(dims.get(v.name) ?? []).join('x')}`).join(';');
  }

  private compile(dims: ReadonlyMap<string, readonly number[]>): Compiled {
    const key = this.key(dims);
    let c = this.compiled.get(key);
    if (c === undefined) {
      const plan = compilePlan(this.graph, dims, { fuse: this.fuse, planMemory: this.planMemory });
      const kernels = new Map<number, unknown>();
      plan.steps.forEach((s, i) => {
        if (s.kind === 'elementwise') kernels.set(i, this.backend.compile(s.kernel));
      });
      c = { plan, kernels };
      this.compiled.set(key, c);
    }
    return c;
  }

  /** Buffers for the plan (constants written) and its steps bound to them, resolved once. */
  private instantiate(dims: ReadonlyMap<string, readonly number[]>): PlanInstance {
    const { plan, kernels } = this.compile(dims);
    const be = this.backend;
    const buffers = this.allocate(plan);
    const steps = plan.steps.map((s, i): (() => void) => {
      if (s.kind === 'elementwise') {
        const kernel = kernels.get(i);
        const operands = s.operands.map((o) => buffers[o]);
        const output = buffers[s.output];
        return () => be.dispatch(kernel, operands, output);
      }
      const operands = s.operands.map((o) => buffers[o]);
      const outputs = s.outputs.map((o) => buffers[o]);
      be.prepare?.(s.call, operands, outputs);
      return () => be.runRoutine(s.call, operands, outputs);
    });
    return {
      plan,
      buffers,
      execute: () => {
        for (const step of steps) step();
      },
    };
  }

  /**
   * One backend buffer per plan buffer: views of the memory plan's allocations (an arena per dtype,
   * plus storage of their own for inputs, outputs and constants) at the planned offsets, or one
   * allocation each.
   */
  private allocate(plan: KernelPlan): unknown[] {
    const be = this.backend;
    const memory = plan.memory;
    // Constants come from the backend's `constant` (shared with the graph on the cpu backend), except
    // one that is also a graph output: IoBinding hands outputs out as writable views, so it is copied.
    const outputs = new Set(plan.outputs.map((o) => o.buffer));
    const shared = (id: number): boolean => plan.constants.has(id) && !outputs.has(id);
    const own = (id: number, make: () => unknown): unknown => {
      const t = plan.constants.get(id);
      if (t === undefined) return make();
      if (!outputs.has(id)) return be.constant(t.dtype, t.data);
      const buf = make();
      be.write(buf, t.data);
      return buf;
    };
    if (memory === undefined) return plan.buffers.map((b) => own(b.id, () => be.allocate(b.dtype, b.size)));
    const sharedAllocations = new Set(plan.buffers.filter((b) => shared(b.id)).map((b) => memory.allocationOf[b.id]));
    const allocations = memory.allocations.map((a, i) => (sharedAllocations.has(i) ? undefined : be.allocate(a.dtype, a.size)));
    return plan.buffers.map((b) => {
      const a = memory.allocationOf[b.id];
      // A buffer nothing uses any more (fused away) gets an empty allocation.
      if (a < 0) return be.allocate(b.dtype, 0);
      return own(b.id, () => be.view(allocations[a], memory.offsetOf[b.id], b.size));
    });
  }

}
