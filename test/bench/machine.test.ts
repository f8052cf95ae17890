// bench/machine.ts: which `git status --porcelain` lines mark the measured checkout as differing from
// its commit (porcelain v1 lines written here by hand: two status columns, a space, the path).

import { describe, expect, it } from 'vitest';
import { isDirty } from '../../bench/machine.js';

describe('isDirty', () => {
  it('is false for a clean tree and for changed or new bench result files only', () => {
    expect(isDirty('')).toBe(false);
    expect(isDirty(' M bench/results.md\n M bench/results.json\n?? bench/results-partial.md\n?? bench/results-partial.json\n')).toBe(false);
  });

  it('is true as soon as any other file is changed or new', () => {
    expect(isDirty(' M bench/results.md\n M runtime/wasm/elementwise.ts\n')).toBe(true);
    expect(isDirty('?? scratch.ts\n')).toBe(true);
    expect(isDirty(' M bench/results.ts\n')).toBe(true);
    expect(isDirty(' M bench/old/results.md\n')).toBe(true);
  });
});
