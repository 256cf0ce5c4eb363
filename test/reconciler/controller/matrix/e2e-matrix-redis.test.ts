/**
 * The engine matrix on redis, one sandbox for the file. Most scenarios already run on redis in their own e2e file, so
 * here they are listed as skipped with that file instead of run twice:
 *   create → Ready with data on every replica, scale 3 → 5 → 2   e2e-lifecycle.test.ts
 *   kill -9 and SIGSTOP of the master (and eviction)            e2e-failover.test.ts (plus -node-loss, -lagging, -chaos)
 *   deletion of the master pod; live password and live config   e2e-operations.test.ts (and e2e-password-restart)
 *   rollout under writes (FAILOVER TO)                           e2e-rollout.test.ts
 *   snapshot cron                                                e2e-snapshots.test.ts
 *   TLS                                                          e2e-tls-observability.test.ts
 *   exporter metrics through a password rotation                 e2e-exporter.test.ts
 *   cold start after kill -9 of every pod (AOF)                  e2e-failover-cold-start.test.ts
 * What runs here is what no other file covers: a cold start by deletion of every pod that reads back what the
 * on-shutdown save wrote (persistence.mode rdb), mTLS with the exporter over TLS, and data kept with its credentials.
 */
import { describe } from 'node:test';
import { useReconcilerOnSandbox } from '../e2e-helpers.js';
import { dataAndCredentialsKeptTogether } from './kept-data.js';
import { mtlsAndExporterOverTls } from './mtls-exporter.js';
import { storeLifecycle } from './store-lifecycle.js';

describe('engine matrix: redis', { timeout: 600_000 }, () => {
  const e2e = useReconcilerOnSandbox();
  storeLifecycle(e2e, 'redis', {
    live: 'e2e-operations.test.ts', snapshot: 'e2e-snapshots.test.ts', kill: 'e2e-failover.test.ts', freeze: 'e2e-failover.test.ts',
    delete: 'e2e-operations.test.ts', rollout: 'e2e-rollout.test.ts', scale: 'e2e-lifecycle.test.ts',
  });
  mtlsAndExporterOverTls(e2e, 'redis');
  dataAndCredentialsKeptTogether(e2e, 'redis');
});
