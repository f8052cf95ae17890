// keras.initializers.get / regularizers.get / constraints.get in one place: a name, a
// {className|class_name, config} object, or an instance already; each class is built from its config
// keys through a ConfigReader, so unknown names and bad config keys are ArgumentErrors.

import { ArgumentError } from '../core/errors.js';
import { type ArgumentSite, ConfigReader, describeValue, type RawConfig } from './config-reader.js';

/**
 * How an argument may give a Keras object: a name (each kind adds its known names for completion), a
 * serialized {className|class_name, config} object, or an instance.
 */
export type KerasObjectSpec<T> =
  | (string & {})
  | { readonly className: string; readonly config?: RawConfig }
  | { readonly class_name: string; readonly config?: RawConfig }
  | T;

/** How one kind of Keras object (initializer, regularizer, constraint) is named and built. */
export interface KerasRegistry<T extends object, C extends string> {
  /** The kind in messages, with its article: 'an initializer'. Without an argument name it also names the argument. */
  readonly article: 'a' | 'an';
  readonly noun: string;
  /** The instance type in messages: 'Initializer'. */
  readonly typeName: string;
  /** An object that is already an instance (duck-typed: user objects count). */
  readonly isInstance: (v: object) => v is T;
  /** Each class: its config keys and how to build it from them. */
  readonly builders: { readonly [K in C]: readonly [readonly string[], (cfg: ConfigReader) => T] };
  /** Every accepted name → its class. */
  readonly names: ReadonlyMap<string, C>;
}

/** Build class `className` from a raw config; errors name `where`. */
export function buildFromConfig<T extends object, C extends string>(registry: KerasRegistry<T, C>, className: C, config: unknown, where: ArgumentSite): T {
  const [keys, make] = registry.builders[className];
  return make(new ConfigReader(className, config, where, keys));
}

/** keras.<kind>.get: resolve a name, a {className|class_name, config} object, or an instance. */
export function getFromRegistry<T extends object, C extends string>(registry: KerasRegistry<T, C>, spec: unknown, where: ArgumentSite): T {
  const { article, noun } = registry;
  const site = { op: where.op, node: where.node };
  const argument = where.argument || noun;
  let name: unknown;
  let config: unknown;
  if (typeof spec === 'string') {
    name = spec;
  } else if (typeof spec === 'object' && spec !== null) {
    if (registry.isInstance(spec)) return spec;
    name = 'class_name' in spec ? spec.class_name : 'className' in spec ? spec.className : undefined;
    config = 'config' in spec ? spec.config : undefined;
  } else {
    throw new ArgumentError(site, argument, `${article} ${noun} name, a {className, config} object or ${article} ${registry.typeName}`, describeValue(spec));
  }
  const className = typeof name === 'string' ? registry.names.get(name) : undefined;
  if (className === undefined) {
    throw new ArgumentError(site, argument, `${article} ${noun}, one of ${[...registry.names.keys()].join(', ')}`, describeValue(name));
  }
  return buildFromConfig(registry, className, config, where);
}
