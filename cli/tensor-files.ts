// TensorProto files (.pb, the ONNX test-data layout) read into HostTensors and written back. Failures
// are typed errors naming the file (FileError for I/O, OnnxImportError for content): one printed line.

import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { OnnxImportError } from '../core/errors.js';
import { FileError } from './errors.js';
import type { HostTensor } from '../core/tensor.js';
import { onnx } from '../compiler/onnx/proto.js';
import { tensorFromProto, tensorToProto } from '../compiler/onnx/tensor-proto.js';

export interface TensorFile {
  /** The TensorProto's own name ('' when it has none). */
  readonly name: string;
  readonly tensor: HostTensor;
}

function readBytes(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new FileError(`cannot read tensor file '${path}': ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Read one serialized TensorProto; external data resolves next to the file. */
export function readTensorFile(path: string): TensorFile {
  const bytes = readBytes(path);
  let proto: ReturnType<typeof onnx.TensorProto.decode>;
  try {
    proto = onnx.TensorProto.decode(bytes);
  } catch (e) {
    throw new OnnxImportError(`tensor file '${path}' is not a TensorProto (truncated or another format): ${e instanceof Error ? e.message : String(e)}`);
  }
  // Garbage can decode "successfully" into a proto without a data type; tensorFromProto names that.
  const tensor = tensorFromProto(proto, { baseDir: dirname(resolve(path)) }, `tensor file '${path}'`);
  return { name: proto.name ?? '', tensor };
}

/** Write `t` as a TensorProto named `name` (raw_data, little-endian). */
export function writeTensorFile(path: string, name: string, t: HostTensor): void {
  const bytes = onnx.TensorProto.encode(onnx.TensorProto.create(tensorToProto(t, name))).finish();
  try {
    writeFileSync(path, bytes);
  } catch (e) {
    throw new FileError(`cannot write tensor file '${path}': ${e instanceof Error ? e.message : String(e)}`);
  }
}
