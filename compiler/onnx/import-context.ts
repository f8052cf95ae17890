// The per-node context adapters import through: resolved input values, the node's attributes, constant
// lookup (initializers, Constant outputs, folded ConstantOfShape), and node emission into the shared
// GraphBuilder with ONNX value names kept and fresh names that collide with none of them.

import { ErrorSite, OnnxImportError, UnsupportedOpError } from '../../core/errors.js';
import type { HostTensor } from '../../core/tensor.js';
import type { OpAttrs, OpName } from '../../ops/op-attrs.js';
import type { AttrKind } from '../../ops/op-def.js';
import { opDef } from '../../ops/table.js';
import { GraphBuilder } from '../ir/builder.js';
import type { Value } from '../ir/types.js';
import type { BatchNormConvention, ImportContext } from './adapters/types.js';
import { NodeAttrReader } from './attr-reader.js';
import { propagateKnown } from '../ir/propagate-known.js';

/** Attributes that carry no meaning for kiln in any op (ONNX's "legacy optimization attribute"). */
const IGNORED_ATTRS = new Set(['consumed_inputs']);

/** State shared by every node of one import. */
export class ImportState {
  readonly builder: GraphBuilder;
  /** ONNX value name → IR value. */
  readonly env = new Map<string, Value>();
  /** Value id → data known at import time. */
  readonly known = new Map<number, HostTensor>();
  private readonly usedValueNames = new Set<string>();
  private readonly usedNodeNames = new Set<string>();

  constructor(
    graphName: string,
    /** Every value name the ONNX graph uses (never handed out as a fresh name). */
    private readonly reservedValues: ReadonlySet<string>,
    /** Every node name the ONNX graph uses. */
    private readonly reservedNodes: ReadonlySet<string>,
    readonly batchNormConvention: BatchNormConvention = 'onnx',
  ) {
    this.builder = new GraphBuilder(graphName, this.known);
  }

  claimValueName(name: string): string {
    this.usedValueNames.add(name);
    return name;
  }

  freshValueName(base: string): string {
    let n = base;
    for (let k = 1; this.reservedValues.has(n) || this.usedValueNames.has(n); k++) n = `${base}_${k}`;
    return this.claimValueName(n);
  }

  freshNodeName(base: string): string {
    let n = base;
    for (let k = 1; this.reservedNodes.has(n) || this.usedNodeNames.has(n); k++) n = `${base}_${k}`;
    this.usedNodeNames.add(n);
    return n;
  }

  /** A node name free now, not yet claimed (the first emit under it claims it). */
  unusedNodeName(base: string): string {
    let n = base;
    for (let k = 1; this.reservedNodes.has(n) || this.usedNodeNames.has(n); k++) n = `${base}_${k}`;
    return n;
  }

  claimNodeName(name: string): string {
    this.usedNodeNames.add(name);
    return name;
  }

  isNodeNameFree(name: string): boolean {
    return !this.usedNodeNames.has(name);
  }
}

export interface NodeSpec {
  readonly opType: string;
  readonly domain: string;
  readonly name: string;
  readonly opset: number;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly attrs: NodeAttrReader;
}

export class NodeImportContext implements ImportContext {
  readonly batchNormConvention: BatchNormConvention;
  readonly opType: string;
  readonly domain: string;
  readonly name: string;
  readonly opset: number;
  readonly site: ErrorSite;
  readonly inputs: readonly (Value | undefined)[];
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly attrs: NodeAttrReader;

  constructor(
    private readonly state: ImportState,
    spec: NodeSpec,
  ) {
    this.batchNormConvention = state.batchNormConvention;
    this.opType = spec.opType;
    this.domain = spec.domain;
    this.name = spec.name;
    this.opset = spec.opset;
    this.site = { op: spec.opType, node: spec.name };
    this.inputNames = spec.inputNames;
    this.outputNames = spec.outputNames;
    this.attrs = spec.attrs;
    this.inputs = spec.inputNames.map((n) => (n === '' ? undefined : state.env.get(n)));
  }

  constant(i: number): HostTensor | undefined {
    const v = this.inputs[i];
    return v === undefined ? undefined : this.state.known.get(v.id);
  }

  requireConstant(i: number, what: string): HostTensor {
    const t = this.constant(i);
    if (t !== undefined) return t;
    if (this.inputs[i] === undefined) throw new OnnxImportError(`${this.opType} node '${this.name}': input '${what}' (${i}) is missing`);
    throw new UnsupportedOpError(
      this.opType,
      this.domain,
      this.opset,
      this.name,
      `input '${what}' ('${this.inputNames[i]}') is computed at run time (a dynamic value); kiln needs it to be a constant ` +
        `(an initializer, or the output of Constant or of ConstantOfShape with a constant shape) because its IR holds '${what}' as an attribute`,
    );
  }

  freshName(suffix: string): string {
    return this.state.freshValueName(`${this.name}_${suffix}`);
  }

  emit<K extends OpName>(op: K, inputs: readonly (Value | undefined)[], attrs: Partial<OpAttrs[K]>, outputNames: readonly string[]): (Value | undefined)[] {
    const names = [...outputNames];
    while (names.length > 1 && names[names.length - 1] === '') names.pop();
    const resolved = names.map((n, i) => (n === '' ? this.state.freshValueName(`${this.name}_unused${i}`) : this.state.claimValueName(n)));
    // The first node emitted under the ONNX node's name keeps it; further ones get derived names.
    const nodeName = this.state.isNodeNameFree(this.name) ? this.state.claimNodeName(this.name) : this.state.freshNodeName(`${this.name}/${op}`);
    const outs = this.state.builder.node(op, inputs, attrs, { name: nodeName, outputs: resolved });
    propagateKnown(op, nodeName, inputs, attrs, outs, this.state.known);
    return outputNames.map((_, i) => (i < outs.length ? outs[i] : undefined));
  }

  helper<K extends OpName>(op: K, inputs: readonly (Value | undefined)[], attrs: Partial<OpAttrs[K]> = {}, count = 1): Value[] {
    const names = Array.from({ length: count }, (_, i) => this.state.freshValueName(`${this.name}_${op.toLowerCase()}${count > 1 ? i : ''}`));
    const nodeName = this.state.freshNodeName(`${this.name}/${op}`);
    const outs = this.state.builder.node(op, inputs, attrs, { name: nodeName, outputs: names });
    propagateKnown(op, nodeName, inputs, attrs, outs, this.state.known);
    return outs;
  }

  namedConstant(name: string, t: HostTensor): Value {
    const v = this.state.builder.initializer(this.state.claimValueName(name), t);
    this.state.known.set(v.id, t);
    return v;
  }

  remember(v: Value, t: HostTensor): void {
    this.state.known.set(v.id, t);
  }

  constantValue(suffix: string, t: HostTensor): Value {
    const v = this.state.builder.initializer(this.freshName(suffix), t);
    this.state.known.set(v.id, t);
    return v;
  }

  mapAttrs<K extends OpName>(op: K): Partial<OpAttrs[K]> {
    const specs = opDef(op).attrs as Readonly<Record<string, { readonly kind: AttrKind }>>;
    const out: Record<string, unknown> = {};
    for (const name of this.attrs.remaining()) {
      const spec = specs[name];
      if (spec !== undefined) out[name] = this.attrs.take(name, spec.kind);
      else if (IGNORED_ATTRS.has(name)) this.attrs.ignore(name);
      else throw unknownAttribute(this, name, Object.keys(specs));
    }
    return out as Partial<OpAttrs[K]>;
  }
}

export function unknownAttribute(ctx: { opType: string; name: string; opset: number }, attr: string, known: readonly string[]): OnnxImportError {
  const list = known.length === 0 ? 'none' : known.join(', ');
  return new OnnxImportError(`${ctx.opType} node '${ctx.name}': unknown attribute '${attr}' at opset ${ctx.opset} (kiln reads: ${list})`);
}
