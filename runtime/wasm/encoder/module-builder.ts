// A WebAssembly module under construction: function types (deduplicated), an imported memory, the
// functions (callees first, so a call names an index that exists) and their exports. `encode()`
// writes the binary format (spec §5.5): magic, version, then the type, import, function, export and
// code sections in that order.

import type { FunctionBuilder } from './function-builder.js';
import { writeU32 } from './leb128.js';
import { VALTYPE_CODE, ValType } from './opcodes.js';

export interface MemoryImport {
  readonly module: string;
  readonly name: string;
  /** Pages of 64 KiB. */
  readonly minPages: number;
  readonly maxPages?: number;
  /** A shared memory (threads proposal) needs a maximum. */
  readonly shared: boolean;
}

const SECTION = { type: 1, import: 2, function: 3, export: 7, code: 10 } as const;
const EXTERN = { func: 0x00, memory: 0x02 } as const;

function writeName(out: number[], s: string): void {
  const bytes = new TextEncoder().encode(s);
  writeU32(out, bytes.length);
  for (const b of bytes) out.push(b);
}

function writeSection(out: number[], id: number, content: number[]): void {
  out.push(id);
  writeU32(out, content.length);
  for (const b of content) out.push(b);
}

export class ModuleBuilder {
  private readonly typeKeys: string[] = [];
  private readonly typeBytes: number[][] = [];
  private memory: MemoryImport | undefined;
  private readonly functions: { readonly type: number; readonly body: number[] }[] = [];
  private readonly exports: { readonly name: string; readonly kind: number; readonly index: number }[] = [];

  importMemory(m: MemoryImport): this {
    if (m.shared && m.maxPages === undefined) throw new Error('a shared memory import needs a maximum size');
    this.memory = m;
    return this;
  }

  /** Adds the function (its body is encoded now) and returns its index; exported when named. */
  addFunction(f: FunctionBuilder, exportName?: string): number {
    const index = this.functions.length;
    this.functions.push({ type: this.typeIndex(f.params, f.results), body: f.encode() });
    if (exportName !== undefined) this.exports.push({ name: exportName, kind: EXTERN.func, index });
    return index;
  }

  exportFunction(name: string, index: number): this {
    this.exports.push({ name, kind: EXTERN.func, index });
    return this;
  }

  encode(): Uint8Array {
    const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    const types: number[] = [];
    writeU32(types, this.typeBytes.length);
    for (const t of this.typeBytes) types.push(...t);
    writeSection(out, SECTION.type, types);
    if (this.memory !== undefined) {
      const m = this.memory;
      const imports: number[] = [];
      writeU32(imports, 1);
      writeName(imports, m.module);
      writeName(imports, m.name);
      imports.push(EXTERN.memory);
      imports.push(m.maxPages === undefined ? 0x00 : m.shared ? 0x03 : 0x01);
      writeU32(imports, m.minPages);
      if (m.maxPages !== undefined) writeU32(imports, m.maxPages);
      writeSection(out, SECTION.import, imports);
    }
    const funcs: number[] = [];
    writeU32(funcs, this.functions.length);
    for (const f of this.functions) writeU32(funcs, f.type);
    writeSection(out, SECTION.function, funcs);
    const exps: number[] = [];
    writeU32(exps, this.exports.length);
    for (const e of this.exports) {
      writeName(exps, e.name);
      exps.push(e.kind);
      writeU32(exps, e.index);
    }
    writeSection(out, SECTION.export, exps);
    const code: number[] = [];
    writeU32(code, this.functions.length);
    for (const f of this.functions) {
      writeU32(code, f.body.length);
      for (const b of f.body) code.push(b);
    }
    writeSection(out, SECTION.code, code);
    return Uint8Array.from(out);
  }

  private typeIndex(params: readonly ValType[], results: readonly ValType[]): number {
    const key = `${params.join(',')}->${results.join(',')}`;
    const found = this.typeKeys.indexOf(key);
    if (found >= 0) return found;
    const bytes: number[] = [0x60];
    writeU32(bytes, params.length);
    for (const p of params) bytes.push(VALTYPE_CODE[p]);
    writeU32(bytes, results.length);
    for (const r of results) bytes.push(VALTYPE_CODE[r]);
    this.typeKeys.push(key);
    this.typeBytes.push(bytes);
    return this.typeKeys.length - 1;
  }
}
