// The README's JavaScript examples run as written (DESIGN.md §9: "API examples that run"): every ```js
// block is written to a temporary module with `from 'kiln'` pointed at this checkout, and imported. The
// ONNX block uses the `model` of the API example, so it gets a small Sequential model first.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

const ROOT = resolve(__dirname, '..');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
const dir = mkdtempSync(join(tmpdir(), 'kiln-readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MODEL = `import { layers as __layers, Sequential as __Sequential } from 'kiln';
const model = new __Sequential({ inputShape: [4], layers: [__layers.dense({ units: 3 }), __layers.batchNormalization({})] });
`;

describe('README examples', () => {
  it('has the examples', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(3);
  });

  blocks.forEach((code, i) => {
    const title = code.split('\n').find((l) => l.trim() !== '' && !l.startsWith('import')) ?? '';
    it(`block ${i + 1} runs: ${title.slice(0, 60)}`, async () => {
      const needsModel = /\bmodel\b/.test(code) && !/\bconst model\b/.test(code);
      const source = `${needsModel ? MODEL : ''}${code}`.replaceAll("from 'kiln'", `from '${join(ROOT, 'index.ts')}'`);
      const file = join(dir, `block-${i + 1}.mjs`);
      writeFileSync(file, source);
      const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
      const cwd = process.cwd();
      process.chdir(ROOT);
      try {
        await import(file);
      } finally {
        process.chdir(cwd);
        log.mockRestore();
      }
    });
  });
});
