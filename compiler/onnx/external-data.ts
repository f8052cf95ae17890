// External tensor data (TensorProto.data_location = EXTERNAL; onnx/docs/ExternalData.md): bytes read
// from a file next to the model. Locations must stay inside the model's folder: absolute paths, `..`
// escapes and symlinks pointing outside are refused, as is any external data when no folder is known.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { OnnxImportError } from '../../core/errors.js';
import type { OnnxTypes } from './proto.js';

function parseCount(label: string, key: string, value: string): number {
  if (!/^\d+$/.test(value)) throw new OnnxImportError(`${label}: external_data '${key}' must be a non-negative integer, got '${value}'`);
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new OnnxImportError(`${label}: external_data '${key}' ${value} is too large`);
  return n;
}

function isInside(dir: string, file: string): boolean {
  const rel = path.relative(dir, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/** The bytes of an external tensor; `baseDir` is the model's folder. */
export function readExternalData(t: OnnxTypes.ITensorProto, baseDir: string | undefined, label: string): Uint8Array {
  const entries = new Map<string, string>();
  for (const e of t.externalData ?? []) entries.set(e.key ?? '', e.value ?? '');
  const location = entries.get('location');
  if (location === undefined || location === '') throw new OnnxImportError(`${label}: external data without a 'location' entry`);
  if (baseDir === undefined) {
    throw new OnnxImportError(`${label}: external data '${location}' cannot be read: the model was given as bytes with no baseDir (pass { baseDir: <model folder> })`);
  }
  if (path.isAbsolute(location) || path.win32.isAbsolute(location)) {
    throw new OnnxImportError(`${label}: external data location '${location}' is an absolute path; it must be relative to the model folder`);
  }
  const resolved = path.resolve(baseDir, location);
  if (!isInside(path.resolve(baseDir), resolved)) {
    throw new OnnxImportError(`${label}: external data location '${location}' escapes the model folder '${baseDir}'`);
  }
  let realBase: string;
  let realFile: string;
  try {
    realBase = fs.realpathSync(baseDir);
    realFile = fs.realpathSync(resolved);
  } catch (e) {
    throw new OnnxImportError(`${label}: external data file '${location}' cannot be opened: ${e instanceof Error ? e.message : String(e)}`);
  }
  // A symlink inside the folder may still point outside it.
  if (!isInside(realBase, realFile)) {
    throw new OnnxImportError(`${label}: external data location '${location}' resolves (through a symlink) to '${realFile}', outside the model folder '${realBase}'`);
  }
  const offset = entries.has('offset') ? parseCount(label, 'offset', entries.get('offset')!) : 0;
  let fd: number | undefined;
  try {
    fd = fs.openSync(realFile, 'r');
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new OnnxImportError(`${label}: external data location '${location}' is not a regular file`);
    const length = entries.has('length') ? parseCount(label, 'length', entries.get('length')!) : st.size - offset;
    if (offset + length > st.size || length < 0) {
      throw new OnnxImportError(`${label}: external data '${location}' has ${st.size} bytes; offset ${offset} + length ${Math.max(length, 0)} reads past its end`);
    }
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const k = fs.readSync(fd, out, done, length - done, offset + done);
      if (k === 0) break;
      done += k;
    }
    if (done !== length) throw new OnnxImportError(`${label}: external data '${location}': read ${done} of ${length} bytes`);
    return out;
  } catch (e) {
    if (e instanceof OnnxImportError) throw e;
    throw new OnnxImportError(`${label}: external data file '${location}' cannot be read: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
