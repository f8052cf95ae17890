// freezeInputs: graph inputs named in `values` => initializers holding those values.
// Used to export a model whose weights are runtime inputs (kiln's layer graphs) as a standard ONNX
// file with its weights inside. Guards: the value's dtype and dims must match the input's type.

import { describeShape, GraphError } from '../../core/errors.js';
import type { HostTensor } from '../../core/tensor.js';
import type { Graph } from '../ir/types.js';

export function freezeInputs(g: Graph, values: ReadonlyMap<string, HostTensor>): Graph {
  const initializers = new Map(g.initializers);
  const inputs = g.inputs.filter((v) => {
    const t = values.get(v.name);
    if (t === undefined) return true;
    const shape = v.type.shape;
    if (t.dtype !== v.type.dtype || t.dims.length !== shape.length || t.dims.some((d, i) => typeof shape[i] === 'number' && shape[i] !== d)) {
      throw new GraphError(`freezeInputs: input '${v.name}' is ${v.type.dtype}${describeShape(shape)} but its value is ${t.dtype}${describeShape(t.dims)}`);
    }
    initializers.set(v.id, t);
    return false;
  });
  return { ...g, inputs, initializers };
}
