// The standard layer arguments (name, trainable, dtype) read from a layer's config; dtype may be a
// string or a Keras DTypePolicy object ({class_name: 'DTypePolicy', config: {name}}).

import { isRecord, type ConfigReader } from '../config-reader.js';
import { LAYER_DTYPES, type BaseLayerArgs, type LayerDType } from '../layer.js';

export function readBaseArgs(r: ConfigReader, name: string): BaseLayerArgs {
  let dtype = r.raw('dtype');
  if (isRecord(dtype) && isRecord(dtype.config)) dtype = dtype.config.name;
  if (dtype !== undefined && !LAYER_DTYPES.includes(dtype as LayerDType)) r.fail('dtype', `one of ${LAYER_DTYPES.join('|')}`, dtype);
  return { name, trainable: r.boolean('trainable', true), dtype: dtype as LayerDType | undefined };
}
