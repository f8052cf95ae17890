// bench/timing.ts: the summary statistics and the iteration rules (warm-up, cap, minimum), with a
// counting stub instead of real timings (no thresholds on measured time).

import { describe, expect, it } from 'vitest';
import { measure, summarize } from '../../bench/timing.js';

describe('summarize', () => {
  it('takes the middle sample of an odd count and the mean of the middle two of an even count', () => {
    expect(summarize([5, 1, 3])).toEqual({ median: 3, min: 1, max: 5, samples: 3 });
    expect(summarize([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4, samples: 4 });
  });

  it('rejects an empty sample list', () => {
    expect(() => summarize([])).toThrow(/no samples/);
  });
});

describe('measure', () => {
  it('runs the warm-up calls untimed and stops at the iteration cap', async () => {
    let calls = 0;
    const stats = await measure(() => void calls++, { warmup: 2, warmupSeconds: 0, maxWarmup: 2, iterations: 7, budgetSeconds: 1e6, minIterations: 1 });
    expect(stats.samples).toBe(7);
    expect(calls).toBe(9);
  });

  it('keeps warming up for warmupSeconds, up to maxWarmup calls', async () => {
    let calls = 0;
    // A fast call: 1000 s of warm-up cannot pass, so the cap ends it.
    await measure(() => void calls++, { warmup: 2, warmupSeconds: 1000, maxWarmup: 40, iterations: 3, budgetSeconds: 1e6, minIterations: 1 });
    expect(calls).toBe(43);
    // Each call takes at least 4 ms: 10 ms of warm-up needs at most 3 calls (and at least the minimum 1).
    calls = 0;
    const slow = (): void => {
      const t0 = performance.now();
      while (performance.now() - t0 < 4);
      calls++;
    };
    await measure(slow, { warmup: 1, warmupSeconds: 0.01, maxWarmup: 100, iterations: 1, budgetSeconds: 1e6, minIterations: 1 });
    expect(calls - 1).toBeGreaterThanOrEqual(1);
    expect(calls - 1).toBeLessThanOrEqual(3);
  });

  it('stops once the budget is spent, but not before the minimum', async () => {
    let calls = 0;
    const stats = await measure(() => void calls++, { warmup: 0, warmupSeconds: 0, maxWarmup: 0, iterations: 100, budgetSeconds: 0, minIterations: 3 });
    expect(stats.samples).toBe(3);
    expect(calls).toBe(3);
  });

  it('awaits asynchronous calls', async () => {
    let done = 0;
    await measure(async () => {
      await new Promise((r) => setTimeout(r, 1));
      done++;
    }, { warmup: 1, warmupSeconds: 0, maxWarmup: 1, iterations: 2, budgetSeconds: 1e6, minIterations: 1 });
    expect(done).toBe(3);
  });
});
