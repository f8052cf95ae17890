// Minimal flag parsing for CLI commands: `--name value` pairs, validated, with typed errors.

import { UsageError } from './errors.js';
import type { BackendName, GraphSessionOptions } from '../runtime/graph-session.js';
import type { Precision } from '../runtime/wasm/wasm-backend.js';

export function parseFlags(command: string, args: readonly string[], known: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const name = a.startsWith('--') ? a.slice(2) : undefined;
    if (name === undefined || !known.includes(name)) {
      throw new UsageError(command, a, `one of ${known.map((k) => `--${k}`).join(', ')}`, `'${a}'`);
    }
    const v = args[i + 1];
    if (v === undefined) throw new UsageError(command, a, 'a value', 'nothing');
    out.set(name, v);
    i++;
  }
  return out;
}

export function intFlag(command: string, flags: Map<string, string>, name: string, fallback: number, min: number, max: number): number {
  const raw = flags.get(name);
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new UsageError(command, `--${name}`, `an integer in [${min}, ${max}]`, `'${raw}'`);
  }
  return v;
}

/** What a command accepts: flags with one value, flags that may repeat, and on/off switches. */
export interface ArgSpec {
  /** `--name value`, at most once. */
  readonly single?: readonly string[];
  /** `--name value`, any number of times, kept in order. */
  readonly repeated?: readonly string[];
  /** `--name` alone. */
  readonly switches?: readonly string[];
  /** How many positional arguments are allowed (min, max). */
  readonly positionals: readonly [number, number];
  /** What the positionals are, for error messages (e.g. 'model.onnx'). */
  readonly positionalName: string;
}

export interface ParsedArgs {
  readonly positionals: readonly string[];
  /** Every flag's values in order (one entry for single flags). */
  readonly values: ReadonlyMap<string, readonly string[]>;
  readonly switches: ReadonlySet<string>;
}

/** Parse positionals and `--flag value` / `--flag=value` / `--switch` arguments against a spec. */
export function parseArgs(command: string, args: readonly string[], spec: ArgSpec): ParsedArgs {
  const single = spec.single ?? [];
  const repeated = spec.repeated ?? [];
  const switchNames = spec.switches ?? [];
  const all = [...single, ...repeated, ...switchNames].map((k) => `--${k}`);
  const positionals: string[] = [];
  const values = new Map<string, string[]>();
  const switches = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('--')) {
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
    if (switchNames.includes(name)) {
      if (eq >= 0) throw new UsageError(command, `--${name}`, 'no value', `'${a.slice(eq + 1)}'`);
      switches.add(name);
      continue;
    }
    if (!single.includes(name) && !repeated.includes(name)) {
      throw new UsageError(command, a, `one of ${all.join(', ')}`, `'${a}'`);
    }
    let v: string | undefined;
    if (eq >= 0) v = a.slice(eq + 1);
    else {
      v = args[i + 1];
      i++;
    }
    if (v === undefined) throw new UsageError(command, `--${name}`, 'a value', 'nothing');
    const list = values.get(name) ?? [];
    if (single.includes(name) && list.length > 0) throw new UsageError(command, `--${name}`, 'at most one value', `'${list[0]}' and '${v}'`);
    list.push(v);
    values.set(name, list);
  }
  const [min, max] = spec.positionals;
  if (positionals.length < min || positionals.length > max) {
    const want = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    throw new UsageError(command, spec.positionalName, `${want} argument(s)`, positionals.length === 0 ? 'none' : positionals.map((p) => `'${p}'`).join(' '));
  }
  return { positionals, values, switches };
}

/** The value of a single-valued flag, or undefined when it was not given. */
export function flagValue(parsed: ParsedArgs, name: string): string | undefined {
  return parsed.values.get(name)?.[0];
}

/** An integer flag in [min, max] from parsed arguments. */
export function intArg(command: string, parsed: ParsedArgs, name: string, fallback: number, min: number, max: number): number {
  const raw = flagValue(parsed, name);
  return raw === undefined ? fallback : intFlag(command, new Map([[name, raw]]), name, fallback, min, max);
}

/** Split `key=value` (the key must be non-empty); used by --input and --dim. */
export function keyValue(command: string, flag: string, raw: string, valueName: string): { key: string; value: string } {
  const eq = raw.indexOf('=');
  if (eq <= 0 || eq === raw.length - 1) {
    throw new UsageError(command, `--${flag}`, `name=${valueName}`, `'${raw}'`);
  }
  return { key: raw.slice(0, eq), value: raw.slice(eq + 1) };
}

/** Backends the CLI offers; GraphSession reports one that is missing on this machine (never swapped). */
const BACKENDS: readonly BackendName[] = ['cpu', 'wasm'];

const PRECISIONS: readonly Precision[] = ['float64', 'float32'];

/** The flags that pick a session's backend: `backend` and (wasm only) `precision`. */
export const SESSION_FLAGS = ['backend', 'precision'] as const;

/** `--backend cpu|wasm` and `--precision float64|float32` (wasm elementwise lanes) as session options. */
export function sessionArg(command: string, parsed: ParsedArgs): GraphSessionOptions {
  const raw = flagValue(parsed, 'backend');
  const backend: BackendName | undefined = raw === undefined ? 'cpu' : BACKENDS.find((b) => b === raw);
  if (backend === undefined) throw new UsageError(command, '--backend', `one of ${BACKENDS.join(', ')}`, `'${raw}'`);
  const rawPrecision = flagValue(parsed, 'precision');
  if (rawPrecision === undefined) return { backend };
  if (backend !== 'wasm') throw new UsageError(command, '--precision', "no value unless --backend is 'wasm'", `'${rawPrecision}'`);
  const precision = PRECISIONS.find((p) => p === rawPrecision);
  if (precision === undefined) throw new UsageError(command, '--precision', `one of ${PRECISIONS.join(', ')}`, `'${rawPrecision}'`);
  return { backend, precision };
}

/** How a session choice reads in a report line: 'cpu', 'wasm' or 'wasm (float32 lanes)'. */
export function describeSession(options: GraphSessionOptions): string {
  return `${options.backend ?? 'cpu'}${options.precision === undefined ? '' : ` (${options.precision} lanes)`}`;
}
