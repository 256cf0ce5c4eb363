// A sandbox API server for one describe() block: started in a temp dir before its tests, stopped and removed after.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { startApiServer, type RunningApiServer } from '../../../sandbox/apiserver/server.js';

export interface ApiServerHarness {
  /** Set once the block's before() hook has run. */
  kc: KubeConfig;
  server: RunningApiServer;
}

export function useSandboxApiServer(dirPrefix: string): ApiServerHarness {
  const harness = {} as ApiServerHarness;
  let dir: string | undefined;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), dirPrefix));
    harness.server = await startApiServer({ dir });
    harness.kc = new KubeConfig();
    harness.kc.loadFromFile(harness.server.kubeconfigPath);
  });
  after(async () => {
    await harness.server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return harness;
}
