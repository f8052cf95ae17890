// How every layer constructor opens its arguments: a config reader over the layer's keys, and the
// standard name, trainable and dtype (a string or a Keras DTypePolicy {class_name, config: {name}}).

import { ConfigReader, isRecord, type ArgumentSite } from '../config-reader.js';
import { defaultName, LAYER_DTYPES, type BaseLayerArgs, type LayerDType } from '../layer.js';

function readBaseArgs(r: ConfigReader, name: string): BaseLayerArgs {
  let dtype = r.raw('dtype');
  if (isRecord(dtype) && isRecord(dtype.config)) dtype = dtype.config.name;
  if (dtype !== undefined && !LAYER_DTYPES.includes(dtype as LayerDType)) r.fail('dtype', `one of ${LAYER_DTYPES.join('|')}`, dtype);
  return { name, trainable: r.boolean('trainable', true), dtype: dtype as LayerDType | undefined };
}

/**
 * What every layer's arguments include: name, trainable and dtype, and any key in its Keras snake_case
 * spelling as well as the camelCase one (the config reader rejects keys the layer does not take).
 */
export interface LayerOptions extends BaseLayerArgs {
  readonly [snakeCase: string]: unknown;
}

/** A layer constructor's start: a reader over its config keys, and the base arguments for Layer. */
export interface OpenedLayerArgs {
  /** Names the layer (`${className} layer`, its name) in its errors. */
  readonly reader: ConfigReader;
  readonly base: BaseLayerArgs;
}

/**
 * Read a layer's arguments: its name is the given one or the next default for snakeBase (Keras
 * auto_name), unknown keys are rejected, then name, trainable and dtype are read.
 */
export function openLayerArgs(className: string, snakeBase: string, args: LayerOptions, keys: readonly string[]): OpenedLayerArgs {
  const name = typeof args.name === 'string' ? args.name : defaultName(snakeBase);
  const where: ArgumentSite = { op: `${className} layer`, node: name, argument: '' };
  const reader = new ConfigReader(className, args, where, keys);
  return { reader, base: readBaseArgs(reader, name) };
}
