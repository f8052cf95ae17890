// Read an ONNX model file for a command: the bytes (for onnxruntime) and kiln's imported graph.
// External data resolves next to the file; a missing file is a FileError, bad content OnnxImportError.

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Graph } from '../compiler/ir/types.js';
import { importModel } from '../compiler/onnx/index.js';
import { FileError } from './errors.js';

export interface LoadedModel {
  readonly path: string;
  readonly bytes: Uint8Array;
  readonly graph: Graph;
}

export function loadModel(path: string): LoadedModel {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new FileError(`cannot read model file '${path}': ${e instanceof Error ? e.message : String(e)}`);
  }
  const { graph } = importModel(bytes, { baseDir: dirname(resolve(path)) });
  return { path, bytes, graph };
}
