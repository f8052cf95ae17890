// Keras 3 weight initializers (keras/src/initializers/*.py): name and config resolution, float64
// value generation, serialization.

import { ArgumentError, describeShape } from '../core/errors.js';
import { Rng, seedOrRandom } from '../core/rng.js';
import { type ArgumentSite, ConfigReader, type RawConfig } from './config-reader.js';
import { getFromRegistry, type KerasObjectSpec, type KerasRegistry } from './keras-registry.js';

export type { ArgumentSite, RawConfig };

export type InitializerName =
  | 'zeros' | 'ones' | 'constant' | 'randomNormal' | 'randomUniform' | 'truncatedNormal'
  | 'glorotUniform' | 'glorotNormal' | 'heNormal' | 'heUniform' | 'lecunNormal' | 'lecunUniform'
  | 'varianceScaling' | 'orthogonal' | 'identity';

export type InitializerConfig = Record<string, number | string | null>;

export interface Initializer {
  /** Keras class name, e.g. 'RandomNormal'. */
  readonly className: string;
  /** Keras get_config() keys and values. */
  getConfig(): InitializerConfig;
  /** Row-major float64 values for a weight of this shape; callers round to their dtype. */
  generate(shape: readonly number[]): Float64Array;
}

export type InitializerSpec =
  | InitializerName
  | KerasObjectSpec<Initializer>;

export interface SerializedInitializer {
  className: string;
  config: InitializerConfig;
}

// ---------------------------------------------------------------------------------------------
// Fans and random draws.

/**
 * keras/src/initializers/random_initializers.py compute_fans: rank 0 → (1, 1); rank 1 → (n, n);
 * rank 2 → (in, out); higher ranks (conv kernels, channels last) multiply the last two dims by
 * the receptive field, the product of all leading dims.
 */
export function computeFans(shape: readonly number[]): [fanIn: number, fanOut: number] {
  if (shape.length === 0) return [1, 1];
  if (shape.length === 1) return [shape[0], shape[0]];
  if (shape.length === 2) return [shape[0], shape[1]];
  let receptive = 1;
  for (const d of shape.slice(0, -2)) receptive *= d;
  return [shape[shape.length - 2] * receptive, shape[shape.length - 1] * receptive];
}

/** Standard deviation of a unit normal truncated to [-2, 2] (random_initializers.py VarianceScaling). */
export const TRUNCATED_NORMAL_STDDEV = 0.87962566103423978;

function drawNormal(rng: Rng, n: number, mean: number, stddev: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = mean + stddev * rng.normal();
  return out;
}

/** keras random.truncated_normal: values more than two stddevs from the mean are redrawn. */
function drawTruncatedNormal(rng: Rng, n: number, mean: number, stddev: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let z = rng.normal();
    while (Math.abs(z) > 2) z = rng.normal();
    out[i] = mean + stddev * z;
  }
  return out;
}

/** keras random.uniform: [minval, maxval); a draw that rounds up onto maxval is redrawn. */
function drawUniform(rng: Rng, n: number, minval: number, maxval: number): Float64Array {
  const out = new Float64Array(n);
  const width = maxval - minval;
  for (let i = 0; i < n; i++) {
    let v = minval + width * rng.uniform();
    while (width > 0 && v >= maxval) v = minval + width * rng.uniform();
    out[i] = v;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Initializer classes.

function shapeError(where: ArgumentSite, expected: string, shape: readonly number[]): ArgumentError {
  return new ArgumentError({ op: where.op, node: where.node }, where.argument || 'shape', expected, describeShape(shape));
}

function checkedSize(shape: readonly number[], where: ArgumentSite, className: string): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw shapeError(where, `a shape of non-negative integers (${className})`, shape);
    }
    n *= d;
  }
  return n;
}

/** keras constant_initializers.py Zeros, Ones, Constant(value=0.0). */
class ConstantInitializer implements Initializer {
  constructor(readonly className: 'Zeros' | 'Ones' | 'Constant', private readonly value: number, private readonly where: ArgumentSite) {}
  getConfig(): InitializerConfig {
    return this.className === 'Constant' ? { value: this.value } : {};
  }
  generate(shape: readonly number[]): Float64Array {
    return new Float64Array(checkedSize(shape, this.where, this.className)).fill(this.value);
  }
}

/**
 * keras random_initializers.py RandomInitializer: an integer seed, or None for a random one drawn
 * once, so that every call of one initializer gives the same values (as Keras documents).
 */
abstract class SeededInitializer implements Initializer {
  abstract readonly className: string;
  private readonly drawSeed: number;
  constructor(protected readonly seed: number | null, protected readonly where: ArgumentSite) {
    this.drawSeed = seedOrRandom(seed);
  }
  protected rng(): Rng {
    return new Rng(this.drawSeed);
  }
  protected size(shape: readonly number[]): number {
    return checkedSize(shape, this.where, this.className);
  }
  abstract getConfig(): InitializerConfig;
  abstract generate(shape: readonly number[]): Float64Array;
}

/** RandomNormal / TruncatedNormal(mean=0.0, stddev=0.05, seed=None). */
class NormalInitializer extends SeededInitializer {
  constructor(readonly className: 'RandomNormal' | 'TruncatedNormal', private readonly mean: number, private readonly stddev: number, seed: number | null, where: ArgumentSite) {
    super(seed, where);
  }
  getConfig(): InitializerConfig {
    return { seed: this.seed, mean: this.mean, stddev: this.stddev };
  }
  generate(shape: readonly number[]): Float64Array {
    const draw = this.className === 'TruncatedNormal' ? drawTruncatedNormal : drawNormal;
    return draw(this.rng(), this.size(shape), this.mean, this.stddev);
  }
}

/** RandomUniform(minval=-0.05, maxval=0.05, seed=None). */
class UniformInitializer extends SeededInitializer {
  readonly className = 'RandomUniform';
  constructor(private readonly minval: number, private readonly maxval: number, seed: number | null, where: ArgumentSite) {
    super(seed, where);
  }
  getConfig(): InitializerConfig {
    return { seed: this.seed, minval: this.minval, maxval: this.maxval };
  }
  generate(shape: readonly number[]): Float64Array {
    return drawUniform(this.rng(), this.size(shape), this.minval, this.maxval);
  }
}

type FanMode = 'fan_in' | 'fan_out' | 'fan_avg';
type Distribution = 'truncated_normal' | 'untruncated_normal' | 'uniform';
type VarianceScalingClass = 'VarianceScaling' | 'GlorotUniform' | 'GlorotNormal' | 'HeNormal' | 'HeUniform' | 'LecunNormal' | 'LecunUniform';

/** VarianceScaling(scale=1.0, mode='fan_in', distribution='truncated_normal') and its presets. */
class VarianceScalingInitializer extends SeededInitializer {
  constructor(
    readonly className: VarianceScalingClass,
    private readonly scale: number,
    private readonly mode: FanMode,
    private readonly distribution: Distribution,
    seed: number | null,
    where: ArgumentSite,
  ) {
    super(seed, where);
  }
  getConfig(): InitializerConfig {
    // The presets (GlorotUniform, HeNormal, ...) serialize only their seed in Keras.
    if (this.className !== 'VarianceScaling') return { seed: this.seed };
    return { seed: this.seed, scale: this.scale, mode: this.mode, distribution: this.distribution };
  }
  generate(shape: readonly number[]): Float64Array {
    const n = this.size(shape);
    const [fanIn, fanOut] = computeFans(shape);
    const fan = this.mode === 'fan_in' ? fanIn : this.mode === 'fan_out' ? fanOut : (fanIn + fanOut) / 2;
    const scale = this.scale / Math.max(1, fan);
    switch (this.distribution) {
      case 'truncated_normal': // stddev after truncation is sqrt(scale)
        return drawTruncatedNormal(this.rng(), n, 0, Math.sqrt(scale) / TRUNCATED_NORMAL_STDDEV);
      case 'untruncated_normal':
        return drawNormal(this.rng(), n, 0, Math.sqrt(scale));
      case 'uniform': {
        const limit = Math.sqrt(3 * scale);
        return drawUniform(this.rng(), n, -limit, limit);
      }
    }
  }
}

/** Orthonormalizes the k columns of a row-major n×k matrix in place (modified Gram-Schmidt, twice). */
function orthonormalizeColumns(a: Float64Array, n: number, k: number): void {
  for (let j = 0; j < k; j++) {
    // Two passes ("twice is enough", Giraud et al. 2005) keep Q^T Q = I to machine precision.
    for (let pass = 0; pass < 2; pass++) {
      for (let p = 0; p < j; p++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += a[i * k + p] * a[i * k + j];
        for (let i = 0; i < n; i++) a[i * k + j] -= dot * a[i * k + p];
      }
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += a[i * k + j] * a[i * k + j];
    norm = Math.sqrt(norm);
    // A zero column stays zero, as Keras's q * sign(diag(r)) leaves it.
    if (norm > 0) for (let i = 0; i < n; i++) a[i * k + j] /= norm;
  }
}

/**
 * Orthogonal(gain=1.0, seed=None): the Q of a QR decomposition of a normal (max, min) matrix, its
 * columns signed so diag(R) > 0 (Gram-Schmidt gives that R), transposed when rows < cols, where
 * rows is the product of all but the last dim.
 */
class OrthogonalInitializer extends SeededInitializer {
  readonly className = 'Orthogonal';
  constructor(private readonly gain: number, seed: number | null, where: ArgumentSite) {
    super(seed, where);
  }
  getConfig(): InitializerConfig {
    return { seed: this.seed, gain: this.gain };
  }
  generate(shape: readonly number[]): Float64Array {
    const size = this.size(shape);
    if (shape.length < 2) {
      throw shapeError(this.where, 'a shape of rank >= 2 (Orthogonal)', shape);
    }
    const cols = shape[shape.length - 1];
    const rows = size === 0 ? 0 : size / cols;
    const n = Math.max(rows, cols);
    const k = Math.min(rows, cols);
    const q = drawNormal(this.rng(), n * k, 0, 1);
    orthonormalizeColumns(q, n, k);
    const out = new Float64Array(size);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        out[r * cols + c] = this.gain * (rows >= cols ? q[r * k + c] : q[c * k + r]);
      }
    }
    return out;
  }
}

/** Identity(gain=1.0): gain * eye(rows, cols), 2-D only. */
class IdentityInitializer implements Initializer {
  readonly className = 'Identity';
  constructor(private readonly gain: number, private readonly where: ArgumentSite) {}
  getConfig(): InitializerConfig {
    // Keras 3 Identity.get_config() returns {} and so loses gain; kiln keeps it.
    return { gain: this.gain };
  }
  generate(shape: readonly number[]): Float64Array {
    const size = checkedSize(shape, this.where, this.className);
    if (shape.length !== 2) {
      throw shapeError(this.where, 'a shape of rank 2 (Identity)', shape);
    }
    const out = new Float64Array(size);
    for (let i = 0; i < Math.min(shape[0], shape[1]); i++) out[i * shape[1] + i] = this.gain;
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// Resolution by name or config (keras/src/initializers/__init__.py get / deserialize).

type InitializerClass =
  | 'Zeros' | 'Ones' | 'Constant' | 'RandomNormal' | 'RandomUniform' | 'TruncatedNormal' | VarianceScalingClass
  | 'Orthogonal' | 'Identity';

const CLASS_OF: { readonly [N in InitializerName]: InitializerClass } = {
  zeros: 'Zeros',
  ones: 'Ones',
  constant: 'Constant',
  randomNormal: 'RandomNormal',
  randomUniform: 'RandomUniform',
  truncatedNormal: 'TruncatedNormal',
  glorotUniform: 'GlorotUniform',
  glorotNormal: 'GlorotNormal',
  heNormal: 'HeNormal',
  heUniform: 'HeUniform',
  lecunNormal: 'LecunNormal',
  lecunUniform: 'LecunUniform',
  varianceScaling: 'VarianceScaling',
  orthogonal: 'Orthogonal',
  identity: 'Identity',
};

type Builder = (cfg: ConfigReader) => Initializer;
const FAN_KEYS = ['seed', 'input_axes', 'output_axes'];

/** Keras 3.x VarianceScaling input_axes/output_axes: only the default (None) is supported. */
function rejectFanAxes(cfg: ConfigReader): void {
  for (const key of ['input_axes', 'output_axes']) {
    const v = cfg.raw(key);
    if (v !== undefined && v !== null) cfg.fail(key, 'null (custom fan axes are not supported by kiln)', v);
  }
}

function preset(className: VarianceScalingClass, scale: number, mode: FanMode, distribution: Distribution): [readonly string[], Builder] {
  return [FAN_KEYS, (cfg) => {
    rejectFanAxes(cfg);
    return new VarianceScalingInitializer(className, scale, mode, distribution, cfg.seed(), cfg.where);
  }];
}

function normalInit(className: 'RandomNormal' | 'TruncatedNormal'): [readonly string[], Builder] {
  return [['mean', 'stddev', 'seed'], (cfg) => new NormalInitializer(
    className,
    cfg.number('mean', 0.0),
    cfg.number('stddev', 0.05, 'a finite number >= 0', (v) => Number.isFinite(v) && v >= 0),
    cfg.seed(),
    cfg.where,
  )];
}

/** Each Keras class: its config keys and how to build it; defaults are Keras 3's. */
const BUILDERS: { readonly [C in InitializerClass]: readonly [readonly string[], Builder] } = {
  Zeros: [[], (cfg) => new ConstantInitializer('Zeros', 0, cfg.where)],
  Ones: [[], (cfg) => new ConstantInitializer('Ones', 1, cfg.where)],
  Constant: [['value'], (cfg) => new ConstantInitializer('Constant', cfg.number('value', 0.0, 'a number', () => true), cfg.where)],
  RandomNormal: normalInit('RandomNormal'),
  TruncatedNormal: normalInit('TruncatedNormal'),
  RandomUniform: [['minval', 'maxval', 'seed'], (cfg) => {
    const minval = cfg.number('minval', -0.05);
    const maxval = cfg.number('maxval', 0.05);
    if (maxval < minval) cfg.fail('maxval', `a number >= minval (${minval})`, maxval);
    return new UniformInitializer(minval, maxval, cfg.seed(), cfg.where);
  }],
  VarianceScaling: [['scale', 'mode', 'distribution', ...FAN_KEYS], (cfg) => {
    rejectFanAxes(cfg);
    const scale = cfg.number('scale', 1.0, 'a positive finite number', (v) => Number.isFinite(v) && v > 0);
    const mode = cfg.choice<FanMode>('mode', 'fan_in', ['fan_in', 'fan_out', 'fan_avg']);
    // Keras lower-cases the distribution and reads 'normal' as 'truncated_normal'.
    const distribution = cfg.choice<Distribution>('distribution', 'truncated_normal', ['truncated_normal', 'untruncated_normal', 'uniform'],
      (s) => (s.toLowerCase() === 'normal' ? 'truncated_normal' : s.toLowerCase()));
    return new VarianceScalingInitializer('VarianceScaling', scale, mode, distribution, cfg.seed(), cfg.where);
  }],
  GlorotUniform: preset('GlorotUniform', 1.0, 'fan_avg', 'uniform'),
  GlorotNormal: preset('GlorotNormal', 1.0, 'fan_avg', 'truncated_normal'),
  HeNormal: preset('HeNormal', 2.0, 'fan_in', 'truncated_normal'),
  HeUniform: preset('HeUniform', 2.0, 'fan_in', 'uniform'),
  LecunNormal: preset('LecunNormal', 1.0, 'fan_in', 'truncated_normal'),
  LecunUniform: preset('LecunUniform', 1.0, 'fan_in', 'uniform'),
  Orthogonal: [['gain', 'seed'], (cfg) => new OrthogonalInitializer(cfg.number('gain', 1.0), cfg.seed(), cfg.where)],
  Identity: [['gain'], (cfg) => new IdentityInitializer(cfg.number('gain', 1.0), cfg.where)],
};

/** keras/src/utils/naming.py to_snake_case, for the class names above. */
function snakeOf(className: string): string {
  return className.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/** Every accepted identifier → Keras class: camelCase names, class names, snake_case, Keras aliases. */
const CLASSES: readonly InitializerClass[] = Object.values(CLASS_OF);
const NAME_TABLE: ReadonlyMap<string, InitializerClass> = new Map<string, InitializerClass>([
  ...Object.entries(CLASS_OF),
  ...CLASSES.map((c): [string, InitializerClass] => [c, c]),
  ...CLASSES.map((c): [string, InitializerClass] => [snakeOf(c), c]),
  // Aliases from keras/src/initializers/__init__.py ALL_OBJECTS_DICT.
  ['normal', 'RandomNormal'],
  ['uniform', 'RandomUniform'],
  ['one', 'Ones'],
  ['zero', 'Zeros'],
  ['IdentityInitializer', 'Identity'],
  ['OrthogonalInitializer', 'Orthogonal'],
]);

function isInitializer(v: object): v is Initializer {
  return 'generate' in v && typeof v.generate === 'function' && 'getConfig' in v && typeof v.getConfig === 'function';
}

const REGISTRY: KerasRegistry<Initializer, InitializerClass> = { article: 'an', noun: 'initializer', typeName: 'Initializer', isInstance: isInitializer, builders: BUILDERS, names: NAME_TABLE };

/**
 * Resolves an initializer argument the way keras.initializers.get does: a name (camelCase,
 * snake_case or Keras class name), a {className|class_name, config} object, or an Initializer.
 */
export function getInitializer(spec: InitializerSpec, where: ArgumentSite): Initializer {
  return getFromRegistry(REGISTRY, spec, where);
}

/** keras.initializers.serialize, in kiln's {className, config} form. */
export function serializeInitializer(init: Initializer): SerializedInitializer {
  return { className: init.className, config: init.getConfig() };
}
