#!/usr/bin/env node
// The `kiln` command: parses the sub-command and dispatches. Errors kiln raises on purpose are printed
// as one line with a non-zero exit; anything else is a bug and keeps its stack.

import { KilnError } from '../core/errors.js';
import { CHECK_USAGE, runCheck } from './commands/check.js';
import { COMPILE_USAGE, runCompile } from './commands/compile.js';
import { CONFORMANCE_USAGE, runConformance } from './commands/conformance.js';
import { runDemo } from './commands/demo.js';
import { INSPECT_USAGE, runInspect } from './commands/inspect.js';
import { RUN_USAGE, runRun } from './commands/run.js';
import { UsageError } from './errors.js';

interface Command {
  readonly summary: string;
  readonly usage: string;
  run(args: readonly string[]): Promise<number> | number;
}

const COMMANDS: Readonly<Record<string, Command>> = {
  demo: {
    summary: 'train a small built-in convnet with BatchNormalization on synthetic data and explain what happened',
    usage: 'kiln demo [--steps N] [--seed N]',
    run: runDemo,
  },
  check: {
    summary: 'compare kiln with onnxruntime-node (or the float64 reference) on a model; --bisect finds the first diverging node',
    usage: CHECK_USAGE,
    run: (args) => runCheck(args),
  },
  run: {
    summary: 'run a model on kiln and write its outputs as output_K.pb TensorProto files',
    usage: RUN_USAGE,
    run: (args) => runRun(args),
  },
  compile: {
    summary: 'optimize a model (fold BatchNormalization into weights for inference) and write it as standard ONNX',
    usage: COMPILE_USAGE,
    run: (args) => runCompile(args),
  },
  inspect: {
    summary: 'print the IR after import and after each optimization pass, then the kernel plan with bytes moved and peak memory',
    usage: INSPECT_USAGE,
    run: (args) => runInspect(args),
  },
  conformance: {
    summary: 'run ONNX backend-test case folders (model.onnx + test_data_set_N) and report PASS/FAIL per case',
    usage: CONFORMANCE_USAGE,
    run: (args) => runConformance(args),
  },
};

function help(): string {
  const names = Object.keys(COMMANDS);
  const width = Math.max(...names.map((n) => n.length));
  return [
    'kiln — a graph compiler and ONNX-compatible operator backend centred on Keras BatchNormalization',
    '',
    'Usage: kiln <command> [options]',
    '',
    'Commands:',
    ...names.map((n) => `  ${n.padEnd(width)}  ${COMMANDS[n].summary}`),
    '',
    'Run `kiln <command> --help` for a command\'s options.',
  ].join('\n');
}

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(help());
    return 0;
  }
  const cmd = COMMANDS[name];
  if (cmd === undefined) {
    console.error(`kiln: unknown command '${name}'\n\n${help()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(`Usage: ${cmd.usage}\n\n${cmd.summary}`);
    return 0;
  }
  try {
    return await cmd.run(rest);
  } catch (e) {
    if (e instanceof KilnError) {
      console.error(`kiln ${name}: ${e.name}: ${e.message}`);
      // Usage mistakes exit 2 (as in most CLIs); everything else kiln reports on purpose exits 1.
      return e instanceof UsageError ? 2 : 1;
    }
    throw e;
  }
}

// Output piped into a reader that stops early (`kiln inspect m.onnx | head`): stop quietly, as Unix tools do.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
