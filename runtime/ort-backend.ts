// kiln as an onnxruntime-common backend: code written against onnxruntime's InferenceSession runs on
// kiln by naming it as the execution provider:
//   await ort.InferenceSession.create(model, { executionProviders: ['kiln'] })
// onnxruntime-common ships separate ESM and CommonJS builds with separate backend registries
// (onnxruntime-node uses the CommonJS one), so kiln registers itself with both.

import { createRequire } from 'node:module';
import * as ortEsm from 'onnxruntime-common';
import type { Backend, InferenceSession as OrtInferenceSession, InferenceSessionHandler, OnnxValue, Tensor } from 'onnxruntime-common';
import { FeedError } from '../core/errors.js';
import { InferenceSession } from './onnx-session.js';

export const KILN_BACKEND_NAME = 'kiln';

function isTensor(v: OnnxValue): v is Tensor {
  return typeof v === 'object' && v !== null && 'dims' in v && 'type' in v && 'data' in v;
}

class KilnSessionHandler implements InferenceSessionHandler {
  constructor(private readonly session: InferenceSession) {}
  get inputNames(): readonly string[] { return this.session.inputNames; }
  get outputNames(): readonly string[] { return this.session.outputNames; }
  get inputMetadata(): readonly OrtInferenceSession.ValueMetadata[] { return this.session.inputMetadata; }
  get outputMetadata(): readonly OrtInferenceSession.ValueMetadata[] { return this.session.outputMetadata; }
  async dispose(): Promise<void> {}
  startProfiling(): void {}
  endProfiling(): void {}

  async run(feeds: { [name: string]: OnnxValue }, fetches: { [name: string]: OnnxValue | null }): Promise<{ [name: string]: OnnxValue }> {
    const tensors: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(feeds)) {
      if (!isTensor(v)) throw new FeedError(`input '${k}': kiln accepts tensors only`);
      tensors[k] = v;
    }
    return this.session.run(tensors, Object.keys(fetches));
  }
}

export const kilnOrtBackend: Backend = {
  async init(): Promise<void> {},
  async createInferenceSessionHandler(uriOrBuffer: string | Uint8Array): Promise<InferenceSessionHandler> {
    return new KilnSessionHandler(await InferenceSession.create(uriOrBuffer));
  },
};

/** Register kiln with onnxruntime-common (both module builds). Idempotent. */
export function registerKilnBackend(priority = -100): void {
  ortEsm.registerBackend(KILN_BACKEND_NAME, kilnOrtBackend, priority);
  const cjs = createRequire(import.meta.url)('onnxruntime-common') as typeof ortEsm;
  if (cjs.registerBackend !== ortEsm.registerBackend) cjs.registerBackend(KILN_BACKEND_NAME, kilnOrtBackend, priority);
}
