// Symbolic tensors: the edges of a functional model. Applying a layer to symbolic tensors records a
// layer application; the model later lowers the recorded DAG to an IR graph.

import type { DType } from '../core/dtype.js';
import type { Layer } from './layer.js';

/** Shape as users write it: null for an unknown (batch) dimension. */
export type UserShape = readonly (number | null)[];

export class SymbolicTensor {
  private static nextId = 0;
  readonly id = SymbolicTensor.nextId++;

  constructor(
    /** Full shape including the batch dimension (null when unknown). */
    readonly shape: UserShape,
    readonly dtype: DType,
    /** The layer application that produced it; undefined for model inputs. */
    readonly source: { readonly layer: Layer; readonly inputs: readonly SymbolicTensor[]; readonly index: number } | undefined,
    readonly name: string,
  ) {}
}

/** Every tensor the outputs depend on, inputs before their users, each once (topological order). */
export function applicationOrder(outputs: readonly SymbolicTensor[]): SymbolicTensor[] {
  const seen = new Set<number>();
  const order: SymbolicTensor[] = [];
  const visit = (t: SymbolicTensor): void => {
    if (seen.has(t.id)) return;
    seen.add(t.id);
    t.source?.inputs.forEach(visit);
    order.push(t);
  };
  outputs.forEach(visit);
  return order;
}
