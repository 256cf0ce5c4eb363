/**
 * The engine matrix on a Dragonfly binary (REDWING_DRAGONFLY_BIN), one sandbox for the file: a store through its whole life
 * (store-lifecycle.ts), mTLS with the exporter over TLS, and data kept with its credentials. Skipped with one line
 * where REDWING_DRAGONFLY_BIN is not set.
 */
import { describe } from 'node:test';
import { useReconcilerOnSandbox } from '../e2e-helpers.js';
import { engineMissing } from './engine-availability.js';
import { dataAndCredentialsKeptTogether } from './kept-data.js';
import { mtlsAndExporterOverTls } from './mtls-exporter.js';
import { storeLifecycle } from './store-lifecycle.js';

describe('engine matrix: dragonfly', { timeout: 900_000, skip: engineMissing('dragonfly') }, () => {
  // Every cron reads as "every 2 s", so the snapshot scenario does not wait a minute.
  const e2e = useReconcilerOnSandbox({ snapshots: { patternFor: () => '*/2 * * * * *', pollIntervalMs: 50 } });
  storeLifecycle(e2e, 'dragonfly');
  mtlsAndExporterOverTls(e2e, 'dragonfly');
  dataAndCredentialsKeptTogether(e2e, 'dragonfly');
});
