// `kiln run model.onnx --input name=file.pb ... --output-dir DIR`: run a model on kiln and write each
// graph output K to DIR/output_K.pb as a TensorProto named after the output (the ONNX test-data
// layout, so the files can serve as expected outputs for `kiln conformance`).

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describeShape } from '../../core/errors.js';
import { GraphSession } from '../../runtime/graph-session.js';
import { FileError, UsageError } from '../errors.js';
import { readInputFlags } from '../feeds.js';
import { processIO, type CliIO } from '../io.js';
import { loadModel } from '../load-model.js';
import { flagValue, parseArgs, SESSION_FLAGS, sessionArg } from '../options.js';
import { writeTensorFile } from '../tensor-files.js';

export const RUN_USAGE = 'kiln run model.onnx --input name=file.pb ... --output-dir DIR [--backend cpu|wasm] [--precision float64|float32]';

export function runRun(args: readonly string[], io: CliIO = processIO()): number {
  const parsed = parseArgs('run', args, {
    single: ['output-dir', ...SESSION_FLAGS],
    repeated: ['input'],
    positionals: [1, 1],
    positionalName: 'model.onnx',
  });
  const outDir = flagValue(parsed, 'output-dir');
  if (outDir === undefined) throw new UsageError('run', '--output-dir', 'a folder for the output_K.pb files', 'nothing');
  const session = sessionArg('run', parsed);
  const loaded = loadModel(parsed.positionals[0]);
  // Every input must be given: run has no random inputs (check does).
  const feeds = readInputFlags('run', parsed.values.get('input') ?? [], loaded.graph);
  const outputs = new GraphSession(loaded.graph, session).runHost(feeds);
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (e) {
    throw new FileError(`cannot create output folder '${outDir}': ${e instanceof Error ? e.message : String(e)}`);
  }
  loaded.graph.outputs.forEach((v, k) => {
    const t = outputs[v.name];
    const file = join(outDir, `output_${k}.pb`);
    writeTensorFile(file, v.name, t);
    io.out(`${file}: '${v.name}' ${t.dtype}${describeShape(t.dims)}`);
  });
  return 0;
}
