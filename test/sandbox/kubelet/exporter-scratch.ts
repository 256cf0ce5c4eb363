// What the exporter tests share: a scratch folder, the processes they spawn and the pod addresses they take, all
// gone when the file's tests end.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { PodIpPool } from '../../../sandbox/kubelet/ip-pool.js';

export interface ExporterScratch {
  dir: string;
  /** killed (SIGKILL) after the file's tests */
  children: ChildProcess[];
  pool: PodIpPool;
}

/** A scratch folder named `redwing-<name>-…`, cleaned up by an `after` hook of the calling test file. */
export function exporterScratch(name: string): ExporterScratch {
  const scratch = { dir: mkdtempSync(join(tmpdir(), `redwing-${name}-`)), children: [] as ChildProcess[], pool: new PodIpPool() };
  after(() => {
    for (const child of scratch.children) child.kill('SIGKILL');
    scratch.pool.releaseAll();
    rmSync(scratch.dir, { recursive: true, force: true });
  });
  return scratch;
}
