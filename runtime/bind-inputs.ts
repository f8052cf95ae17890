// Check a session's feeds against the graph's declared inputs and bind symbolic dims consistently.
// Every failure is a FeedError naming the graph, the input, what was expected and what came.

import { describeShape, FeedError } from '../core/errors.js';
import type { HostTensor } from '../core/tensor.js';
import type { Graph } from '../compiler/ir/types.js';

export function bindInputs(g: Graph, feeds: Readonly<Record<string, HostTensor>>): Map<string, readonly number[]> {
  const bound = new Map<string, readonly number[]>();
  const symbols = new Map<string, { value: number; by: string }>();
  const known = new Set(g.inputs.map((v) => v.name));
  for (const name of Object.keys(feeds)) {
    if (!known.has(name)) {
      throw new FeedError(`graph '${g.name}': feed '${name}' is not a graph input; inputs are ${[...known].map((n) => `'${n}'`).join(', ')}`);
    }
  }
  for (const v of g.inputs) {
    const t = feeds[v.name];
    const want = `${v.type.dtype}${describeShape(v.type.shape)}`;
    if (t === undefined) throw new FeedError(`graph '${g.name}': input '${v.name}' is missing; expected ${want}`);
    if (t.dtype !== v.type.dtype) throw new FeedError(`graph '${g.name}': input '${v.name}' expected dtype ${v.type.dtype}, got ${t.dtype}`);
    const shape = v.type.shape;
    const bad = (): FeedError => new FeedError(`graph '${g.name}': input '${v.name}' expected shape ${describeShape(shape)}, got ${describeShape(t.dims)}`);
    if (t.dims.length !== shape.length) throw bad();
    shape.forEach((d, i) => {
      const got = t.dims[i];
      if (typeof d === 'number') {
        if (d !== got) throw bad();
        return;
      }
      const prev = symbols.get(d);
      if (prev === undefined) symbols.set(d, { value: got, by: v.name });
      else if (prev.value !== got) {
        throw new FeedError(`graph '${g.name}': input '${v.name}' binds dimension '${d}' to ${got}, but input '${prev.by}' bound it to ${prev.value}`);
      }
    });
    bound.set(v.name, t.dims);
  }
  return bound;
}
