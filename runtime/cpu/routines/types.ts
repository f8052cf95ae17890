// What a CPU routine sees: float arrays in (halves and ints widened by the backend), float arrays out
// (narrowed by the backend when the output dtype is not float32/float64).

import type { RoutineCall, RoutineName } from '../../../ops/kernel-ir.js';

export type FloatArray = Float32Array | Float64Array;

export type CallOf<R extends RoutineName> = Extract<RoutineCall, { routine: R }>;

export type RoutineImpl<R extends RoutineName> = (call: CallOf<R>, inputs: readonly FloatArray[], outputs: readonly FloatArray[]) => void;
