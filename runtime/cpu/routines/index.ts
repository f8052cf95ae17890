// The CPU routine table, exhaustive over RoutineName (a missing routine is a compile error).

import type { RoutineName } from '../../../ops/kernel-ir.js';
import { concat } from './concat.js';
import { conv2d } from './conv2d.js';
import { convTranspose2d } from './conv-transpose2d.js';
import { gather } from './gather.js';
import { lrn } from './lrn.js';
import { matmul } from './matmul.js';
import { moments } from './moments.js';
import { pad } from './pad.js';
import { pool2d } from './pool2d.js';
import { reduce } from './reduce.js';
import { slice } from './slice.js';
import { softmax } from './softmax.js';
import { transpose } from './transpose.js';
import type { RoutineImpl } from './types.js';

export const CPU_ROUTINES: { readonly [R in RoutineName]: RoutineImpl<R> } = {
  matmul,
  conv2d,
  pool2d,
  reduce,
  moments,
  transpose,
  softmax,
  convTranspose2d,
  lrn,
  pad,
  concat,
  slice,
  gather,
};
