// GraphBuilder: the one way to make IR graphs. Each node's outputs come from its op's shape
// inference, so a built graph is typed and validated as it grows.

import { ErrorSite, GraphError } from '../../core/errors.js';
import type { DType } from '../../core/dtype.js';
import type { Shape } from '../../core/shape.js';
import type { HostTensor } from '../../core/tensor.js';
import type { OpAttrs, OpName } from '../../ops/op-attrs.js';
import { opDef } from '../../ops/table.js';
import { completeAttrs } from './attrs.js';
import type { AnyNode, Graph, Node, TensorType, Value } from './types.js';

export interface NodeOptions {
  /** Node name; defaults to `<op>_<n>`. */
  readonly name?: string;
  /** Number of outputs, or their names; defaults to the op's required outputs. */
  readonly outputs?: number | readonly string[];
}

export class GraphBuilder {
  private nextValueId = 0;
  private nextNodeId = 0;
  private readonly inputs: Value[] = [];
  private readonly initializers = new Map<number, HostTensor>();
  private readonly nodes: AnyNode[] = [];
  private readonly valueNames = new Set<string>();
  private readonly nodeNames = new Set<string>();

  /**
   * `known` optionally supplies values known while building that are not initializers (an ONNX
   * importer's Constant outputs and propagated shape arithmetic), so shape inference can use them.
   */
  constructor(
    readonly graphName = 'main',
    private readonly known: ReadonlyMap<number, HostTensor> = new Map(),
  ) {}

  input(name: string, dtype: DType, shape: Shape): Value {
    const v = this.value(name, { dtype, shape: [...shape] });
    this.inputs.push(v);
    return v;
  }

  initializer(name: string, tensor: HostTensor): Value {
    const v = this.value(name, { dtype: tensor.dtype, shape: [...tensor.dims] });
    this.initializers.set(v.id, tensor);
    return v;
  }

  /** Add a node; returns its outputs. Throws the op's typed errors when inputs or attributes are bad. */
  node<K extends OpName>(op: K, inputs: readonly (Value | undefined)[], attrs: Partial<OpAttrs[K]> = {}, options: NodeOptions = {}): Value[] {
    const def = opDef(op);
    // The name is reserved only once inference has accepted the node.
    const name = freeName(this.nodeNames, options.name ?? `${op}_${this.nextNodeId}`);
    const site: ErrorSite = { op, node: name };
    const full = completeAttrs(op, attrs, site);
    const wanted = options.outputs ?? def.outputs.filter((p) => !p.optional).length;
    const outNames = typeof wanted === 'number' ? Array.from({ length: wanted }, (_, i) => (wanted === 1 ? name : `${name}:${i}`)) : wanted;
    const types = def.inferShape({
      site,
      attrs: full,
      inputs: inputs.map((v) => v?.type),
      outputCount: outNames.length,
      constant: (i) => {
        const v = inputs[i];
        return v === undefined ? undefined : (this.initializers.get(v.id) ?? this.known.get(v.id));
      },
    });
    this.nodeNames.add(name);
    const outputs = types.map((t, i) => this.value(outNames[i], t));
    const node = { id: this.nextNodeId++, name, op, attrs: full, inputs: [...inputs], outputs } as Node<K>;
    // A Node<K> is the AnyNode member for K; TypeScript cannot follow that through the generic K.
    this.nodes.push(node as Node as AnyNode);
    return outputs;
  }

  /** Single-output convenience. */
  op<K extends OpName>(op: K, inputs: readonly (Value | undefined)[], attrs: Partial<OpAttrs[K]> = {}, name?: string): Value {
    return this.node(op, inputs, attrs, name === undefined ? {} : { name })[0];
  }

  build(outputs: readonly Value[], metadata: ReadonlyMap<string, string> = new Map()): Graph {
    if (outputs.length === 0) throw new GraphError(`graph '${this.graphName}': needs at least one output`);
    return {
      name: this.graphName,
      inputs: [...this.inputs],
      initializers: new Map(this.initializers),
      nodes: [...this.nodes],
      outputs: [...outputs],
      metadata: new Map(metadata),
    };
  }

  private value(name: string, type: TensorType): Value {
    return { id: this.nextValueId++, name: uniqueName(this.valueNames, name), type };
  }
}

function freeName(taken: ReadonlySet<string>, base: string): string {
  let n = base;
  for (let k = 1; taken.has(n); k++) n = `${base}_${k}`;
  return n;
}

function uniqueName(taken: Set<string>, base: string): string {
  const n = freeName(taken, base);
  taken.add(n);
  return n;
}
