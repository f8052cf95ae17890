// onnxruntime-node as the oracle for `kiln check`: run a model on host tensors and return host
// tensors. Anything that stops onnxruntime (no kernel for an op or dtype, a model it rejects, a
// dtype it cannot hand back) is returned as a reason, so the caller can fall back to the reference.

import type { Tensor } from 'onnxruntime-common';
import { fromOrtTensor, type HostTensor } from '../core/tensor.js';

export type OrtOutcome =
  | { readonly ok: true; readonly outputs: Record<string, HostTensor>; readonly version: string }
  | { readonly ok: false; readonly reason: string };

export interface OrtRunOptions {
  /** 'all' is what users get by default; bisect uses 'disabled' to compare op by op. */
  readonly optimization: 'disabled' | 'all';
}

type Ort = typeof import('onnxruntime-node');

/** Loaded on first use: the native addon is only needed by check. */
let ortModule: Promise<Ort> | undefined;
function loadOrt(): Promise<Ort> {
  ortModule ??= import('onnxruntime-node');
  return ortModule;
}

/** A kiln host tensor as an onnxruntime-node Tensor (storage shared); undefined for bfloat16. */
function toOrt(ort: Ort, t: HostTensor): Tensor | undefined {
  const dims = [...t.dims];
  const d = t.data;
  switch (t.dtype) {
    case 'float32': return d instanceof Float32Array ? new ort.Tensor('float32', d, dims) : undefined;
    case 'float64': return d instanceof Float64Array ? new ort.Tensor('float64', d, dims) : undefined;
    case 'float16': return d instanceof Uint16Array ? new ort.Tensor('float16', d, dims) : undefined;
    case 'int64': return d instanceof BigInt64Array ? new ort.Tensor('int64', d, dims) : undefined;
    case 'int32': return d instanceof Int32Array ? new ort.Tensor('int32', d, dims) : undefined;
    case 'int8': return d instanceof Int8Array ? new ort.Tensor('int8', d, dims) : undefined;
    case 'uint8': return d instanceof Uint8Array ? new ort.Tensor('uint8', d, dims) : undefined;
    case 'bool': return d instanceof Uint8Array ? new ort.Tensor('bool', d, dims) : undefined;
    // onnxruntime-common has no bfloat16 tensor type.
    case 'bfloat16': return undefined;
  }
}

function message(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  // onnxruntime's messages can span lines; the report shows one.
  return m.split('\n').map((s) => s.trim()).filter((s) => s !== '').join(' ');
}

/**
 * Run `model` (a path, so external data resolves, or bytes) on onnxruntime-node with `feeds`,
 * fetching `fetches` (the model's outputs when omitted).
 */
export async function runOnnxruntime(model: string | Uint8Array, feeds: Readonly<Record<string, HostTensor>>, options: OrtRunOptions, fetches?: readonly string[]): Promise<OrtOutcome> {
  let ort: Ort;
  try {
    ort = await loadOrt();
  } catch (e) {
    return { ok: false, reason: `onnxruntime-node cannot be loaded: ${message(e)}` };
  }
  const version = ort.env.versions.node ?? ort.env.versions.common;
  const ortFeeds: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(feeds)) {
    const o = toOrt(ort, t);
    if (o === undefined) return { ok: false, reason: `onnxruntime-node has no ${t.dtype} tensors (input '${name}')` };
    ortFeeds[name] = o;
  }
  let session: Awaited<ReturnType<Ort['InferenceSession']['create']>>;
  try {
    // Fatal-only logging: failures come back as exceptions, which the report prints once.
    const sessionOptions = { graphOptimizationLevel: options.optimization, logSeverityLevel: 4 as const };
    session = typeof model === 'string' ? await ort.InferenceSession.create(model, sessionOptions) : await ort.InferenceSession.create(model, sessionOptions);
  } catch (e) {
    return { ok: false, reason: `onnxruntime-node cannot load the model: ${message(e)}` };
  }
  try {
    const results = fetches === undefined ? await session.run(ortFeeds) : await session.run(ortFeeds, [...fetches]);
    const outputs: Record<string, HostTensor> = {};
    for (const [name, v] of Object.entries(results)) {
      if (!('dims' in v) || !('type' in v)) return { ok: false, reason: `onnxruntime-node output '${name}' is not a tensor` };
      outputs[name] = fromOrtTensor(v, `onnxruntime-node output '${name}'`);
    }
    return { ok: true, outputs, version };
  } catch (e) {
    return { ok: false, reason: `onnxruntime-node cannot run the model: ${message(e)}` };
  } finally {
    await session.release();
  }
}
