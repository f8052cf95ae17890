// ONNX ModelProto -> kiln IR Graph. Reads the opset imports, graph inputs (symbolic dims kept;
// initializers listed as inputs, as IR version 3 requires, stay initializers), initializers (external
// data relative to `baseDir`), and nodes — sorted topologically, checked for undefined inputs and cycles,
// and built one by one through their opset adapters and the GraphBuilder (which runs shape inference).

import type { BatchNormConvention } from './adapters/types.js';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { KilnError, OnnxImportError, UnsupportedOpError } from '../../core/errors.js';
import type { HostTensor } from '../../core/tensor.js';
import type { OpName } from '../../ops/op-attrs.js';
import { OPS } from '../../ops/table.js';
import type { Graph, Value } from '../ir/types.js';
import { ADAPTERS } from './adapters/table.js';
import { NodeAttrReader } from './attr-reader.js';
import { ImportState, NodeImportContext, unknownAttribute } from './import-context.js';
import { decodeModel, OnnxTypes, toSafeInt } from './proto.js';
import { tensorFromProto } from './tensor-proto.js';
import { topologicalOrder } from './topo-sort.js';
import { tensorTypeFromValueInfo } from './value-info.js';

/** The newest default-domain opset whose operator versions kiln's adapters know (onnx Changelog). */
export const MAX_IMPORT_OPSET = 28;

export interface ImportOptions {
  /** Folder that external data locations are relative to (the model file's folder). Without it external data is refused. */
  readonly baseDir?: string;
  /** Graph name; defaults to the ONNX graph's name. */
  readonly name?: string;
  /** Read BatchNormalization with PyTorch's statistic conventions (see BatchNormConvention). */
  readonly batchNormConvention?: BatchNormConvention;
}

export interface ImportedGraph {
  readonly graph: Graph;
  /** Default-domain (ai.onnx) opset version. */
  readonly opset: number;
  readonly irVersion: number;
  readonly producer: string;
  readonly metadata: Map<string, string>;
}

interface OnnxNode {
  readonly index: number;
  readonly opType: string;
  readonly domain: string;
  readonly name: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly proto: OnnxTypes.INodeProto;
}

function normalizeDomain(d: string | null | undefined): string {
  return d === undefined || d === null || d === 'ai.onnx' ? '' : d;
}

function readOpsets(model: OnnxTypes.IModelProto): Map<string, number> {
  const opsets = new Map<string, number>();
  for (const o of model.opsetImport ?? []) {
    const domain = normalizeDomain(o.domain);
    const v = toSafeInt(o.version, `opset_import for domain '${domain || 'ai.onnx'}'`);
    opsets.set(domain, Math.max(v, opsets.get(domain) ?? 0));
  }
  const def = opsets.get('');
  if (def === undefined) throw new OnnxImportError(`ONNX model: opset_import has no entry for the default domain (ai.onnx); found [${[...opsets.keys()].join(', ')}]`);
  if (def < 1 || def > MAX_IMPORT_OPSET) {
    throw new OnnxImportError(`ONNX model: default-domain opset ${def} is outside what kiln knows (1..${MAX_IMPORT_OPSET})`);
  }
  return opsets;
}

/** The IR op an ONNX (domain, op type) names, if kiln has it. */
function irOpFor(opType: string, domain: string): OpName | undefined {
  if (!Object.prototype.hasOwnProperty.call(OPS, opType)) return undefined;
  const op = opType as OpName;
  return OPS[op].domain === domain ? op : undefined;
}

export function importModel(bytesOrProto: Uint8Array | OnnxTypes.IModelProto, options: ImportOptions = {}): ImportedGraph {
  const model = bytesOrProto instanceof Uint8Array ? decodeModel(bytesOrProto) : bytesOrProto;
  const g = model.graph;
  if (g === null || g === undefined) throw new OnnxImportError('ONNX model: no graph');
  const opsets = readOpsets(model);
  const opset = opsets.get('')!;
  const irVersion = toSafeInt(model.irVersion, 'ONNX model ir_version');
  const metadata = new Map<string, string>();
  for (const p of model.metadataProps ?? []) metadata.set(p.key ?? '', p.value ?? '');
  const tensorOptions = options.baseDir === undefined ? {} : { baseDir: options.baseDir };

  if ((g.sparseInitializer ?? []).length > 0) throw new OnnxImportError('ONNX model: sparse initializers are not supported');

  // Initializers (IR >= 4 may also list them as inputs; those are not runtime inputs either).
  const initializers = new Map<string, HostTensor>();
  for (const t of g.initializer ?? []) {
    const name = t.name ?? '';
    if (name === '') throw new OnnxImportError('ONNX model: an initializer has no name');
    if (initializers.has(name)) throw new OnnxImportError(`ONNX model: initializer '${name}' is defined twice`);
    initializers.set(name, tensorFromProto(t, tensorOptions, 'initializer'));
  }

  const nodes: OnnxNode[] = (g.node ?? []).map((n, index) => ({
    index,
    opType: n.opType ?? '',
    domain: normalizeDomain(n.domain),
    name: n.name ?? '',
    inputs: n.input ?? [],
    outputs: n.output ?? [],
    proto: n,
  }));

  // Every name in the file is reserved, so names kiln makes up never shadow one.
  const reservedValues = new Set<string>([...initializers.keys()]);
  for (const vi of g.input ?? []) reservedValues.add(vi.name ?? '');
  for (const n of nodes) for (const o of n.outputs) if (o !== '') reservedValues.add(o);
  const reservedNodes = new Set(nodes.map((n) => n.name).filter((n) => n !== ''));
  const state = new ImportState(options.name ?? (g.name || 'main'), reservedValues, reservedNodes, options.batchNormConvention ?? 'onnx');
  const b = state.builder;

  // Graph inputs.
  const symbols = new Set<string>();
  for (const vi of g.input ?? []) for (const d of vi.type?.tensorType?.shape?.dim ?? []) if (d.dimParam) symbols.add(d.dimParam);
  const freshSymbol = (base: string): string => {
    let s = base;
    for (let k = 1; symbols.has(s); k++) s = `${base}_${k}`;
    symbols.add(s);
    return s;
  };
  const inputs = new Set<string>();
  for (const vi of g.input ?? []) {
    const name = vi.name ?? '';
    if (name === '') throw new OnnxImportError('ONNX model: a graph input has no name');
    if (initializers.has(name)) continue;
    if (inputs.has(name)) throw new OnnxImportError(`ONNX model: graph input '${name}' is listed twice`);
    inputs.add(name);
    const t = tensorTypeFromValueInfo(vi, 'graph input', freshSymbol);
    state.env.set(name, b.input(state.claimValueName(name), t.dtype, t.shape));
  }
  for (const [name, t] of initializers) {
    const v = b.initializer(state.claimValueName(name), t);
    state.env.set(name, v);
    state.known.set(v.id, t);
  }

  // Producers, undefined inputs, order.
  const producer = new Map<string, number>();
  for (const n of nodes) {
    for (const o of n.outputs) {
      if (o === '') continue;
      const label = `${n.opType} node '${n.name}'`;
      if (inputs.has(o) || initializers.has(o)) throw new OnnxImportError(`${label}: output '${o}' is also a graph input or initializer`);
      const prev = producer.get(o);
      if (prev !== undefined) throw new OnnxImportError(`${label}: output '${o}' is also produced by ${nodes[prev].opType} node '${nodes[prev].name}'`);
      producer.set(o, n.index);
    }
  }
  for (const n of nodes) {
    for (const i of n.inputs) {
      if (i !== '' && !inputs.has(i) && !initializers.has(i) && !producer.has(i)) {
        throw new OnnxImportError(`${n.opType} node '${n.name || `#${n.index}`}': input '${i}' is never defined (not a graph input, an initializer or any node's output)`);
      }
    }
  }
  const order = topologicalOrder(nodes, producer);

  for (const k of order) importNode(state, nodes[k], opsets, tensorOptions);

  // Graph outputs, by name; a value named differently (e.g. a folded alias) gets an Identity carrying the name.
  const outputs: Value[] = [];
  for (const vi of g.output ?? []) {
    const name = vi.name ?? '';
    const v = state.env.get(name);
    if (v === undefined) throw new OnnxImportError(`ONNX model: graph output '${name}' is never defined`);
    if (v.name === name) outputs.push(v);
    else outputs.push(b.node('Identity', [v], {}, { name: state.freshNodeName(`${name}/Identity`), outputs: [state.claimValueName(name)] })[0]);
  }
  if (outputs.length === 0) throw new OnnxImportError(`ONNX model: graph '${g.name ?? ''}' has no outputs`);
  const graph = b.build(outputs, metadata);
  return { graph, opset, irVersion, producer: model.producerName ?? '', metadata };
}

function importNode(state: ImportState, n: OnnxNode, opsets: ReadonlyMap<string, number>, tensorOptions: { baseDir?: string }): void {
  const name = n.name !== '' ? n.name : state.unusedNodeName(`${n.opType}_${n.index}`);
  const domainOpset = opsets.get(n.domain);
  const op = irOpFor(n.opType, n.domain);
  if (op === undefined || domainOpset === undefined) {
    const why = domainOpset === undefined && n.domain !== '' ? `domain '${n.domain}' is not in the model's opset_import` : undefined;
    throw new UnsupportedOpError(n.opType, n.domain, domainOpset, name, why);
  }
  const where = `${n.opType} node '${name}'`;
  const attrs = new NodeAttrReader(n.proto.attribute ?? [], where, tensorOptions);
  const ctx = new NodeImportContext(state, { opType: n.opType, domain: n.domain, name, opset: domainOpset, inputNames: n.inputs, outputNames: n.outputs, attrs });
  const adapter = ADAPTERS[op];
  if (domainOpset < adapter.since) {
    throw new UnsupportedOpError(n.opType, n.domain, domainOpset, name, `${n.opType} does not exist before opset ${adapter.since}`);
  }
  let values: readonly (Value | undefined)[];
  try {
    values = adapter.importNode(ctx);
  } catch (e) {
    if (e instanceof KilnError) throw e;
    throw new OnnxImportError(`${where}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const left = attrs.remaining();
  if (left.length > 0) throw unknownAttribute(ctx, left[0], Object.keys(OPS[op].attrs));
  n.outputs.forEach((o, i) => {
    if (o === '') return;
    const v = values[i];
    if (v === undefined) throw new OnnxImportError(`${where}: output ${i} '${o}' has no value (kiln's ${op} has fewer outputs)`);
    state.env.set(o, v);
  });
}

/** Read a model file; external data is resolved next to it. */
export function importModelFile(path: string, options: Omit<ImportOptions, 'baseDir'> = {}): ImportedGraph {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new OnnxImportError(`cannot read ONNX file '${path}': ${e instanceof Error ? e.message : String(e)}`);
  }
  return importModel(bytes, { ...options, baseDir: dirname(resolve(path)) });
}
