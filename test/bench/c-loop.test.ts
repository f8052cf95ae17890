// bench/c/bn.c through its peer: built with gcc when gcc is there (the benchmark reports and skips it
// otherwise), run on a small shape in both modes; it must return the samples it was asked for.

import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLoopPeer } from '../../bench/peers/c-loop.js';
import { bnWorkloads } from '../../bench/workloads/bn.js';

function hasGcc(): boolean {
  try {
    execFileSync('gcc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!hasGcc())('C loop peer', () => {
  const peers = [new CLoopPeer(false), new CLoopPeer(true)];
  beforeAll(async () => {
    for (const p of peers) expect(await p.init()).toBeUndefined();
  });
  afterAll(() => peers.forEach((p) => p.cleanup()));

  it.each([false, true])('builds and times BN (training %s) on [256,1024]', async (training) => {
    const w = bnWorkloads().find((x) => x.name === `bn-${training ? 'train' : 'infer'}-256x1024`);
    if (w === undefined) throw new Error('workload missing');
    for (const p of peers) {
      const runner = await p.prepare(w, w.build(), { warmup: 1, warmupSeconds: 0, maxWarmup: 1, iterations: 4, budgetSeconds: 100, minIterations: 1 });
      expect(runner.ownSamples).toHaveLength(4);
      for (const s of runner.ownSamples ?? []) expect(s).toBeGreaterThanOrEqual(0);
    }
  });

  it('runs BN workloads only', () => {
    const conv = { name: 'conv', title: 'Conv', group: 'fused' as const, spec: { kind: 'conv-bn-relu' as const, dims: [1, 1, 1, 1], outChannels: 1 }, build: () => { throw new Error('unused'); } };
    expect(peers[0].skipReason(conv)).toBe('BN workloads only');
  });
});
