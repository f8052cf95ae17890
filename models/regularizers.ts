// Keras 3 weight regularizers L1, L2, L1L2 (keras/src/regularizers/regularizers.py): the float64
// penalty a layer adds to the loss, name and config resolution, serialization.

import type { ArgumentSite, ConfigReader } from './config-reader.js';
import { buildFromConfig, getFromRegistry, type KerasObjectSpec, type KerasRegistry } from './keras-registry.js';

export type RegularizerConfig = Record<string, number>;

export interface Regularizer {
  /** Keras class name: 'L1', 'L2' or 'L1L2'. */
  readonly className: string;
  getConfig(): RegularizerConfig;
  /** The penalty for weight values `w`, in float64. */
  penalty(w: ArrayLike<number>): number;
}

export type RegularizerSpec =
  | 'l1' | 'l2' | 'l1_l2' | 'l1l2' | 'L1' | 'L2' | 'L1L2'
  | KerasObjectSpec<Regularizer>;

export interface SerializedRegularizer {
  className: string;
  config: RegularizerConfig;
}

type RegularizerClass = 'L1' | 'L2' | 'L1L2';

/** l1 * sum(|w|) + l2 * sum(w^2); Keras L1L2.__call__ adds only the non-zero terms. */
class L1L2Regularizer implements Regularizer {
  constructor(readonly className: RegularizerClass, private readonly l1: number, private readonly l2: number) {}

  getConfig(): RegularizerConfig {
    if (this.className === 'L1') return { l1: this.l1 };
    if (this.className === 'L2') return { l2: this.l2 };
    return { l1: this.l1, l2: this.l2 };
  }

  penalty(w: ArrayLike<number>): number {
    let abs = 0;
    let sq = 0;
    for (let i = 0; i < w.length; i++) {
      abs += Math.abs(w[i]);
      sq += w[i] * w[i];
    }
    return (this.l1 !== 0 ? this.l1 * abs : 0) + (this.l2 !== 0 ? this.l2 * sq : 0);
  }
}

/** regularizers.py validate_float_arg: a non-negative finite float; None gives the default. */
function factor(cfg: ConfigReader, key: 'l1' | 'l2', fallback: number): number {
  return cfg.number(key, fallback, 'a non-negative finite number', (v) => Number.isFinite(v) && v >= 0);
}

/** Keras defaults: L1(l1=0.01), L2(l2=0.01), L1L2(l1=0.0, l2=0.0). */
const BUILDERS: { readonly [C in RegularizerClass]: readonly [readonly string[], (cfg: ConfigReader) => Regularizer] } = {
  L1: [['l1'], (cfg) => new L1L2Regularizer('L1', factor(cfg, 'l1', 0.01), 0)],
  L2: [['l2'], (cfg) => new L1L2Regularizer('L2', 0, factor(cfg, 'l2', 0.01))],
  L1L2: [['l1', 'l2'], (cfg) => new L1L2Regularizer('L1L2', factor(cfg, 'l1', 0.0), factor(cfg, 'l2', 0.0))],
};

/** Names from keras/src/regularizers/__init__.py (class names and snake_case), plus 'l1l2'. */
const NAME_TABLE: ReadonlyMap<string, RegularizerClass> = new Map<string, RegularizerClass>([
  ['L1', 'L1'], ['l1', 'L1'],
  ['L2', 'L2'], ['l2', 'L2'],
  ['L1L2', 'L1L2'], ['l1_l2', 'L1L2'], ['l1l2', 'L1L2'],
]);

function isRegularizer(v: object): v is Regularizer {
  return 'penalty' in v && typeof v.penalty === 'function' && 'getConfig' in v && typeof v.getConfig === 'function';
}

const REGISTRY: KerasRegistry<Regularizer, RegularizerClass> = { article: 'a', noun: 'regularizer', typeName: 'Regularizer', isInstance: isRegularizer, builders: BUILDERS, names: NAME_TABLE };

function build(className: RegularizerClass, config: unknown, where: ArgumentSite): Regularizer {
  return buildFromConfig(REGISTRY, className, config, where);
}

const DIRECT: ArgumentSite = { op: 'regularizer', node: '', argument: '' };

/** keras.regularizers.L1(l1=0.01). */
export function l1(l1 = 0.01, where: ArgumentSite = { ...DIRECT, node: 'L1' }): Regularizer {
  return build('L1', { l1 }, where);
}

/** keras.regularizers.L2(l2=0.01). */
export function l2(l2 = 0.01, where: ArgumentSite = { ...DIRECT, node: 'L2' }): Regularizer {
  return build('L2', { l2 }, where);
}

/** keras.regularizers.L1L2(l1=0.0, l2=0.0). */
export function l1l2(l1 = 0.0, l2 = 0.0, where: ArgumentSite = { ...DIRECT, node: 'L1L2' }): Regularizer {
  return build('L1L2', { l1, l2 }, where);
}

/** keras.regularizers.get: a name, a {className|class_name, config} object, or a Regularizer. */
export function getRegularizer(spec: RegularizerSpec, where: ArgumentSite): Regularizer {
  return getFromRegistry(REGISTRY, spec, where);
}

/** keras.regularizers.serialize, in kiln's {className, config} form. */
export function serializeRegularizer(r: Regularizer): SerializedRegularizer {
  return { className: r.className, config: r.getConfig() };
}
