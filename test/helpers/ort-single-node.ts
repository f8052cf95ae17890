// Single-node onnxruntime-node oracle (DESIGN.md §8): builds a one-node ModelProto directly with
// onnx-proto (no kiln exporter involved, so a parity failure points at the op, not the codec) and runs it.

import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { DType, ONNX_DTYPE_CODE } from '../../core/dtype.js';
import { fromOrtTensor, HostTensor } from '../../core/tensor.js';
import type { AttrKind } from '../../ops/op-def.js';
import type { OpAttrs, OpName } from '../../ops/op-attrs.js';
import { opDef } from '../../ops/table.js';

const { onnx } = onnxProto;

/** One ONNX attribute value, tagged with its AttributeProto type (ints and floats look alike in JS). */
export type OrtAttr =
  | { readonly int: number }
  | { readonly float: number }
  | { readonly ints: readonly number[] }
  | { readonly floats: readonly number[] }
  | { readonly string: string }
  | { readonly tensor: HostTensor };

/** Small constructors: `A.ints([1, 2])`, `A.float(1e-4)`. */
export const A = {
  int: (v: number): OrtAttr => ({ int: v }),
  float: (v: number): OrtAttr => ({ float: v }),
  ints: (v: readonly number[]): OrtAttr => ({ ints: v }),
  floats: (v: readonly number[]): OrtAttr => ({ floats: v }),
  string: (v: string): OrtAttr => ({ string: v }),
  tensor: (v: HostTensor): OrtAttr => ({ tensor: v }),
};

export interface OrtNodeSpec {
  readonly op: string;
  /** ai.onnx opset; default 13. */
  readonly opset?: number;
  /** Node inputs in order; undefined is an omitted optional input (empty name). */
  readonly inputs: readonly (HostTensor | undefined)[];
  /** Feed these input indices as initializers instead of graph inputs (for inputs ORT wants constant). */
  readonly constantInputs?: readonly number[];
  readonly attrs?: Readonly<Record<string, OrtAttr>>;
  /** Element type of each output (default: one output of input 0's dtype). */
  readonly outputs?: readonly DType[];
}

function attributeProto(name: string, a: OrtAttr): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if ('int' in a) return { name, type: T.INT, i: a.int };
  if ('float' in a) return { name, type: T.FLOAT, f: a.float };
  if ('ints' in a) return { name, type: T.INTS, ints: [...a.ints] };
  if ('floats' in a) return { name, type: T.FLOATS, floats: [...a.floats] };
  if ('tensor' in a) return { name, type: T.TENSOR, t: tensorProto('', a.tensor) };
  return { name, type: T.STRING, s: new TextEncoder().encode(a.string) };
}

/** Raw little-endian bytes of a tensor's storage (ONNX raw_data). */
function rawBytes(t: HostTensor): Uint8Array {
  const d = t.data;
  return new Uint8Array(d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength));
}

function tensorProto(name: string, t: HostTensor): onnxProto.onnx.ITensorProto {
  return { name, dims: [...t.dims], dataType: ONNX_DTYPE_CODE[t.dtype], rawData: rawBytes(t) };
}

function valueInfo(name: string, dtype: DType, dims?: readonly number[]): onnxProto.onnx.IValueInfoProto {
  const tensorType: onnxProto.onnx.TypeProto.ITensor = { elemType: ONNX_DTYPE_CODE[dtype] };
  if (dims !== undefined) tensorType.shape = { dim: dims.map((d) => ({ dimValue: d })) };
  return { name, type: { tensorType } };
}

/** The encoded ModelProto of one node with inputs `x0, x1, …` and outputs `y0, y1, …`. */
export function singleNodeModel(spec: OrtNodeSpec): Uint8Array {
  const constants = new Set(spec.constantInputs ?? []);
  const inputNames = spec.inputs.map((t, i) => (t === undefined ? '' : `x${i}`));
  const outTypes = spec.outputs ?? [spec.inputs[0]?.dtype ?? 'float32'];
  const graphInputs: onnxProto.onnx.IValueInfoProto[] = [];
  const initializers: onnxProto.onnx.ITensorProto[] = [];
  spec.inputs.forEach((t, i) => {
    if (t === undefined) return;
    if (constants.has(i)) initializers.push(tensorProto(inputNames[i], t));
    else graphInputs.push(valueInfo(inputNames[i], t.dtype, t.dims));
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'kiln-test',
    opsetImport: [{ domain: '', version: spec.opset ?? 13 }],
    graph: {
      name: `single_${spec.op}`,
      node: [
        {
          opType: spec.op,
          name: `${spec.op.toLowerCase()}_node`,
          input: inputNames,
          output: outTypes.map((_, i) => `y${i}`),
          attribute: Object.entries(spec.attrs ?? {}).map(([k, v]) => attributeProto(k, v)),
        },
      ],
      initializer: initializers,
      input: graphInputs,
      output: outTypes.map((d, i) => valueInfo(`y${i}`, d)),
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

function ortTensor(t: HostTensor): ort.Tensor {
  switch (t.dtype) {
    case 'float32': return new ort.Tensor('float32', t.data as Float32Array, [...t.dims]);
    case 'float64': return new ort.Tensor('float64', t.data as Float64Array, [...t.dims]);
    case 'float16': return new ort.Tensor('float16', t.data as Uint16Array, [...t.dims]);
    case 'int64': return new ort.Tensor('int64', t.data as BigInt64Array, [...t.dims]);
    case 'int32': return new ort.Tensor('int32', t.data as Int32Array, [...t.dims]);
    case 'int8': return new ort.Tensor('int8', t.data as Int8Array, [...t.dims]);
    case 'uint8': return new ort.Tensor('uint8', t.data as Uint8Array, [...t.dims]);
    case 'bool': return new ort.Tensor('bool', t.data as Uint8Array, [...t.dims]);
    case 'bfloat16': throw new Error('onnxruntime-node has no bfloat16 tensors');
  }
}

/** Run the single-node model on onnxruntime-node; returns the outputs in order. */
export async function runOrtSingleNode(spec: OrtNodeSpec): Promise<HostTensor[]> {
  const session = await ort.InferenceSession.create(singleNodeModel(spec));
  const constants = new Set(spec.constantInputs ?? []);
  const feeds: Record<string, ort.Tensor> = {};
  spec.inputs.forEach((t, i) => {
    if (t !== undefined && !constants.has(i)) feeds[`x${i}`] = ortTensor(t);
  });
  const res = await session.run(feeds);
  const outCount = (spec.outputs ?? [undefined]).length;
  const outs = Array.from({ length: outCount }, (_, i) => fromOrtTensor(res[`y${i}`], `${spec.op} output ${i}`));
  await session.release();
  return outs;
}

/**
 * A kiln attribute set in ONNX form, typed by the op's attribute specs (int vs float is not visible in a
 * JS number). Only for ops whose canonical attributes are still attributes at the ONNX opset used.
 */
export function ortAttrsOf<K extends OpName>(op: K, attrs: Partial<OpAttrs[K]>): Record<string, OrtAttr> {
  const specs: Readonly<Record<string, { readonly kind: AttrKind }>> = opDef(op).attrs;
  const out: Record<string, OrtAttr> = {};
  for (const [name, v] of Object.entries(attrs)) {
    const kind = specs[name]?.kind;
    if (v === undefined) continue;
    if ((kind === 'int' || kind === 'float') && typeof v === 'number') out[name] = kind === 'int' ? A.int(v) : A.float(v);
    else if ((kind === 'ints' || kind === 'floats') && Array.isArray(v) && v.every((x): x is number => typeof x === 'number')) out[name] = kind === 'ints' ? A.ints(v) : A.floats(v);
    else if (kind === 'string' && typeof v === 'string') out[name] = A.string(v);
    else throw new Error(`${op}: attribute '${name}' (${kind ?? 'unknown'}) cannot be written for onnxruntime`);
  }
  return out;
}
