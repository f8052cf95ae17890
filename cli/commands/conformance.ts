// `kiln conformance DIR...`: run every ONNX backend-test case folder under the DIRs on kiln and
// compare with the expected outputs. One line per case, then `N passed, M failed`; non-zero exit on
// any failure or error. A progress bar is drawn on stderr only for an interactive terminal.

import { writeFileSync } from 'node:fs';
import { caseLine, runCase, type CaseReport } from '../conformance-run.js';
import { findCases, type ConformanceCase } from '../conformance-cases.js';
import { FileError } from '../errors.js';
import { processIO, type CliIO } from '../io.js';
import { flagValue, parseArgs, SESSION_FLAGS, sessionArg } from '../options.js';
import { ProgressBar } from '../progress.js';

export const CONFORMANCE_USAGE = 'kiln conformance DIR... [--json report.json] [--backend cpu|wasm] [--precision float64|float32]';

export interface ConformanceReport {
  readonly cases: readonly CaseReport[];
  readonly passed: number;
  readonly failed: number;
}

function writeReport(path: string, report: ConformanceReport): void {
  try {
    writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
  } catch (e) {
    throw new FileError(`cannot write report '${path}': ${e instanceof Error ? e.message : String(e)}`);
  }
}

export function runConformance(args: readonly string[], io: CliIO = processIO()): number {
  const parsed = parseArgs('conformance', args, {
    single: ['json', ...SESSION_FLAGS],
    positionals: [1, Infinity],
    positionalName: 'DIR',
  });
  const session = sessionArg('conformance', parsed);
  const jsonPath = flagValue(parsed, 'json');
  const cases: ConformanceCase[] = [];
  for (const dir of parsed.positionals) {
    const found = findCases(dir);
    if (found.length === 0) throw new FileError(`no ONNX test cases (folders with model.onnx) under '${dir}'`);
    cases.push(...found);
  }

  const bar = new ProgressBar(io, cases.length);
  const reports: CaseReport[] = [];
  for (const c of cases) {
    bar.step(c.name);
    const r = runCase(c, session);
    reports.push(r);
    bar.print(caseLine(r));
    bar.tick();
  }
  bar.clear();

  const passed = reports.filter((r) => r.status === 'pass').length;
  const failed = reports.length - passed;
  if (jsonPath !== undefined) writeReport(jsonPath, { cases: reports, passed, failed });
  io.out(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}
