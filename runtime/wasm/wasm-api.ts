// Typed access to the WebAssembly JavaScript API. The project compiles against lib ES2022 without
// DOM typings, which declare no `WebAssembly`; these are the few members the wasm backend uses.

export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(deltaPages: number): number;
}

export type WasmModule = object;

/** An exported wasm function as JavaScript sees it (i32 arguments are numbers). */
export type WasmFunction = (...args: number[]) => number | undefined;

export interface WasmInstance {
  readonly exports: { readonly [name: string]: unknown };
}

export interface WasmImports {
  readonly env: { readonly memory: WasmMemory };
}

export interface WebAssemblyApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: WasmImports) => WasmInstance;
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
}

declare const WebAssembly: WebAssemblyApi | undefined;

/** The runtime's WebAssembly API, or undefined where there is none. */
export function webAssembly(): WebAssemblyApi | undefined {
  return typeof WebAssembly === 'undefined' ? undefined : WebAssembly;
}

export function isWasmFunction(x: unknown): x is WasmFunction {
  return typeof x === 'function';
}

/** The named function exports of an instance, in order; throws naming a missing one. */
export function exportedFunctions(instance: WasmInstance, names: readonly string[]): WasmFunction[] {
  return names.map((n) => {
    const f = instance.exports[n];
    if (!isWasmFunction(f)) throw new Error(`wasm module has no exported function '${n}'`);
    return f;
  });
}
