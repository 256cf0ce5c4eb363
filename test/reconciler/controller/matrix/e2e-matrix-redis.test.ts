/**
 * The engine matrix on redis: the scenarios no other e2e file covers (mTLS with the exporter over TLS; data and
 * credentials kept together), one sandbox for all. The other scenarios run on redis in ../e2e-*.test.ts.
 */
import { describe } from 'node:test';
import { useReconcilerOnSandbox } from '../e2e-helpers.js';
import { dataAndCredentialsKeptTogether } from './kept-data.js';
import { mtlsAndExporterOverTls } from './mtls-exporter.js';

describe('engine matrix: redis', { timeout: 600_000 }, () => {
  const e2e = useReconcilerOnSandbox();
  mtlsAndExporterOverTls(e2e, 'redis');
  dataAndCredentialsKeptTogether(e2e, 'redis');
});
