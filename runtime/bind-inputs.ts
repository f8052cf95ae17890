// Check a session's feeds against the graph's declared inputs and bind symbolic dims consistently.
// Every failure is a FeedError naming the graph, the input, what was expected and what came.

import type { DType } from '../core/dtype.js';
import { describeShape, FeedError } from '../core/errors.js';
import type { Graph } from '../compiler/ir/types.js';

/** What binding looks at in a feed: a HostTensor, or dims alone (IoBinding). */
export interface FeedType {
  readonly dtype: DType;
  readonly dims: readonly number[];
}

export function bindInputs(g: Graph, feeds: Readonly<Record<string, FeedType>>): Map<string, readonly number[]> {
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

/**
 * Feed types for GraphSession.bind: the graph's dtype with the dims given by name; an input left out
 * takes its declared shape when that is fully static (a symbolic one is reported missing by bindInputs).
 */
export function dimsOfFeeds(g: Graph, dims: Readonly<Record<string, readonly number[]>>): Record<string, FeedType> {
  const out: Record<string, FeedType> = {};
  for (const [name, d] of Object.entries(dims)) {
    const v = g.inputs.find((i) => i.name === name);
    // Unknown names keep a placeholder dtype; bindInputs rejects them by name.
    out[name] = { dtype: v?.type.dtype ?? 'float32', dims: d };
  }
  for (const v of g.inputs) {
    const shape = v.type.shape;
    if (out[v.name] === undefined && shape.every((d): d is number => typeof d === 'number')) out[v.name] = { dtype: v.type.dtype, dims: shape };
  }
  return out;
}
