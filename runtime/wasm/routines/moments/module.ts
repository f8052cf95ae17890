// The moments module: every kernel of both paths, exported in MOMENTS_EXPORTS order.

import { MEMORY_IMPORT } from '../../elementwise.js';
import { ModuleBuilder } from '../../encoder/index.js';
import { batchNormFunction } from './batch-norm.js';
import { FINISH_EXPORTS, finishFunction, finishVariant } from './finish.js';
import { horizontal, vertical } from './float64.js';
import { blockStats } from './horizontal-blocks.js';
import { verticalBlockStats } from './vertical-strips.js';
import { verticalTileStats } from './vertical-tiles.js';

export function buildMomentsModule(): Uint8Array {
  const m = new ModuleBuilder().importMemory(MEMORY_IMPORT);
  m.addFunction(blockStats(), 'hstat');
  m.addFunction(horizontal(false), 'hsum');
  m.addFunction(horizontal(true), 'hsq');
  m.addFunction(vertical(false), 'vsum');
  m.addFunction(vertical(true), 'vsq');
  m.addFunction(verticalBlockStats(), 'vstat');
  m.addFunction(verticalTileStats(), 'vtile');
  for (const meanF64 of [false, true]) for (const varF64 of [false, true]) m.addFunction(finishFunction(meanF64, varF64), FINISH_EXPORTS[finishVariant(meanF64, varF64)]);
  m.addFunction(batchNormFunction(), 'bn');
  return m.encode();
}
