// A model's topology as a Keras-style functional config (layers with their configs and the tensors
// they read), so a model can be rebuilt from it: used for ONNX metadata (import(export(m)) restores
// the same layers) and by Model.getConfig.

import { ArgumentError } from '../core/errors.js';
import { isDType, type DType } from '../core/dtype.js';
import type { KerasConfig, KerasConfigValue, Layer } from './layer.js';
import { layerFromConfig } from './layers/index.js';
import { Model } from './model.js';
import { applicationOrder, SymbolicTensor, type UserShape } from './symbolic.js';

export interface FunctionalConfig {
  readonly class_name: 'Functional';
  readonly config: {
    readonly name: string;
    readonly inputs: readonly { readonly name: string; readonly shape: UserShape; readonly dtype: DType }[];
    /** Layer applications in order; `inbound` indexes tensors: inputs first, then each application's output. */
    readonly layers: readonly { readonly class_name: string; readonly config: KerasConfig; readonly inbound: readonly number[] }[];
    readonly outputs: readonly number[];
  };
}

export function modelToConfig(model: Model): FunctionalConfig {
  const index = new Map<number, number>();
  model.inputs.forEach((t, i) => index.set(t.id, i));
  const layers: { class_name: string; config: KerasConfig; inbound: number[] }[] = [];
  for (const t of applicationOrder(model.outputs)) {
    if (t.source === undefined) continue;
    const inbound = t.source.inputs.map((x) => {
      const k = index.get(x.id);
      if (k === undefined) throw new ArgumentError({ op: 'Model', node: model.name }, 'inputs', 'every tensor the outputs use to come from the model inputs', `'${x.name}'`);
      return k;
    });
    layers.push({ class_name: t.source.layer.className, config: t.source.layer.getConfig(), inbound });
    index.set(t.id, model.inputs.length + layers.length - 1);
  }
  return {
    class_name: 'Functional',
    config: {
      name: model.name,
      inputs: model.inputs.map((t) => ({ name: t.name, shape: t.shape, dtype: t.dtype })),
      layers,
      outputs: model.outputs.map((t) => index.get(t.id)!),
    },
  };
}

function isShape(v: unknown): v is UserShape {
  return Array.isArray(v) && v.every((d) => d === null || typeof d === 'number');
}

/** Rebuild a model (new, unbuilt-then-built layers with fresh weights) from its functional config. */
export function modelFromConfig(cfg: FunctionalConfig): Model {
  const site = { op: 'modelFromConfig', node: String(cfg?.config?.name) };
  if (cfg?.class_name !== 'Functional' || !Array.isArray(cfg.config?.layers as unknown)) {
    throw new ArgumentError(site, 'config', "a {class_name: 'Functional', config: {inputs, layers, outputs}} object", JSON.stringify(cfg)?.slice(0, 80) ?? 'nothing');
  }
  const tensors: SymbolicTensor[] = cfg.config.inputs.map((inp) => {
    if (!isShape(inp.shape) || !isDType(inp.dtype)) throw new ArgumentError(site, 'inputs', 'shape and dtype per input', JSON.stringify(inp));
    return new SymbolicTensor(inp.shape, inp.dtype, undefined, inp.name);
  });
  const byName = new Map<string, Layer>();
  for (const l of cfg.config.layers) {
    const name = l.config.name as KerasConfigValue;
    // A layer applied several times appears once per application with the same name.
    const layer = (typeof name === 'string' ? byName.get(name) : undefined) ?? layerFromConfig(l);
    byName.set(layer.name, layer);
    const inbound = l.inbound.map((k) => {
      const t = tensors[k];
      if (t === undefined) throw new ArgumentError(site, 'layers.inbound', `indices below ${tensors.length}`, String(k));
      return t;
    });
    tensors.push(layer.apply(inbound.length === 1 ? inbound[0] : inbound));
  }
  return new Model({ inputs: tensors.slice(0, cfg.config.inputs.length), outputs: cfg.config.outputs.map((k) => tensors[k]), name: cfg.config.name });
}
