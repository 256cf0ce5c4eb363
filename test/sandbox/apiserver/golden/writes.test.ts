// Golden files about writes and errors: ConfigMap CRUD, patch and apply (04–06), custom resources (14–16, 18, 19),
// built-in defaults (21–24), miscellaneous errors (31) and kubectl's requests (33). kube-controller-manager ran
// beside the recorded server, so the sandbox's controllers run here too (garbage collector, endpoints, disruption).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { waitFor } from '../../../../harness/wait-for.js';
import { useGoldenServer } from './harness.js';
import { GOLDEN_SKIP, loadGolden } from './replay.js';
import { createConfigMap, createKVStore, setKVStoreStatus, statusObserved } from './seeds.js';

const RBAC = 'replayed by the RBAC tests';

describe('golden replay: writes', { skip: GOLDEN_SKIP }, () => {
  const golden = useGoldenServer({ controllers: true });

  it('04 ConfigMap CRUD', async () => {
    await golden.replay('04-configmap-crud', {
      // "shortly after": the garbage collector removes the foregroundDeletion finalizer of an object without dependents
      steps: { 18: () => waitFor('the garbage collector to finish cm2', async () => (await golden.t.request('GET', '/api/v1/namespaces/golden/configmaps/cm2')).status === 404, 10_000).then(() => undefined) },
    });
    // #27 created `unk` with `data: {}`: an empty map is omitted, and so is a managedFields entry with no field
    const recorded = loadGolden('04-configmap-crud')[27]?.response?.body as { metadata?: object };
    const ours = (await golden.t.request('GET', '/api/v1/namespaces/golden/configmaps/unk')).body as { metadata?: object };
    assert.deepEqual(Object.keys(ours), Object.keys(recorded));
    assert.deepEqual(Object.keys(ours.metadata ?? {}), Object.keys(recorded.metadata ?? {}));
  });
  it('05 ConfigMap patch', async () => {
    await createConfigMap(golden.t, 'p1', { app: 'demo', tier: 'web' }, { a: '1', b: '2' });
    await golden.replay('05-configmap-patch');
  });
  it('06 ConfigMap apply', () => golden.replay('06-configmap-apply'));
  it('14 CR defaulting and pruning', async () => {
    await golden.replay('14-cr-defaulting-pruning');
    // #14 removes a defaulted field, which the defaults put back: no spec change, so no new generation
    const recorded = loadGolden('14-cr-defaulting-pruning')[14]?.response?.body as { metadata?: { generation?: number } };
    const ours = await golden.t.request('GET', '/apis/redwing.dev/v1alpha1/namespaces/golden/kvstores/d2');
    assert.equal((ours.body as { metadata?: { generation?: number } }).metadata?.generation, recorded.metadata?.generation);
  });
  it('15 CR validation', () => golden.replay('15-cr-validation'));
  it('16 CR CEL and immutability', () => golden.replay('16-cr-cel-immutable'));
  it('18 CR scale', async () => {
    await createKVStore(golden.t, 's1', { app: 'kv-s1' }, { engine: 'redis', replicas: 2 });
    await golden.replay('18-cr-scale', { steps: { 1: () => setKVStoreStatus(golden.t, 's1', { replicas: 2, readyReplicas: 2, selector: 'app=kv-s1' }) } });
  });
  it('19 CR status subresource', () => golden.replay('19-cr-status-subresource'));
  it('21 StatefulSet defaults', () => golden.replay('21-defaults-statefulset'));
  it('22 Service defaults', () => golden.replay('22-defaults-service', {
    skip: { 3: 'ClusterIPs come from 127.1.0.0/16 on purpose (documented), so the range in the message differs' },
    sameFields: { 2: { why: 'a NodePort Service gets a nodePort on each port, which no manager owns' } },
  }));
  it('23 Pod defaults', () => golden.replay('23-defaults-pod', {
    skip: { 6: 'the message embeds a go-cmp diff that prints the containers with their ServiceAccount token volume mount, which the sandbox does not add (documented)' },
    sameFields: { 11: { why: 'a deleted unscheduled pod comes back marked: deletionTimestamp and deletionGracePeriodSeconds 0', only: 'metadata' } },
  }));
  it('24 PDB, Secret, Lease, PVC and Event defaults', () => golden.replay('24-defaults-misc', {
    skip: { 14: 'core and events.k8s.io Events are stored separately (documented divergence)', 15: 'core and events.k8s.io Events are stored separately (documented divergence)' },
    steps: { 1: () => statusObserved(golden.t, '/apis/policy/v1/namespaces/golden/poddisruptionbudgets/pdb') },
    sameFields: {
      1: { why: 'the disruption controller\'s status', only: 'status' },
      10: { why: 'a core Event writes its unset timestamps as null and its reporting fields as ""' },
      12: { why: 'an events.k8s.io Event writes deprecatedSource {} and null deprecated timestamps' },
    },
  }));
  it('31 miscellaneous errors', () => golden.replay('31-errors-misc', {
    skip: { 0: RBAC, 1: RBAC, 2: 'a client-certificate user: the sandbox authenticates bearer tokens only (documented)', 4: RBAC, 5: RBAC, 6: RBAC, 7: RBAC },
  }));
  it('33 kubectl requests', () => golden.replay('33-kubectl-replay'));
});
