// Small ONNX models for the CLI tests, written with onnx-proto: a Relu, a BatchNormalization at
// opset 15, and a two-node Mul → Relu graph; plus helpers to write models and tensor files.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DType } from '../../core/dtype.js';
import { ONNX_DTYPE_CODE } from '../../core/dtype.js';
import { hostTensor, type HostTensor } from '../../core/tensor.js';
import { encodeModel, onnx, type OnnxTypes } from '../../compiler/onnx/proto.js';
import { tensorToProto } from '../../compiler/onnx/tensor-proto.js';

type Dims = readonly (number | string)[];

function valueInfo(name: string, dtype: DType, dims: Dims): OnnxTypes.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ONNX_DTYPE_CODE[dtype],
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

export interface ModelSpec {
  readonly inputs: readonly { name: string; dtype: DType; dims: Dims }[];
  readonly outputs: readonly { name: string; dtype: DType; dims: Dims }[];
  readonly nodes: readonly OnnxTypes.INodeProto[];
  readonly initializers?: readonly { name: string; tensor: HostTensor }[];
  readonly opset?: number;
}

export function modelBytes(spec: ModelSpec): Uint8Array {
  return encodeModel({
    irVersion: 8,
    opsetImport: [{ domain: '', version: spec.opset ?? 15 }],
    producerName: 'kiln-cli-test',
    graph: {
      name: 'test',
      node: [...spec.nodes],
      input: spec.inputs.map((i) => valueInfo(i.name, i.dtype, i.dims)),
      output: spec.outputs.map((o) => valueInfo(o.name, o.dtype, o.dims)),
      initializer: (spec.initializers ?? []).map((i) => tensorToProto(i.tensor, i.name)),
    },
  });
}

export function f32(dims: readonly number[], values: readonly number[]): HostTensor {
  return hostTensor('float32', dims, Float32Array.from(values));
}

/** y = Relu(x), x: float32[N, 4] (symbolic batch). */
export function reluModel(): Uint8Array {
  return modelBytes({
    inputs: [{ name: 'x', dtype: 'float32', dims: ['N', 4] }],
    outputs: [{ name: 'y', dtype: 'float32', dims: ['N', 4] }],
    nodes: [{ opType: 'Relu', name: 'relu', input: ['x'], output: ['y'] }],
  });
}

/** Inference BatchNormalization at opset 15 on x: float32[2, 3, 4, 4], distinct parameter values. */
export function batchNormModel(mean: readonly number[] = [0.05, -0.1, 0.2], variance: readonly number[] = [0.9, 1.1, 0.4]): Uint8Array {
  return modelBytes({
    inputs: [{ name: 'x', dtype: 'float32', dims: [2, 3, 4, 4] }],
    outputs: [{ name: 'y', dtype: 'float32', dims: [2, 3, 4, 4] }],
    nodes: [{
      opType: 'BatchNormalization', name: 'bn', input: ['x', 'scale', 'B', 'mean', 'var'], output: ['y'],
      attribute: [{ name: 'epsilon', type: onnx.AttributeProto.AttributeType.FLOAT, f: 1e-5 }],
    }],
    initializers: [
      { name: 'scale', tensor: f32([3], [0.5, 1.5, 2]) },
      { name: 'B', tensor: f32([3], [0.1, -0.2, 0.3]) },
      { name: 'mean', tensor: f32([3], mean) },
      { name: 'var', tensor: f32([3], variance) },
    ],
  });
}

/** h = Mul(x, w); y = Relu(h); x: float32[2, 3], w an initializer. */
export function mulReluModel(w: readonly number[] = [2, -1, 0.5]): Uint8Array {
  return modelBytes({
    inputs: [{ name: 'x', dtype: 'float32', dims: [2, 3] }],
    outputs: [{ name: 'y', dtype: 'float32', dims: [2, 3] }],
    nodes: [
      { opType: 'Mul', name: 'scale_mul', input: ['x', 'w'], output: ['h'] },
      { opType: 'Relu', name: 'act', input: ['h'], output: ['y'] },
    ],
    initializers: [{ name: 'w', tensor: f32([3], w) }],
  });
}

/** BatchNormalization-6 (is_test=1), for which onnxruntime has no kernel (DESIGN.md §7). */
export function batchNorm6Model(): Uint8Array {
  return modelBytes({
    opset: 6,
    inputs: [{ name: 'x', dtype: 'float32', dims: [2, 3, 2, 2] }],
    outputs: [{ name: 'y', dtype: 'float32', dims: [2, 3, 2, 2] }],
    nodes: [{
      opType: 'BatchNormalization', name: 'bn6', input: ['x', 's', 'b', 'm', 'v'], output: ['y'],
      attribute: [{ name: 'is_test', type: onnx.AttributeProto.AttributeType.INT, i: 1 }],
    }],
    initializers: [
      { name: 's', tensor: f32([3], [1, 2, 3]) },
      { name: 'b', tensor: f32([3], [0.1, 0.2, 0.3]) },
      { name: 'm', tensor: f32([3], [0, 0.5, 1]) },
      { name: 'v', tensor: f32([3], [1, 2, 0.5]) },
    ],
  });
}

export function tensorBytes(t: HostTensor, name: string): Uint8Array {
  return onnx.TensorProto.encode(onnx.TensorProto.create(tensorToProto(t, name))).finish();
}

/** Write an ONNX backend-test case folder: model.onnx and test_data_set_0/{input,output}_K.pb. */
export function writeCase(dir: string, model: Uint8Array, inputs: readonly HostTensor[], outputs: readonly HostTensor[]): void {
  const set = join(dir, 'test_data_set_0');
  mkdirSync(set, { recursive: true });
  writeFileSync(join(dir, 'model.onnx'), model);
  inputs.forEach((t, k) => writeFileSync(join(set, `input_${k}.pb`), tensorBytes(t, `input_${k}`)));
  outputs.forEach((t, k) => writeFileSync(join(set, `output_${k}.pb`), tensorBytes(t, `output_${k}`)));
}
