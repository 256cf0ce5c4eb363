// Golden files about what the server serves: discovery (01), OpenAPI (02), namespace creation (03), CRD creation
// (13) and custom-resource Tables (17).
import { describe, it } from 'node:test';
import { useGoldenServer } from './harness.js';
import { GOLDEN_SKIP } from './replay.js';
import { createKVStore } from './seeds.js';

const CREATED_BY_CONTROLLER = 'the namespace controller creates it just after the namespace';

describe('golden replay: discovery and CRDs', { skip: GOLDEN_SKIP }, () => {
  const golden = useGoldenServer({ crd: false, namespace: false, controllers: true });

  // 03 creates the namespace; 13 the CRD that 01 and 02 describe
  it('03 namespace create', () => golden.replay('03-namespace-create', {
    poll: { 2: CREATED_BY_CONTROLLER, 3: CREATED_BY_CONTROLLER },
  }));
  it('13 CRD create', () => golden.replay('13-crd-create', {
    skip: { 3: 'timing-dependent in the recording (404 in this run, 200 in another); the sandbox serves the resource at once' },
  }));
  it('01 discovery', () => golden.replay('01-discovery', { skipBytes: { 0: 'the sandbox names itself in /version (gitVersion v1.32.13-redwing-sandbox, no gitCommit), documented' } }));
  it('02 OpenAPI', () => golden.replay('02-openapi'));
  it('17 custom resource Tables', async () => {
    await createKVStore(golden.t, 't1', {}, { engine: 'valkey', replicas: 2 }, { readyReplicas: 2, phase: 'Running' });
    await golden.replay('17-cr-table');
  });
});
