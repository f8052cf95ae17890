// bench/report.ts on a made-up run: the times, the peer/kiln ratios, GB/s against the C loop, the
// unavailable-peer reason and the disagreement list all come out of the numbers given.

import { describe, expect, it } from 'vitest';
import { renderMarkdown, type RunResult } from '../../bench/report.js';

const stats = (median: number) => ({ median, min: median * 0.9, max: median * 1.5, samples: 10 });

const run: RunResult = {
  date: '2026-01-01T00:00:00Z',
  mode: 'full',
  seconds: 600,
  machine: { cpu: 'Test CPU', cpuDetail: '', cores: 2, memoryGiB: 24, node: 'v20.0.0', platform: 'linux x64', versions: { kiln: '0.1.0', 'onnxruntime-node': '1.30.0' }, commit: 'abc1234', dirty: false, loadStart: 1 },
  timing: { warmup: 2, warmupSeconds: 0.5, maxWarmup: 200, iterations: 30, budgetSeconds: 2, minIterations: 5 },
  heavyTiming: { warmup: 1, warmupSeconds: 1, maxWarmup: 20, iterations: 5, budgetSeconds: 8, minIterations: 3 },
  peers: [
    { id: 'kiln-cpu', label: 'kiln (cpu JS)', short: 'kiln cpu', role: 'kiln', notes: ['cpu'] },
    { id: 'kiln-wasm-1', label: 'kiln (wasm, 1 thread)', short: 'kiln wasm ×1', role: 'kiln', unavailable: 'backend unavailable: no wasm', notes: [] },
    { id: 'kiln-wasm-1-io', label: 'kiln (wasm, 1 thread, IoBinding)', short: 'kiln wasm ×1 io', role: 'kiln', notes: [] },
    { id: 'ort-node-1', label: 'onnxruntime-node (1 thread)', short: 'ORT-node ×1', role: 'peer', notes: ['CPU EP'] },
    { id: 'c-loop', label: 'C loop', short: 'C loop', role: 'reference', notes: ['gcc'] },
  ],
  workloads: [
    {
      name: 'bn-infer-x',
      title: 'BN inference [1000]',
      group: 'bn-inference',
      bytesMoved: 8e6,
      cells: { 'kiln-cpu': { stats: stats(6) }, 'kiln-wasm-1-io': { stats: stats(4) }, 'ort-node-1': { stats: stats(8), relDiff: 0.5 }, 'c-loop': { stats: stats(2) } },
    },
    {
      name: 'conv',
      title: 'Conv',
      group: 'fused',
      cells: { 'kiln-cpu': { stats: stats(10) }, 'kiln-wasm-1-io': { stats: stats(5) }, 'ort-node-1': { error: 'boom' }, 'c-loop': { skipped: 'BN workloads only' } },
    },
  ],
  loadEnd: 1.5,
};

describe('renderMarkdown', () => {
  const md = renderMarkdown(run);

  it('states the machine, the versions and why a peer did not run', () => {
    expect(md).toContain('Test CPU, 2 cores');
    expect(md).toContain('onnxruntime-node 1.30.0');
    expect(md).toContain('**not run**: backend unavailable: no wasm');
  });

  it('writes median (min–max) times and peer/kiln ratios (for the compiled kiln backends only)', () => {
    expect(md).toContain('| BN inference [1000] | 6.00 (5.40–9.00) | 4.00 (3.60–6.00) | 8.00 (7.20–12.0) | 2.00 (1.80–3.00) |');
    expect(md).toContain('## Ratios: peer time / kiln (wasm, 1 thread, IoBinding) time');
    expect(md).not.toContain('## Ratios: peer time / kiln (cpu JS) time');
    expect(md).toMatch(/\| BN inference \[1000\] \| 1\.50× \| 2\.00× \|\n/);
    expect(md).toMatch(/\| Conv \| 2\.00× \| — \|\n/);
  });

  it('derives GB/s from the bytes moved and the kiln / C ratio', () => {
    // 8e6 bytes in 2 ms = 4 GB/s (C), in 6 ms = 1.3 GB/s (kiln cpu), in 4 ms = 2 GB/s (kiln io), in 8 ms = 1 GB/s (ORT).
    expect(md).toMatch(/\| BN inference \[1000\] \| 7\.6 \| 2\.00 \(1\.80–3\.00\) \| 4\.0 \| 1\.3 \| 2\.0 \| 1\.0 \|/);
    expect(md).toContain('| workload | kiln wasm ×1 io / C loop |');
    expect(md).toMatch(/\| BN inference \[1000\] \| 2\.00× \|\n/);
  });

  it('lists disagreeing outputs, errors and skipped cells', () => {
    expect(md).toContain('onnxruntime-node (1 thread): max |diff| / max |kiln| = 5.00e-1');
    expect(md).toContain('- Conv, onnxruntime-node (1 thread): boom');
    expect(md).toContain('- C loop: BN workloads only (1 workload)');
  });
});

describe('renderMarkdown: BN training against the floor of its arithmetic', () => {
  const training = {
    name: 'bn-train-x',
    title: 'BN training [4000]',
    group: 'bn-training' as const,
    bytesMoved: 64000,
    elements: 4000,
    cells: { 'kiln-cpu': { stats: stats(9) }, 'kiln-wasm-1-io': { stats: stats(0.5) }, 'ort-node-1': { stats: stats(2) }, 'c-loop': { stats: stats(0.4) } },
  };

  it('derives the floor from the measured add rate and compares kiln and onnxruntime with it', () => {
    // 4000 values = 1000 vectors × 5 adds = 5000 adds; at 0.02 adds/ns that is 250,000 ns = 0.25 ms.
    const md = renderMarkdown({ ...run, workloads: [...run.workloads, training], simd: { addsPerNs: 0.02, mulsPerNs: 0.03 } });
    expect(md).toContain('### BN training against the floor of its arithmetic');
    expect(md).toContain('0.02 f32x4 adds and 0.03 f32x4 multiplies per ns');
    expect(md).toContain('| workload | floor ms | kiln wasm ×1 io / floor | ORT-node ×1 / floor | ORT-node ×1 / kiln wasm ×1 io |');
    // kiln 0.5 / 0.25 = 2×, onnxruntime 2 / 0.25 = 8× (the most this arithmetic can show), 2 / 0.5 = 4×.
    expect(md).toMatch(/\| BN training \[4000\] \| 0\.250 \| 2\.00× \| 8\.00× \| 4\.00× \|\n/);
  });

  it('has no such section without a measured rate or a training row', () => {
    expect(renderMarkdown({ ...run, workloads: [...run.workloads, training] })).not.toContain('floor of its arithmetic');
    expect(renderMarkdown({ ...run, simd: { addsPerNs: 1, mulsPerNs: 1 } })).not.toContain('floor of its arithmetic');
  });
});
