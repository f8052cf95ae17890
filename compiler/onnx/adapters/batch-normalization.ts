// The BatchNormalization adapter: import across opsets 1–15, export at the target's version.

import { exportBatchNormalization } from './batch-normalization-export.js';
import { importBatchNormalization } from './batch-normalization-import.js';
import type { OpAdapter } from './types.js';

export const batchNormalizationAdapter: OpAdapter<'BatchNormalization'> = {
  since: 1,
  importNode: importBatchNormalization,
  exportNode: exportBatchNormalization,
};
