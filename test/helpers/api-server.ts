/** A sandbox API server in its own temp dir, with a KubeConfig for it: per test, or for one describe() block. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { startApiServer, type ApiServerOptions, type RunningApiServer } from '../../sandbox/apiserver/server.js';
import { checkRbacUsage } from './rbac-usage.js';

export interface TestApiServer {
  server: RunningApiServer;
  kubeConfig: KubeConfig;
  dir: string;
  /** Stops the server and removes its dir. */
  stop(): Promise<void>;
}

export interface TestApiServerOptions extends Partial<Omit<ApiServerOptions, 'dir'>> {
  /** Prefix of the temp dir's name, so a leftover dir names the test that made it. */
  dirPrefix: string;
  /** The test checks refusals to Redwing's ServiceAccounts itself; otherwise any such refusal fails it at stop(). */
  expectsRefusals?: boolean;
}

export async function startTestApiServer({ dirPrefix, expectsRefusals, ...options }: TestApiServerOptions): Promise<TestApiServer> {
  const dir = mkdtempSync(join(tmpdir(), dirPrefix));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  let server: RunningApiServer;
  try {
    server = await startApiServer({ dir, logger: pino({ level: 'silent' }), ...options });
  } catch (error) {
    removeDir();
    throw error;
  }
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(server.kubeconfigPath);
  return {
    server, kubeConfig, dir,
    async stop() {
      const usage = server.core.rbacAudit.usage();
      await server.stop();
      removeDir();
      if (!expectsRefusals) checkRbacUsage(usage, dirPrefix);
    },
  };
}

/**
 * Registers before/after hooks in the calling describe(): the fields are set once its before() hook has run. Hooks
 * run in registration order, so a test's own after() that needs the server must be registered before this call.
 */
export function useTestApiServer(options: TestApiServerOptions): TestApiServer {
  const harness = {} as TestApiServer;
  before(async () => {
    Object.assign(harness, await startTestApiServer(options));
  });
  after(async () => {
    await harness.stop?.();
  });
  return harness;
}
