/**
 * The engine matrix on valkey-server 8, one sandbox for the file: a store through its whole life
 * (store-lifecycle.ts), mTLS with the exporter over TLS, and data kept with its credentials. Skipped with one line
 * where valkey-server is not installed.
 */
import { describe } from 'node:test';
import { useReconcilerOnSandbox } from '../e2e-helpers.js';
import { engineMissing } from './engine-availability.js';
import { dataAndCredentialsKeptTogether } from './kept-data.js';
import { mtlsAndExporterOverTls } from './mtls-exporter.js';
import { storeLifecycle } from './store-lifecycle.js';

describe('engine matrix: valkey', { timeout: 900_000, skip: engineMissing('valkey') }, () => {
  // Every cron reads as "every 2 s", so the snapshot scenario does not wait a minute.
  const e2e = useReconcilerOnSandbox({ snapshots: { patternFor: () => '*/2 * * * * *', pollIntervalMs: 50 } });
  storeLifecycle(e2e, 'valkey');
  mtlsAndExporterOverTls(e2e, 'valkey');
  dataAndCredentialsKeptTogether(e2e, 'valkey');
});
