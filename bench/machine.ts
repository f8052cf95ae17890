// What the report says about where it ran: CPU model (os.cpus()), cores, memory, Node, the package
// versions of kiln and every peer, kiln's commit (read-only `git rev-parse` / `git status`) and the load.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';

export interface MachineInfo {
  readonly cpu: string;
  /** "family 26 model 2" from /proc/cpuinfo where it exists (os.cpus() often says only "AMD EPYC"). */
  readonly cpuDetail: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly platform: string;
  readonly versions: Readonly<Record<string, string>>;
  readonly commit: string;
  /** Whether `git status --porcelain` lists changes or new files (the numbers are then not exactly the commit's). */
  readonly dirty: boolean;
  /** os.loadavg()[0] when machineInfo was called (the start of the run). */
  readonly loadStart: number;
}

const PACKAGES = ['onnxruntime-node', 'onnxruntime-web', 'onnxruntime-common', '@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm'];

function packageVersion(req: NodeRequire, name: string): string {
  try {
    const file = req.resolve(`${name}/package.json`);
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    // Packages whose exports hide package.json: walk up from the entry point.
    try {
      let dir = dirname(req.resolve(name));
      for (let i = 0; i < 5; i++, dir = dirname(dir)) {
        try {
          const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version: string };
          if (pkg.name === name) return pkg.version;
        } catch {
          // keep walking
        }
      }
    } catch {
      // not installed
    }
    return 'not installed';
  }
}

function cpuDetail(): string {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const field = (k: string): string | undefined => new RegExp(`^${k}\\s*:\\s*(.*)$`, 'm').exec(info)?.[1];
    const avx512 = / avx512f /.test(info) ? ', AVX-512' : / avx2 /.test(info) ? ', AVX2' : '';
    return `family ${field('cpu family') ?? '?'} model ${field('model') ?? '?'}${avx512}`;
  } catch {
    return '';
  }
}

/**
 * Whether `git status --porcelain` output lists changes that make the numbers differ from the commit's.
 * The bench's own result files do not count: an earlier run leaves them changed, and they are not code.
 */
export function isDirty(porcelain: string): boolean {
  return porcelain.split('\n').some((l) => l.trim() !== '' && !/^.. bench\/results(-partial)?\.(md|json)$/.test(l));
}

export function machineInfo(root: string): MachineInfo {
  const req = createRequire(join(root, 'package.json'));
  const versions: Record<string, string> = {
    kiln: (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version,
  };
  for (const p of PACKAGES) versions[p] = packageVersion(req, p);
  try {
    versions.gcc = execFileSync('gcc', ['-dumpfullversion'], { encoding: 'utf8' }).trim();
  } catch {
    versions.gcc = 'not found';
  }
  let commit = 'unknown';
  let dirty = false;
  try {
    const git = (...args: string[]): string => execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    commit = git('rev-parse', '--short', 'HEAD').trim();
    // --no-optional-locks: status must not even refresh the index.
    dirty = isDirty(git('--no-optional-locks', 'status', '--porcelain'));
  } catch {
    // not a git checkout
  }
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cpuDetail: cpuDetail(),
    cores: cpus.length,
    memoryGiB: os.totalmem() / 2 ** 30,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    versions,
    commit,
    dirty,
    loadStart: os.loadavg()[0],
  };
}
