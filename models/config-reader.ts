// Reading Keras configs and arguments: snake_case keys with camelCase accepted, unknown keys
// rejected, every value checked, errors naming the layer, the argument and the bad value.

import { ArgumentError } from '../core/errors.js';

/** Where an initializer (regularizer, constraint) was asked for: layer class, layer name, argument. */
export interface ArgumentSite {
  readonly op: string;
  readonly node: string;
  /** e.g. 'kernel_initializer'; '' when the object was built directly. */
  readonly argument: string;
}

/** A config as it comes from a user or from JSON; every entry is checked before use. */
export type RawConfig = Readonly<Record<string, unknown>>;


/** A value as an error message shows it. */
export function describeValue(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (v === undefined || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

export function camelOf(snake: string): string {
  return snake.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
}

export function isRecord(v: unknown): v is RawConfig {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Reads one Keras config. Keys are Keras's snake_case names; their camelCase forms are accepted
 * too. Unknown keys are an error, as in Keras (`cls(**config)` rejects unexpected arguments).
 */
export class ConfigReader {
  private readonly values = new Map<string, unknown>();

  constructor(
    readonly className: string,
    raw: unknown,
    readonly where: ArgumentSite,
    keys: readonly string[],
  ) {
    if (raw === undefined || raw === null) return;
    if (!isRecord(raw)) throw this.error(where.argument || 'config', `a config object for ${className}`, describeValue(raw));
    for (const [given, v] of Object.entries(raw)) {
      const key = keys.find((k) => k === given || camelOf(k) === given);
      if (key === undefined) {
        const accepted = keys.length === 0 ? 'no config keys' : `config keys ${keys.join(', ')}`;
        throw this.error(this.argName(given), `${className} to have ${accepted}`, `unknown key '${given}'`);
      }
      if (this.values.has(key)) throw this.error(this.argName(key), `only one of '${key}' and '${camelOf(key)}'`, 'both');
      this.values.set(key, v);
    }
  }

  argName(key: string): string {
    return this.where.argument === '' ? key : `${this.where.argument}.${key}`;
  }

  private error(argument: string, expected: string, received: string): ArgumentError {
    return new ArgumentError({ op: this.where.op, node: this.where.node }, argument, expected, received);
  }

  /** Throws the ArgumentError for config entry `key`. */
  fail(key: string, expected: string, received: unknown): never {
    throw this.error(this.argName(key), expected, describeValue(received));
  }

  /** The raw value, undefined when absent. */
  raw(key: string): unknown {
    return this.values.get(key);
  }

  /** A number passing `ok`; absent or null gives the Keras default (as Keras's `None` does for L1/L2). */
  number(key: string, fallback: number, expected = 'a finite number', ok: (v: number) => boolean = Number.isFinite): number {
    const v = this.values.get(key);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || Number.isNaN(v) || !ok(v)) this.fail(key, expected, v);
    return v;
  }

  /** One of `allowed` after `normalize`. */
  choice<T extends string>(key: string, fallback: T, allowed: readonly T[], normalize: (s: string) => string = (s) => s): T {
    const v = this.values.get(key);
    if (v === undefined || v === null) return fallback;
    const found = typeof v === 'string' ? allowed.find((a) => a === normalize(v)) : undefined;
    if (found === undefined) this.fail(key, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, v);
    return found;
  }

  /** Keras seed: an integer or None (None: a random seed, fixed for the object's lifetime). */
  seed(): number | null {
    const v = this.values.get('seed');
    if (v === undefined || v === null) return null;
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) this.fail('seed', 'an integer or null', v);
    return v;
  }

  /** A boolean; absent gives the default. */
  boolean(key: string, fallback: boolean): boolean {
    const v = this.values.get(key);
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') this.fail(key, 'a boolean', v);
    return v;
  }

  /** An integer; absent gives the default. */
  integer(key: string, fallback: number): number {
    const v = this.values.get(key);
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) this.fail(key, 'an integer', v);
    return v;
  }
}
