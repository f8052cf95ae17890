// Hand-built ONNX ModelProtos for tests, written with onnx-proto directly so that import tests do not
// depend on kiln's exporter.

import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';

export const { onnx } = onnxProto;
const A = onnx.AttributeProto.AttributeType;

export const TYPE = { float: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9, float16: 10, double: 11, bfloat16: 16 } as const;

export type Attr = OnnxTypes.IAttributeProto;

export const a = {
  int: (v: number): Attr => ({ type: A.INT, i: v }),
  float: (v: number): Attr => ({ type: A.FLOAT, f: v }),
  ints: (v: readonly number[]): Attr => ({ type: A.INTS, ints: [...v] }),
  floats: (v: readonly number[]): Attr => ({ type: A.FLOATS, floats: [...v] }),
  string: (v: string): Attr => ({ type: A.STRING, s: new TextEncoder().encode(v) }),
  tensor: (t: OnnxTypes.ITensorProto): Attr => ({ type: A.TENSOR, t }),
};

export function node(opType: string, inputs: readonly string[], outputs: readonly string[], attrs: Record<string, Attr> = {}, name = `${opType}_${outputs[0] ?? ''}`, domain = ''): OnnxTypes.INodeProto {
  return {
    opType,
    domain,
    name,
    input: [...inputs],
    output: [...outputs],
    attribute: Object.entries(attrs).map(([n, v]) => ({ ...v, name: n })),
  };
}

/** A float32 tensor in float_data. */
export function floatTensor(name: string, dims: readonly number[], values: ArrayLike<number>): OnnxTypes.ITensorProto {
  return { name, dataType: TYPE.float, dims: [...dims], floatData: Array.from(values) };
}

export function doubleTensor(name: string, dims: readonly number[], values: ArrayLike<number>): OnnxTypes.ITensorProto {
  return { name, dataType: TYPE.double, dims: [...dims], doubleData: Array.from(values) };
}

export function int64Tensor(name: string, values: readonly number[], dims: readonly number[] = [values.length]): OnnxTypes.ITensorProto {
  return { name, dataType: TYPE.int64, dims: [...dims], int64Data: [...values] };
}

export function valueInfo(name: string, elemType: number, dims: readonly (number | string)[] | undefined): OnnxTypes.IValueInfoProto {
  const shape = dims === undefined ? undefined : { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) };
  return { name, type: { tensorType: { elemType, ...(shape === undefined ? {} : { shape }) } } };
}

export interface ModelSpec {
  readonly opset: number;
  readonly irVersion?: number;
  readonly inputs: readonly OnnxTypes.IValueInfoProto[];
  readonly outputs: readonly OnnxTypes.IValueInfoProto[];
  readonly nodes: readonly OnnxTypes.INodeProto[];
  readonly initializers?: readonly OnnxTypes.ITensorProto[];
  readonly extraOpsets?: readonly OnnxTypes.IOperatorSetIdProto[];
  readonly metadata?: Record<string, string>;
}

export function irVersionFor(opset: number): number {
  if (opset <= 8) return 3;
  if (opset === 9) return 4;
  if (opset === 10) return 5;
  if (opset === 11) return 6;
  if (opset <= 14) return 7;
  return 8;
}

export function modelProto(spec: ModelSpec): OnnxTypes.IModelProto {
  const initializers = spec.initializers ?? [];
  const ir = spec.irVersion ?? irVersionFor(spec.opset);
  // IR version 3 lists initializers as graph inputs too.
  const initInputs = ir < 4 ? initializers.map((t) => valueInfo(t.name!, t.dataType!, (t.dims ?? []).map(Number))) : [];
  return {
    irVersion: ir,
    producerName: 'test',
    opsetImport: [{ domain: '', version: spec.opset }, ...(spec.extraOpsets ?? [])],
    graph: {
      name: 'test',
      node: [...spec.nodes],
      initializer: [...initializers],
      input: [...spec.inputs, ...initInputs],
      output: [...spec.outputs],
    },
    metadataProps: Object.entries(spec.metadata ?? {}).map(([key, value]) => ({ key, value })),
  };
}

export function modelBytes(spec: ModelSpec): Uint8Array {
  return onnx.ModelProto.encode(onnx.ModelProto.create(modelProto(spec))).finish();
}
