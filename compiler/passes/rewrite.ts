// The shared surgery of the graph passes: replay a graph through a fresh GraphBuilder (so shape
// inference re-validates every node), letting a per-node callback replace a node's outputs by new
// values. Use counts are derived from the graph on demand, never stored (DESIGN.md §3).

import { GraphError } from '../../core/errors.js';
import type { HostTensor } from '../../core/tensor.js';
import type { OpAttrs, OpName } from '../../ops/op-attrs.js';
import { GraphBuilder } from '../ir/builder.js';
import type { AnyNode, Graph, Node, TensorType, Value } from '../ir/types.js';

/** A rewrite a pass considered and did not make, with the guard that stopped it. */
export interface SkippedRewrite {
  readonly pass: string;
  /** The node the rewrite was anchored on. */
  readonly node: string;
  readonly reason: string;
}

/** Options every rewriting pass takes. */
export interface PassOptions {
  /** Called once per candidate a guard rejects (for tests, `kiln inspect` and debugging). */
  readonly onSkip?: (skip: SkippedRewrite) => void;
}

/** One use of a value by a node: the node and the input position. */
export interface Use {
  readonly node: AnyNode;
  readonly index: number;
}

/** Node uses of every value, by value id (a node using a value twice appears twice). */
export function usersOf(g: Graph): Map<number, Use[]> {
  const out = new Map<number, Use[]>();
  for (const node of g.nodes) {
    node.inputs.forEach((v, index) => {
      if (v === undefined) return;
      const list = out.get(v.id);
      if (list === undefined) out.set(v.id, [{ node, index }]);
      else list.push({ node, index });
    });
  }
  return out;
}

/** Uses of every value by nodes and by the graph outputs, by value id (absent = unused). */
export function countUses(g: Graph): Map<number, number> {
  const out = new Map<number, number>();
  const add = (id: number): void => {
    out.set(id, (out.get(id) ?? 0) + 1);
  };
  for (const n of g.nodes) for (const v of n.inputs) if (v !== undefined) add(v.id);
  for (const v of g.outputs) add(v.id);
  return out;
}

/** The node producing each value, by value id (graph inputs and initializers have none). */
export function producersOf(g: Graph): Map<number, AnyNode> {
  const out = new Map<number, AnyNode>();
  for (const n of g.nodes) for (const v of n.outputs) out.set(v.id, n);
  return out;
}

export interface EmitOptions {
  /** Node name; give an original node's name only when that node is not copied. */
  readonly name: string;
  /** Output value names (their count is the node's output count). */
  readonly outputs: readonly string[];
}

/** What a rewrite callback sees: the original graph (read-only) and the graph being built. */
export interface RewriteContext {
  /** The graph being replayed. */
  readonly source: Graph;
  /** The new value standing for an original value (inputs, initializers, already visited nodes). */
  value(v: Value): Value;
  /** `value` over a node's inputs, keeping omitted optional inputs undefined. */
  inputs(n: AnyNode): (Value | undefined)[];
  /** The new value of a node's input i, which must be present (a required input). */
  input(n: AnyNode, i: number): Value;
  /** The data of an original value when its new value is an initializer, else undefined. */
  constant(v: Value | undefined): HostTensor | undefined;
  /** Uses of an original value by nodes and graph outputs in the source graph. */
  uses(v: Value): number;
  /** Node uses of an original value in the source graph. */
  users(v: Value): readonly Use[];
  /** The source node producing an original value, if any. */
  producer(v: Value): AnyNode | undefined;
  /** A name used by no value or node of the source graph and not handed out before. */
  freshName(base: string): string;
  /** Add an initializer to the new graph (the name is taken as given). */
  initializer(name: string, t: HostTensor): Value;
  /** Add a node to the new graph; its output types come from the op's shape inference. */
  node<K extends OpName>(op: K, inputs: readonly (Value | undefined)[], attrs: Partial<OpAttrs[K]>, options: EmitOptions): Value[];
  /** Copy an original node (same op, attributes and names) onto the mapped inputs. */
  copy(n: AnyNode): Value[];
}

/** Returns the new values replacing `n`'s outputs, or undefined to copy `n` unchanged. */
export type NodeRewrite = (n: AnyNode, ctx: RewriteContext) => readonly Value[] | undefined;

export interface RewriteOptions {
  /** The type of each graph input in the new graph (default: unchanged). */
  readonly inputType?: (v: Value) => TensorType;
}

/**
 * Replay `g` node by node in its topological order. Graph inputs, initializers and copied nodes keep
 * their value and node names; graph outputs keep their names (an Identity is added where a rewrite
 * maps a graph output onto a value with another name). Nodes a rewrite leaves without users stay in
 * the result: eliminateDeadCode removes them.
 */
export function rewriteGraph(g: Graph, rewrite?: NodeRewrite, options: RewriteOptions = {}): Graph {
  const b = new GraphBuilder(g.name);
  const map = new Map<number, Value>();
  const constants = new Map<number, HostTensor>();
  const taken = new Set<string>();
  for (const n of g.nodes) {
    taken.add(n.name);
    for (const v of n.outputs) taken.add(v.name);
  }
  for (const v of g.inputs) taken.add(v.name);
  const producers = producersOf(g);
  const users = usersOf(g);
  const uses = countUses(g);

  for (const v of g.inputs) {
    const type = options.inputType?.(v) ?? v.type;
    map.set(v.id, b.input(v.name, type.dtype, type.shape));
  }
  // Initializer values are not listed anywhere else: recover their names from their uses.
  const initNames = initializerNames(g);
  for (const [id, t] of g.initializers) {
    const name = initNames.get(id) ?? `initializer_${id}`;
    taken.add(name);
    const nv = b.initializer(name, t);
    constants.set(nv.id, t);
    map.set(id, nv);
  }

  const value = (v: Value): Value => {
    const nv = map.get(v.id);
    if (nv === undefined) throw new GraphError(`rewrite of graph '${g.name}': value %${v.id} '${v.name}' is used before it is defined`);
    return nv;
  };
  const freshName = (base: string): string => {
    let name = base;
    for (let k = 1; taken.has(name); k++) name = `${base}_${k}`;
    taken.add(name);
    return name;
  };
  const emit = <K extends OpName>(op: K, inputs: readonly (Value | undefined)[], attrs: Partial<OpAttrs[K]>, o: EmitOptions): Value[] =>
    b.node(op, inputs, attrs, { name: o.name, outputs: o.outputs });
  const copy = <K extends OpName>(n: Node<K>): Value[] =>
    emit(n.op, n.inputs.map((v) => (v === undefined ? undefined : value(v))), n.attrs, { name: n.name, outputs: n.outputs.map((v) => v.name) });

  const ctx: RewriteContext = {
    source: g,
    value,
    inputs: (n) => n.inputs.map((v) => (v === undefined ? undefined : value(v))),
    input: (n, i) => {
      const v = n.inputs[i];
      if (v === undefined) throw new GraphError(`${n.op} '${n.name}': input ${i} is missing`);
      return value(v);
    },
    constant: (v) => {
      if (v === undefined) return undefined;
      const nv = map.get(v.id);
      return nv === undefined ? undefined : constants.get(nv.id);
    },
    uses: (v) => uses.get(v.id) ?? 0,
    users: (v) => users.get(v.id) ?? [],
    producer: (v) => producers.get(v.id),
    freshName,
    initializer: (name, t) => {
      taken.add(name);
      const nv = b.initializer(name, t);
      constants.set(nv.id, t);
      return nv;
    },
    node: emit,
    copy: (n) => copy(n),
  };

  for (const n of g.nodes) {
    const replaced = rewrite?.(n, ctx);
    const outs = replaced ?? copy(n);
    if (outs.length !== n.outputs.length) {
      throw new GraphError(`rewrite of ${n.op} '${n.name}': ${n.outputs.length} outputs replaced by ${outs.length} values`);
    }
    n.outputs.forEach((v, i) => map.set(v.id, outs[i]));
  }

  const renamed = new Map<number, Value>();
  const outputs = g.outputs.map((v) => {
    const nv = value(v);
    if (nv.name === v.name) return nv;
    const done = renamed.get(v.id);
    if (done !== undefined) return done;
    const [named] = b.node('Identity', [nv], {}, { name: freshName(`${v.name}_identity`), outputs: [v.name] });
    if (named.name !== v.name) throw new GraphError(`rewrite of graph '${g.name}': output name '${v.name}' is taken by another value`);
    renamed.set(v.id, named);
    return named;
  });
  return b.build(outputs, g.metadata);
}

/**
 * Initializer names, found where the values are referenced (node inputs, graph outputs). The IR keeps
 * initializers as id → tensor, so an unreferenced initializer has no recoverable name.
 */
function initializerNames(g: Graph): Map<number, string> {
  const out = new Map<number, string>();
  for (const n of g.nodes) for (const v of n.inputs) if (v !== undefined && g.initializers.has(v.id)) out.set(v.id, v.name);
  for (const v of g.outputs) if (g.initializers.has(v.id)) out.set(v.id, v.name);
  return out;
}
