// Find ONNX backend-test cases: a folder holding model.onnx and test_data_set_N/ folders with
// input_K.pb and output_K.pb (onnx/backend/test/data/node/*). Folders are searched recursively;
// a case folder is not searched further.

import { readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { FileError } from './errors.js';

export interface DataSet {
  readonly name: string;
  /** input_0.pb, input_1.pb, ... in K order. */
  readonly inputs: readonly string[];
  /** output_0.pb, output_1.pb, ... in K order. */
  readonly outputs: readonly string[];
}

export interface ConformanceCase {
  /** The folder's path relative to the searched folder (its own name when it is the case). */
  readonly name: string;
  readonly dir: string;
  readonly model: string;
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch (e) {
    throw new FileError(`cannot read folder '${dir}': ${e instanceof Error ? e.message : String(e)}`);
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Files `prefix_K.pb` in K order; a gap in K is an error (K binds by position). */
function numbered(dir: string, entries: readonly string[], prefix: string): string[] {
  const re = new RegExp(`^${prefix}_(\\d+)\\.pb$`);
  const byIndex = new Map<number, string>();
  for (const e of entries) {
    const m = re.exec(e);
    if (m !== null) byIndex.set(Number(m[1]), join(dir, e));
  }
  const out: string[] = [];
  for (let k = 0; k < byIndex.size; k++) {
    const f = byIndex.get(k);
    if (f === undefined) throw new FileError(`'${dir}': ${prefix}_${k}.pb is missing but ${prefix} files up to ${Math.max(...byIndex.keys())} exist`);
    out.push(f);
  }
  return out;
}

/** The data sets of a case folder, by numeric suffix (test_data_set_2 before test_data_set_10). */
export function dataSetsOf(dir: string): DataSet[] {
  const sets = listDir(dir)
    .filter((e) => /^test_data_set_\d+$/.test(e) && isDir(join(dir, e)))
    .sort((a, b) => Number(a.slice(14)) - Number(b.slice(14)));
  return sets.map((name) => {
    const d = join(dir, name);
    const entries = listDir(d);
    return { name, inputs: numbered(d, entries, 'input'), outputs: numbered(d, entries, 'output') };
  });
}

/** Every case under `root` (root itself when it holds model.onnx), sorted by name. */
export function findCases(root: string): ConformanceCase[] {
  if (!isDir(root)) throw new FileError(`'${root}' is not a folder`);
  const cases: ConformanceCase[] = [];
  // Symlinked folders are followed once each, so a link cycle cannot recurse forever.
  const visited = new Set<string>();
  const walk = (dir: string): void => {
    const real = realpathSync(dir);
    if (visited.has(real)) return;
    visited.add(real);
    const entries = listDir(dir);
    if (entries.includes('model.onnx')) {
      const rel = relative(root, dir);
      // Data sets are read (dataSetsOf) when the case runs, so one malformed case stops only itself.
      cases.push({ name: rel === '' ? basename(dir) : rel.split('\\').join('/'), dir, model: join(dir, 'model.onnx') });
      return;
    }
    for (const e of entries) {
      const p = join(dir, e);
      if (isDir(p)) walk(p);
    }
  };
  walk(root);
  return cases;
}
