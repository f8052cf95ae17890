// Minimal flag parsing for CLI commands: `--name value` pairs, validated, with typed errors.

import { ArgumentError } from '../core/errors.js';

export function parseFlags(command: string, args: readonly string[], known: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const name = a.startsWith('--') ? a.slice(2) : undefined;
    if (name === undefined || !known.includes(name)) {
      throw new ArgumentError({ op: 'kiln', node: command }, a, `one of ${known.map((k) => `--${k}`).join(', ')}`, `'${a}'`);
    }
    const v = args[i + 1];
    if (v === undefined) throw new ArgumentError({ op: 'kiln', node: command }, a, 'a value', 'nothing');
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
    throw new ArgumentError({ op: 'kiln', node: command }, `--${name}`, `an integer in [${min}, ${max}]`, `'${raw}'`);
  }
  return v;
}
