// Inputs and outputs resident in a backend's memory (GraphSession.bind), the zero-copy way to run a
// session repeatedly: the caller writes the inputs' data in place, `run()` executes the kernels only,
// and the outputs are views the kernels wrote. onnxruntime offers the same through IO binding (device
// buffers) and TensorFlow.js through tensors that stay on the backend.
//
// Lifetimes: the input views keep what the caller wrote until the caller changes it (runs never write
// plan inputs: the memory plan gives them storage of their own); an output view shows the latest
// run's result and is overwritten by the next run — copy it (`slice()`) to keep it. Outputs are for
// reading: an output that is also read by the plan (a graph output that is an initializer) is the
// storage the kernels read, so writing it changes later runs (never the graph itself). A view stays
// valid as long as it is referenced, even after its binding is dropped (it keeps its memory from being
// reused), and when the wasm memory grows (a shared memory never detaches). Each `bind` allocates a
// plan's buffers anew: bind once and run many times.

import { FeedError } from '../core/errors.js';
import { hostTensor, HostTensor } from '../core/tensor.js';
import type { Backend } from './backend.js';
import type { PlanInstance } from './graph-session.js';

function byName(names: readonly { readonly name: string }[], what: string, name: string): void {
  if (!names.some((b) => b.name === name)) {
    throw new FeedError(`IoBinding: ${what} '${name}' is not bound; ${what}s are ${names.map((b) => `'${b.name}'`).join(', ')}`);
  }
}

export class IoBinding {
  /** The graph inputs, by name: write their `data` in place before `run()`. */
  readonly inputs: Readonly<Record<string, HostTensor>>;
  /** The graph outputs, by name: views of the latest run's results. */
  readonly outputs: Readonly<Record<string, HostTensor>>;

  constructor(private readonly instance: PlanInstance, backend: Backend<unknown, unknown>) {
    const { plan, buffers } = instance;
    const view = (b: (typeof plan.inputs)[number]): HostTensor => hostTensor(b.dtype, b.dims, backend.storage(buffers[b.buffer]));
    this.inputs = Object.fromEntries(plan.inputs.map((b) => [b.name, view(b)]));
    this.outputs = Object.fromEntries(plan.outputs.map((b) => [b.name, view(b)]));
  }

  /** The resident input `name` (throws FeedError naming the inputs if there is none). */
  input(name: string): HostTensor {
    byName(this.instance.plan.inputs, 'input', name);
    return this.inputs[name];
  }

  /** The resident output `name` (throws FeedError naming the outputs if there is none). */
  output(name: string): HostTensor {
    byName(this.instance.plan.outputs, 'output', name);
    return this.outputs[name];
  }

  /** Executes the kernels on the resident inputs; synchronous, no copies. */
  run(): void {
    this.instance.execute();
  }
}
