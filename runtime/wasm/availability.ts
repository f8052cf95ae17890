// Probes, once, whether this runtime can run the wasm backend: WebAssembly with 128-bit SIMD and
// shared memories (the worker pool shares one memory). A missing feature is reported with its reason
// (GraphSession turns it into a BackendUnavailableError); the backend is never silently swapped.

import { FunctionBuilder, ModuleBuilder } from './encoder/index.js';
import { WebAssemblyApi, webAssembly } from './wasm-api.js';

export type WasmSupport = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** A tiny module that uses what the kernels use: a shared memory import and SIMD f32x4/f64x2 ops. */
export function probeModuleBytes(): Uint8Array {
  const f = new FunctionBuilder(['i32'], ['f32']);
  f.get(f.param(0)).vmem('v128.load');
  f.f32(1).simd('f32x4.splat').simd('f32x4.add');
  f.simd('f64x2.promote_low_f32x4').simd('f32x4.demote_f64x2_zero');
  f.lane('f32x4.extract_lane', 0);
  const m = new ModuleBuilder().importMemory({ module: 'env', name: 'memory', minPages: 1, maxPages: 1, shared: true });
  m.addFunction(f, 'probe');
  return m.encode();
}

/** The support check against a given API (tests pass fakes to exercise the unavailable paths). */
export function checkWasmSupport(api: WebAssemblyApi | undefined, hasSharedArrayBuffer: boolean): WasmSupport {
  if (api === undefined) return { ok: false, reason: 'this runtime has no WebAssembly' };
  if (!hasSharedArrayBuffer) return { ok: false, reason: 'this runtime has no SharedArrayBuffer (shared WebAssembly memory)' };
  let valid: boolean;
  try {
    valid = api.validate(probeModuleBytes());
  } catch (e) {
    return { ok: false, reason: `WebAssembly validation failed: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (!valid) return { ok: false, reason: 'WebAssembly 128-bit SIMD with a shared memory does not validate in this runtime' };
  return { ok: true };
}

let probed: WasmSupport | undefined;

/** Probed once per process. */
export function wasmSupport(): WasmSupport {
  probed ??= checkWasmSupport(webAssembly(), typeof SharedArrayBuffer === 'function');
  return probed;
}
