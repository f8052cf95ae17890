// The [R0, K, R1] view of a reduction (reduced, kept, reduced axes, each merged): the shape that the
// CPU reduce routine and the wasm moments routines walk directly, without an index per element.

export interface ReductionLayout {
  readonly r0: number;
  readonly k: number;
  readonly r1: number;
}

/** Merge the input axes into [R0, K, R1], or undefined when reduced and kept axes interleave more. */
export function reductionLayout(inDims: readonly number[], axes: readonly number[]): ReductionLayout | undefined {
  const segs: { reduced: boolean; size: number }[] = [];
  inDims.forEach((d, i) => {
    if (d === 1) return;
    const reduced = axes.includes(i);
    const last = segs[segs.length - 1];
    if (last !== undefined && last.reduced === reduced) last.size *= d;
    else segs.push({ reduced, size: d });
  });
  // Everything reduced: one long run per (only) kept position.
  if (segs.length === 1 && segs[0].reduced) return { r0: 1, k: 1, r1: segs[0].size };
  let i = 0;
  let r0 = 1;
  let k = 1;
  let r1 = 1;
  if (i < segs.length && segs[i].reduced) r0 = segs[i++].size;
  if (i < segs.length && !segs[i].reduced) k = segs[i++].size;
  if (i < segs.length && segs[i].reduced) r1 = segs[i++].size;
  return i === segs.length ? { r0, k, r1 } : undefined;
}
