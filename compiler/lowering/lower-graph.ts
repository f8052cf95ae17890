// Lower an IR graph with bound input dims to a kernel plan: each node's op lowers itself through a
// LowerContext; nodes whose inputs are all known at plan time (shape arithmetic, constant weights) are
// evaluated with their float64 reference instead and become constants, and so are a lowering's
// elementwise kernels whose operands are all constants (compiler/kernels/evaluate-kernel.ts).

import type { DType } from '../../core/dtype.js';
import { FeedError } from '../../core/errors.js';
import { sizeOf } from '../../core/shape.js';
import { fromFloat64, HostTensor, toFloat64 } from '../../core/tensor.js';
import type { ElementwiseKernel, RoutineCall, ScalarExpr } from '../../ops/kernel-ir.js';
import type { ConcreteType, LowerContext, LValue } from '../../ops/op-def.js';
import type { OpName } from '../../ops/op-attrs.js';
import { opDef } from '../../ops/table.js';
import { inferNode } from '../ir/infer-node.js';
import type { Graph, Node, TensorType } from '../ir/types.js';
import { evaluateKernel } from '../kernels/evaluate-kernel.js';
import type { BufferSpec, KernelPlan, PlanStep } from './plan.js';

/** Largest node output (elements) that plan-time folding will compute with the reference. */
const FOLD_LIMIT = 1 << 16;

class PlanWriter {
  readonly buffers: BufferSpec[] = [];
  readonly constants = new Map<number, HostTensor>();
  readonly steps: PlanStep[] = [];

  buffer(dtype: DType, dims: readonly number[]): LValue {
    const id = this.buffers.length;
    this.buffers.push({ id, dtype, size: sizeOf(dims) });
    return { ref: id, dtype, dims: [...dims] };
  }

  literal(t: HostTensor): LValue {
    const v = this.buffer(t.dtype, t.dims);
    this.constants.set(v.ref, t);
    return v;
  }

  context<K extends OpName>(n: Node<K>, inputs: readonly (LValue | undefined)[], outputTypes: readonly ConcreteType[], known: (i: number) => HostTensor | undefined): LowerContext<Node<K>['attrs']> {
    const node = n.name;
    return {
      site: { op: n.op, node },
      attrs: n.attrs,
      inputs,
      outputTypes,
      constant: known,
      elementwise: (operands, expr: ScalarExpr, dims, dtype) => {
        const kernel: ElementwiseKernel = {
          kind: 'elementwise',
          operands: operands.map((o) => ({ dtype: o.dtype, dims: o.dims })),
          outDims: [...dims],
          outDtype: dtype,
          expr,
        };
        // Arithmetic on constants only (a BN's per-channel factor from its initializers) is done now.
        const data = operands.map((o) => this.constants.get(o.ref));
        const folded = sizeOf(dims) <= FOLD_LIMIT && data.every((t) => t !== undefined) ? evaluateKernel(kernel, data as HostTensor[]) : undefined;
        if (folded !== undefined) return this.literal(folded);
        const out = this.buffer(dtype, dims);
        this.steps.push({ kind: 'elementwise', node, kernel, operands: operands.map((o) => o.ref), output: out.ref });
        return out;
      },
      routine: (call: RoutineCall, operands, outputs) => {
        const outs = outputs.map((t) => this.buffer(t.dtype, t.dims));
        this.steps.push({ kind: 'routine', node, call, operands: operands.map((o) => o.ref), outputs: outs.map((o) => o.ref) });
        return outs;
      },
      view: (v, dims) => {
        if (sizeOf(dims) !== sizeOf(v.dims)) throw new Error(`${n.op} '${node}': view of [${v.dims}] as [${dims}] changes the element count`);
        return { ref: v.ref, dtype: v.dtype, dims: [...dims] };
      },
      literal: (t) => this.literal(t),
    };
  }
}

function concrete(t: TensorType, what: string): number[] {
  return t.shape.map((d) => {
    if (typeof d !== 'number') throw new FeedError(`${what}: dimension '${d}' is still symbolic after binding the inputs`);
    return d;
  });
}

/** `inputDims` binds every graph input (by name) to concrete dims; the session has checked them. */
export function lowerGraph(g: Graph, inputDims: ReadonlyMap<string, readonly number[]>): KernelPlan {
  const w = new PlanWriter();
  const values = new Map<number, LValue>();
  const known = new Map<number, HostTensor>();
  const types = new Map<number, TensorType>();

  const inputs = g.inputs.map((v) => {
    const dims = inputDims.get(v.name);
    if (dims === undefined) throw new FeedError(`graph input '${v.name}' has no bound dims`);
    const lv = w.buffer(v.type.dtype, dims);
    values.set(v.id, lv);
    types.set(v.id, { dtype: v.type.dtype, shape: dims });
    return { name: v.name, buffer: lv.ref, dtype: v.type.dtype, dims };
  });
  for (const [id, t] of g.initializers) {
    known.set(id, t);
    types.set(id, { dtype: t.dtype, shape: t.dims });
  }
  const valueOf = (id: number): LValue => {
    let lv = values.get(id);
    if (lv === undefined) {
      const t = known.get(id);
      if (t === undefined) throw new Error(`value %${id} has no buffer`);
      lv = w.literal(t);
      values.set(id, lv);
    }
    return lv;
  };

  for (const n of g.nodes) lowerNode(n);

  function lowerNode<K extends OpName>(n: Node<K>): void {
    const inTypes = n.inputs.map((v) => (v === undefined ? undefined : types.get(v.id)));
    const knownOf = (i: number): HostTensor | undefined => {
      const v = n.inputs[i];
      return v === undefined ? undefined : known.get(v.id);
    };
    const outTypes = inferNode(n, inTypes, knownOf).map((t, i) => ({ dtype: t.dtype, dims: concrete(t, `${n.op} '${n.name}' output ${i}`) }));
    outTypes.forEach((t, i) => types.set(n.outputs[i].id, { dtype: t.dtype, shape: t.dims }));
    const def = opDef<K>(n.op);
    const allKnown = n.inputs.every((v) => v === undefined || known.has(v.id));
    if (allKnown && outTypes.every((t) => sizeOf(t.dims) <= FOLD_LIMIT)) {
      const outs = def.reference({
        site: { op: n.op, node: n.name },
        attrs: n.attrs,
        inputs: n.inputs.map((v) => (v === undefined ? undefined : toFloat64(known.get(v.id)!))),
        inputTypes: inTypes,
        outputTypes: outTypes,
      });
      outs.forEach((o, i) => known.set(n.outputs[i].id, fromFloat64(outTypes[i].dtype, outTypes[i].dims, o.data)));
      return;
    }
    const lin = n.inputs.map((v) => (v === undefined ? undefined : valueOf(v.id)));
    const outs = def.lower(w.context(n, lin, outTypes, knownOf));
    outs.forEach((o, i) => {
      values.set(n.outputs[i].id, o);
      // A lowering may produce a literal (Shape of a runtime input, Constant): its value is known
      // from here on, so later shape arithmetic (Reshape targets) can use it.
      const lit = w.constants.get(o.ref);
      if (lit !== undefined) known.set(n.outputs[i].id, { ...lit, dims: o.dims });
    });
  }

  const outputs = g.outputs.map((v) => {
    const lv = valueOf(v.id);
    return { name: v.name, buffer: lv.ref, dtype: lv.dtype, dims: lv.dims };
  });
  return { buffers: w.buffers, constants: w.constants, inputs, steps: w.steps, outputs };
}
