// kiln IR Graph -> ONNX ModelProto bytes at a target opset (default 15). Each node is written by its
// op's adapter in the target's form; inputs and outputs get value_info with symbolic dims as dim_param;
// initializers are written as raw_data TensorProtos; graph metadata becomes metadata_props.

import type { BatchNormConvention } from './adapters/types.js';
import { OnnxExportError } from '../../core/errors.js';
import type { HostTensor } from '../../core/tensor.js';
import type { OpName } from '../../ops/op-attrs.js';
import { opDef } from '../../ops/table.js';
import type { AttrKind } from '../../ops/op-def.js';
import { valuesById } from '../ir/values.js';
import type { Graph, Node } from '../ir/types.js';
import { adapterFor } from './adapters/table.js';
import type { ExportContext } from './adapters/types.js';
import { writeAttr, AttrValue } from './attributes.js';
import { encodeModel, OnnxTypes } from './proto.js';
import { tensorToProto } from './tensor-proto.js';
import { valueInfo } from './value-info.js';
import { KILN_DOMAIN, KILN_DOMAIN_VERSION } from './domains.js';

export const MIN_EXPORT_OPSET = 7;
export const MAX_EXPORT_OPSET = 21;

export interface ExportOptions {
  /** Default-domain opset to write (7..21; default 15). */
  readonly opset?: number;
  readonly producer?: string;
  /** Added to (and overriding) the graph's own metadata in metadata_props. */
  readonly metadata?: ReadonlyMap<string, string>;
  /** Keep kiln's own ops (ai.kiln::Moments) as such instead of their standard-op definitions (only kiln reads those back). */
  readonly kilnOps?: boolean;
  /** Write BatchNormalization with PyTorch's statistic conventions (see BatchNormConvention). */
  readonly batchNormConvention?: BatchNormConvention;
}

/** The ONNX IR version that goes with each opset (onnx/helper.py VERSION_TABLE). */
export function irVersionForOpset(opset: number): number {
  if (opset <= 8) return 3;
  if (opset === 9) return 4;
  if (opset === 10) return 5;
  if (opset === 11) return 6;
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  return 10;
}

class NameTable {
  private readonly used = new Set<string>();
  constructor(names: Iterable<string>) {
    for (const n of names) this.used.add(n);
  }
  fresh(base: string): string {
    let n = base;
    for (let k = 1; this.used.has(n); k++) n = `${base}_${k}`;
    this.used.add(n);
    return n;
  }
}

export function exportModel(graph: Graph, options: ExportOptions = {}): Uint8Array {
  return encodeModel(exportModelProto(graph, options));
}

export function exportModelProto(graph: Graph, options: ExportOptions = {}): OnnxTypes.IModelProto {
  const opset = options.opset ?? 15;
  if (!Number.isInteger(opset) || opset < MIN_EXPORT_OPSET || opset > MAX_EXPORT_OPSET) {
    throw new OnnxExportError(`graph '${graph.name}': cannot export at opset ${opset}; kiln writes opsets ${MIN_EXPORT_OPSET}..${MAX_EXPORT_OPSET}`);
  }
  const irVersion = irVersionForOpset(opset);
  const values = valuesById(graph);
  const valueNames = new NameTable([...values.values()].map((v) => v.name));
  const nodeNames = new NameTable(graph.nodes.map((n) => n.name));
  const nodes: OnnxTypes.INodeProto[] = [];
  const initializers: { readonly name: string; readonly tensor: HostTensor }[] = [];
  const domains = new Set<string>();

  for (const [id, t] of graph.initializers) {
    const v = values.get(id);
    if (v !== undefined) initializers.push({ name: v.name, tensor: t }); // unreferenced initializers have nothing to feed
  }
  const kilnOps = options.kilnOps ?? false;
  for (const n of graph.nodes) exportNode(n);

  function exportNode<K extends OpName>(node: Node<K>): void {
    const site = { op: node.op, node: node.name };
    const ctx: ExportContext<K> = {
      node,
      opset,
      kilnOps,
      batchNormConvention: options.batchNormConvention ?? 'onnx',
      site,
      input: (i) => node.inputs[i]?.name ?? '',
      output: (i) => node.outputs[i].name,
      inputType: (i) => node.inputs[i]?.type,
      constant: (i): HostTensor | undefined => {
        const v = node.inputs[i];
        return v === undefined ? undefined : graph.initializers.get(v.id);
      },
      fresh: (suffix) => valueNames.fresh(suffix),
      addNode: (opType, inputs, outputs, attributes = [], opts = {}) => {
        const domain = opts.domain ?? '';
        if (domain !== '') domains.add(domain);
        nodes.push({
          opType,
          domain,
          name: opts.name ?? nodeNames.fresh(`${node.name}/${opType}`),
          input: [...inputs],
          output: [...outputs],
          attribute: [...attributes],
        });
      },
      addInitializer: (suffix, t) => {
        const name = valueNames.fresh(suffix);
        initializers.push({ name, tensor: t });
        return name;
      },
      attributes: (omit = []) => {
        const specs = opDef(node.op).attrs as Readonly<Record<string, { readonly kind: AttrKind }>>;
        const attrs = node.attrs as Readonly<Record<string, AttrValue | undefined>>;
        const out: OnnxTypes.IAttributeProto[] = [];
        for (const [name, spec] of Object.entries(specs)) {
          const v = attrs[name];
          if (v !== undefined && !omit.includes(name)) out.push(writeAttr(name, spec.kind, v));
        }
        return out;
      },
    };
    adapterFor(node.op).exportNode(ctx);
  }

  const inputs = graph.inputs.map((v) => valueInfo(v.name, v.type));
  if (irVersion < 4) {
    // IR version 3 requires every initializer to be listed as a graph input too.
    const listed = new Set(graph.inputs.map((v) => v.name));
    for (const { name, tensor } of initializers) {
      if (!listed.has(name)) inputs.push(valueInfo(name, { dtype: tensor.dtype, shape: tensor.dims }));
    }
  }
  const metadata = new Map(graph.metadata);
  for (const [k, v] of options.metadata ?? []) metadata.set(k, v);
  const opsetImport: OnnxTypes.IOperatorSetIdProto[] = [{ domain: '', version: opset }];
  if (domains.has(KILN_DOMAIN)) opsetImport.push({ domain: KILN_DOMAIN, version: KILN_DOMAIN_VERSION });
  return {
    irVersion,
    opsetImport,
    producerName: options.producer ?? 'kiln',
    graph: {
      name: graph.name,
      node: nodes,
      initializer: initializers.map(({ name, tensor }) => tensorToProto(tensor, name)),
      input: inputs,
      output: graph.outputs.map((v) => valueInfo(v.name, v.type)),
    },
    metadataProps: [...metadata].map(([key, value]) => ({ key, value })),
  };
}
