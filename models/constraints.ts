// Keras 3 weight constraints NonNeg, MaxNorm, MinMaxNorm, UnitNorm
// (keras/src/constraints/constraints.py): float64 projections applied after each weight update.

import { ArgumentError, describeShape } from '../core/errors.js';
import { normalizeAxis, sizeOf, stridesOf } from '../core/shape.js';
import { type ArgumentSite, type ConfigReader, describeValue } from './config-reader.js';
import { buildFromConfig, getFromRegistry, type KerasObjectSpec, type KerasRegistry } from './keras-registry.js';

/** One axis or several (Keras accepts an int or a list, e.g. [0, 1, 2] for a Conv2D kernel). */
export type ConstraintAxis = number | readonly number[];
export type ConstraintConfig = Record<string, number | readonly number[]>;

export interface Constraint {
  /** Keras class name, e.g. 'MaxNorm'. */
  readonly className: string;
  getConfig(): ConstraintConfig;
  /** The projected weight (a new array) for row-major values `w` of the given shape. */
  apply(w: Float64Array, shape: readonly number[]): Float64Array;
}

export type ConstraintSpec =
  | 'nonNeg' | 'non_neg' | 'NonNeg' | 'maxNorm' | 'max_norm' | 'MaxNorm'
  | 'minMaxNorm' | 'min_max_norm' | 'MinMaxNorm' | 'unitNorm' | 'unit_norm' | 'UnitNorm'
  | KerasObjectSpec<Constraint>;

export interface SerializedConstraint {
  className: string;
  config: ConstraintConfig;
}

/** keras/src/backend/config.py: backend.epsilon() defaults to 1e-7, added to every norm divisor. */
const EPSILON = 1e-7;

function checkSize(w: Float64Array, shape: readonly number[], where: ArgumentSite): void {
  if (shape.every((d) => Number.isSafeInteger(d) && d >= 0) && sizeOf(shape) === w.length) return;
  throw new ArgumentError({ op: where.op, node: where.node }, where.argument || 'weight', `values matching shape ${describeShape(shape)}`, `${w.length} values`);
}

/**
 * sqrt(sum(w^2, axis, keepdims=True)) broadcast back: norms[i] is the norm of the slice through
 * element i along the reduced axes. For a 1-D weight (BatchNormalization gamma/beta) and axis 0
 * that is the norm of the whole vector.
 */
function sliceNorms(w: Float64Array, shape: readonly number[], axis: ConstraintAxis, where: ArgumentSite): Float64Array {
  const axes = new Set<number>();
  for (const a of typeof axis === 'number' ? [axis] : axis) {
    const n = normalizeAxis(a, shape.length);
    if (n === undefined || axes.has(n)) {
      const argument = where.argument === '' ? 'axis' : `${where.argument}.axis`;
      throw new ArgumentError({ op: where.op, node: where.node }, argument, `distinct axes in [-${shape.length}, ${shape.length}) for weight shape ${describeShape(shape)}`, describeValue(axis));
    }
    axes.add(n);
  }
  const strides = stridesOf(shape);
  const group = new Uint32Array(w.length);
  let groups = 1;
  for (let d = 0; d < shape.length; d++) if (!axes.has(d)) groups *= shape[d];
  const sums = new Float64Array(groups);
  for (let i = 0; i < w.length; i++) {
    let g = 0;
    for (let d = 0; d < shape.length; d++) {
      if (!axes.has(d)) g = g * shape[d] + (Math.floor(i / strides[d]) % shape[d]);
    }
    group[i] = g;
    sums[g] += w[i] * w[i];
  }
  const norms = new Float64Array(w.length);
  for (let i = 0; i < w.length; i++) norms[i] = Math.sqrt(sums[group[i]]);
  return norms;
}

const clip = (x: number, lo: number, hi: number): number => Math.min(Math.max(x, lo), hi);

/** NonNeg: maximum(w, 0). */
class NonNegConstraint implements Constraint {
  readonly className = 'NonNeg';
  constructor(private readonly where: ArgumentSite) {}
  getConfig(): ConstraintConfig {
    return {};
  }
  apply(w: Float64Array, shape: readonly number[]): Float64Array {
    checkSize(w, shape, this.where);
    return w.map((v) => (v < 0 ? 0 : v));
  }
}

/** MaxNorm(max_value=2, axis=0): w * (clip(norms, 0, max_value) / (epsilon + norms)). */
class MaxNormConstraint implements Constraint {
  readonly className = 'MaxNorm';
  constructor(private readonly maxValue: number, private readonly axis: ConstraintAxis, private readonly where: ArgumentSite) {}
  getConfig(): ConstraintConfig {
    return { max_value: this.maxValue, axis: this.axis };
  }
  apply(w: Float64Array, shape: readonly number[]): Float64Array {
    checkSize(w, shape, this.where);
    const norms = sliceNorms(w, shape, this.axis, this.where);
    return w.map((v, i) => v * (clip(norms[i], 0, this.maxValue) / (EPSILON + norms[i])));
  }
}

/**
 * MinMaxNorm(min_value=0.0, max_value=1.0, rate=1.0, axis=0):
 * w * ((rate * clip(norms, min_value, max_value) + (1 - rate) * norms) / (epsilon + norms)).
 */
class MinMaxNormConstraint implements Constraint {
  readonly className = 'MinMaxNorm';
  constructor(
    private readonly minValue: number,
    private readonly maxValue: number,
    private readonly rate: number,
    private readonly axis: ConstraintAxis,
    private readonly where: ArgumentSite,
  ) {}
  getConfig(): ConstraintConfig {
    return { min_value: this.minValue, max_value: this.maxValue, rate: this.rate, axis: this.axis };
  }
  apply(w: Float64Array, shape: readonly number[]): Float64Array {
    checkSize(w, shape, this.where);
    const norms = sliceNorms(w, shape, this.axis, this.where);
    return w.map((v, i) => {
      const desired = this.rate * clip(norms[i], this.minValue, this.maxValue) + (1 - this.rate) * norms[i];
      return v * (desired / (EPSILON + norms[i]));
    });
  }
}

/** UnitNorm(axis=0): w / (epsilon + norms). */
class UnitNormConstraint implements Constraint {
  readonly className = 'UnitNorm';
  constructor(private readonly axis: ConstraintAxis, private readonly where: ArgumentSite) {}
  getConfig(): ConstraintConfig {
    return { axis: this.axis };
  }
  apply(w: Float64Array, shape: readonly number[]): Float64Array {
    checkSize(w, shape, this.where);
    const norms = sliceNorms(w, shape, this.axis, this.where);
    return w.map((v, i) => v / (EPSILON + norms[i]));
  }
}

// ---------------------------------------------------------------------------------------------
// Resolution (keras/src/constraints/__init__.py get / deserialize).

type ConstraintClass = 'NonNeg' | 'MaxNorm' | 'MinMaxNorm' | 'UnitNorm';

/** An int or a list of ints; the shape-dependent range check happens in apply(). */
function readAxis(cfg: ConfigReader): ConstraintAxis {
  const v = cfg.raw('axis');
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  if (Array.isArray(v)) {
    const items: readonly unknown[] = v;
    const axes = items.filter((a): a is number => typeof a === 'number' && Number.isSafeInteger(a));
    if (axes.length === items.length) return axes;
  }
  return cfg.fail('axis', 'an integer or a list of integers', v);
}

const nonNegative = (v: number): boolean => Number.isFinite(v) && v >= 0;

const BUILDERS: { readonly [C in ConstraintClass]: readonly [readonly string[], (cfg: ConfigReader) => Constraint] } = {
  NonNeg: [[], (cfg) => new NonNegConstraint(cfg.where)],
  MaxNorm: [['max_value', 'axis'], (cfg) => new MaxNormConstraint(
    cfg.number('max_value', 2, 'a non-negative finite number', nonNegative),
    readAxis(cfg),
    cfg.where,
  )],
  MinMaxNorm: [['min_value', 'max_value', 'rate', 'axis'], (cfg) => {
    const minValue = cfg.number('min_value', 0.0, 'a non-negative finite number', nonNegative);
    const maxValue = cfg.number('max_value', 1.0, `a finite number >= min_value (${minValue})`, (v) => Number.isFinite(v) && v >= minValue);
    const rate = cfg.number('rate', 1.0, 'a number in [0, 1]', (v) => v >= 0 && v <= 1);
    return new MinMaxNormConstraint(minValue, maxValue, rate, readAxis(cfg), cfg.where);
  }],
  UnitNorm: [['axis'], (cfg) => new UnitNormConstraint(readAxis(cfg), cfg.where)],
};

/** Class names, Keras snake_case names, and kiln's camelCase names. */
const NAME_TABLE: ReadonlyMap<string, ConstraintClass> = new Map<string, ConstraintClass>([
  ['NonNeg', 'NonNeg'], ['non_neg', 'NonNeg'], ['nonNeg', 'NonNeg'],
  ['MaxNorm', 'MaxNorm'], ['max_norm', 'MaxNorm'], ['maxNorm', 'MaxNorm'],
  ['MinMaxNorm', 'MinMaxNorm'], ['min_max_norm', 'MinMaxNorm'], ['minMaxNorm', 'MinMaxNorm'],
  ['UnitNorm', 'UnitNorm'], ['unit_norm', 'UnitNorm'], ['unitNorm', 'UnitNorm'],
]);

function isConstraint(v: object): v is Constraint {
  return 'apply' in v && typeof v.apply === 'function' && 'getConfig' in v && typeof v.getConfig === 'function';
}

const REGISTRY: KerasRegistry<Constraint, ConstraintClass> = { article: 'a', noun: 'constraint', typeName: 'Constraint', isInstance: isConstraint, builders: BUILDERS, names: NAME_TABLE };

function build(className: ConstraintClass, config: unknown, where: ArgumentSite): Constraint {
  return buildFromConfig(REGISTRY, className, config, where);
}

const direct = (node: string): ArgumentSite => ({ op: 'constraint', node, argument: '' });

/** keras.constraints.NonNeg(). */
export function nonNeg(where: ArgumentSite = direct('NonNeg')): Constraint {
  return build('NonNeg', {}, where);
}

/** keras.constraints.MaxNorm(max_value=2, axis=0). */
export function maxNorm(maxValue = 2, axis: ConstraintAxis = 0, where: ArgumentSite = direct('MaxNorm')): Constraint {
  return build('MaxNorm', { max_value: maxValue, axis }, where);
}

/** keras.constraints.MinMaxNorm(min_value=0.0, max_value=1.0, rate=1.0, axis=0). */
export function minMaxNorm(minValue = 0.0, maxValue = 1.0, rate = 1.0, axis: ConstraintAxis = 0, where: ArgumentSite = direct('MinMaxNorm')): Constraint {
  return build('MinMaxNorm', { min_value: minValue, max_value: maxValue, rate, axis }, where);
}

/** keras.constraints.UnitNorm(axis=0). */
export function unitNorm(axis: ConstraintAxis = 0, where: ArgumentSite = direct('UnitNorm')): Constraint {
  return build('UnitNorm', { axis }, where);
}

/** keras.constraints.get: a name, a {className|class_name, config} object, or a Constraint. */
export function getConstraint(spec: ConstraintSpec, where: ArgumentSite): Constraint {
  return getFromRegistry(REGISTRY, spec, where);
}

/** keras.constraints.serialize, in kiln's {className, config} form. */
export function serializeConstraint(c: Constraint): SerializedConstraint {
  return { className: c.className, config: c.getConfig() };
}
