// Run an op's shape inference for one node. Generic in the op name so that the node's attributes and
// the op's definition are typed together, with no casts.

import type { HostTensor } from '../../core/tensor.js';
import type { OpName } from '../../ops/op-attrs.js';
import { opDef } from '../../ops/table.js';
import type { Node, TensorType } from './types.js';

export function inferNode<K extends OpName>(
  n: Node<K>,
  inputTypes: readonly (TensorType | undefined)[],
  constant: (i: number) => HostTensor | undefined,
): TensorType[] {
  return opDef<K>(n.op).inferShape({
    site: { op: n.op, node: n.name },
    attrs: n.attrs,
    inputs: inputTypes,
    outputCount: n.outputs.length,
    constant,
  });
}
