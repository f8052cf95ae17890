// Lowers a DAG of layer applications (symbolic tensors) to an IR graph for one mode: weights become
// graph inputs fed from the layers' state, and training-mode state updates (moving statistics)
// become extra graph outputs that the runner assigns back after each run.

import type { DType } from '../core/dtype.js';
import { ArgumentError } from '../core/errors.js';
import { GraphBuilder } from '../compiler/ir/builder.js';
import type { Graph, Value } from '../compiler/ir/types.js';
import type { Layer, LayerWeight, LowerCall } from './layer.js';
import { applicationOrder, type SymbolicTensor } from './symbolic.js';

export interface LayerGraphSpec {
  readonly name: string;
  readonly inputs: readonly SymbolicTensor[];
  readonly outputs: readonly SymbolicTensor[];
}

export interface MaskSpec {
  readonly dtype: DType;
  readonly rank: number;
}

export interface LoweredLayerGraph {
  readonly graph: Graph;
  /** Graph input name -> weight that feeds it. */
  readonly weightInputs: ReadonlyMap<string, LayerWeight>;
  /** Graph output name -> weight it updates. */
  readonly updates: ReadonlyMap<string, LayerWeight>;
  readonly inputNames: readonly string[];
  readonly maskInput: string | undefined;
  readonly outputNames: readonly string[];
}

function dimsOf(t: SymbolicTensor, inputIndex: number): (number | string)[] {
  return t.shape.map((d, i) => (d === null ? `${t.name}_d${i}` : d)).map((d, i) => (i === 0 && t.shape[0] === null ? `batch${inputIndex}` : d));
}

export function lowerLayerGraph(spec: LayerGraphSpec, training: boolean, mask: MaskSpec | undefined): LoweredLayerGraph {
  const b = new GraphBuilder(spec.name);
  const values = new Map<number, Value>();
  const masks = new Map<number, Value>();
  const inputNames = spec.inputs.map((t, i) => {
    const v = b.input(t.name, t.dtype, dimsOf(t, i));
    values.set(t.id, v);
    return v.name;
  });
  let maskInput: string | undefined;
  if (mask !== undefined) {
    const first = spec.inputs[0];
    const maskShape = dimsOf(first, 0).slice(0, mask.rank);
    const m = b.input('mask', mask.dtype, maskShape);
    maskInput = m.name;
    // Keras casts masks to bool: any non-zero entry counts.
    const asBool = mask.dtype === 'bool' ? m : b.op('Cast', [m], { to: 'bool' }, 'mask_to_bool');
    masks.set(first.id, b.op('Cast', [asBool], { to: 'float32' }, 'mask_to_float'));
  }
  const weightInputs = new Map<string, LayerWeight>();
  const weightValues = new Map<LayerWeight, Value>();
  const pendingUpdates: { weight: LayerWeight; value: Value; layer: Layer }[] = [];

  for (const t of applicationOrder(spec.outputs)) {
    const src = t.source;
    if (src === undefined) {
      if (!values.has(t.id)) throw new ArgumentError({ op: 'Model', node: spec.name }, 'inputs', `to include every input the outputs depend on`, `a missing input '${t.name}'`);
      continue;
    }
    const layer = src.layer;
    const call: LowerCall = {
      builder: b,
      training,
      weight: (w) => {
        let v = weightValues.get(w);
        if (v === undefined) {
          v = b.input(`${layer.name}/${w.name}`, w.value.dtype, w.value.dims);
          weightValues.set(w, v);
          weightInputs.set(v.name, w);
        }
        return v;
      },
      update: (w, v) => pendingUpdates.push({ weight: w, value: v, layer }),
    };
    const inputs = src.inputs.map((x) => values.get(x.id)!);
    const inMask = src.inputs.map((x) => masks.get(x.id)).find((m) => m !== undefined);
    if (inMask !== undefined && !layer.supportsMasking) {
      throw new ArgumentError(layer.site, 'mask', 'no mask (this layer does not support masking, as in Keras)', 'a mask propagated from the model input');
    }
    const out = layer.lower(call, inputs, inMask);
    values.set(t.id, out);
    if (inMask !== undefined) masks.set(t.id, inMask);
  }

  const outputs = spec.outputs.map((t) => values.get(t.id)!);
  const updates = new Map<string, LayerWeight>();
  const updateValues = pendingUpdates.map((u) => {
    const v = b.op('Identity', [u.value], {}, `${u.layer.name}/${u.weight.name}:update`);
    updates.set(v.name, u.weight);
    return v;
  });
  const graph = b.build([...outputs, ...updateValues]);
  return { graph, weightInputs, updates, inputNames, maskInput, outputNames: outputs.map((v) => v.name) };
}
