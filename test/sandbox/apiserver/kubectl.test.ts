import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { TestServer } from './helpers.js';
import { startTestServer } from './helpers.js';
import { waitFor } from '../../../harness/wait-for.js';

const run = promisify(execFile);
const KUBECTL = '/usr/bin/kubectl';
const hasKubectl = existsSync(KUBECTL);
const CRD = readFileSync(new URL('../../fixtures/sandbox-apiserver/golden-kvstore-crd.json', import.meta.url), 'utf8');

describe('kubectl smoke test', { skip: hasKubectl ? false : 'kubectl is not installed at /usr/bin/kubectl' }, () => {
  let t: TestServer;
  const kubectl = async (...args: string[]): Promise<string> => {
    const { stdout } = await run(KUBECTL, ['--kubeconfig', t.server.kubeconfigPath, '--cache-dir', join(t.dir, 'cache'), ...args], { timeout: 30_000 });
    return stdout;
  };
  before(async () => {
    t = await startTestServer();
  });
  after(async () => t.close());

  it('apply, get, scale, describe and delete a ConfigMap and a StatefulSet', async () => {
    const manifest = join(t.dir, 'cm.yaml');
    writeFileSync(manifest, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kc-cm\ndata:\n  a: "1"\n  b: "2"\n');
    assert.match(await kubectl('apply', '-f', manifest), /configmap\/kc-cm created/);
    writeFileSync(manifest, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kc-cm\ndata:\n  a: "10"\n');
    assert.match(await kubectl('apply', '-f', manifest), /configmap\/kc-cm configured/);
    const cm = JSON.parse(await kubectl('get', 'cm', 'kc-cm', '-o', 'json'));
    assert.deepEqual(cm.data, { a: '10' });
    assert.match(await kubectl('get', 'cm'), /kc-cm\s+1\s+\d+s/);
    assert.match(await kubectl('describe', 'cm', 'kc-cm'), /Name:\s+kc-cm/);
    const sts = join(t.dir, 'sts.yaml');
    writeFileSync(sts, 'apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: kv\nspec:\n  serviceName: kv\n  replicas: 1\n  selector:\n    matchLabels: {app: kv}\n  template:\n    metadata:\n      labels: {app: kv}\n    spec:\n      containers:\n      - name: redis\n        image: redis:7.4\n');
    await kubectl('apply', '--server-side', '-f', sts);
    assert.match(await kubectl('scale', 'statefulset', 'kv', '--replicas=3'), /scaled/);
    assert.equal(JSON.parse(await kubectl('get', 'sts', 'kv', '-o', 'json')).spec.replicas, 3);
    assert.match(await kubectl('delete', 'cm', 'kc-cm'), /deleted/);
    assert.equal((await t.request('GET', '/api/v1/namespaces/default/configmaps/kc-cm')).status, 404);
  });

  it('works with a custom resource: get by short name with printer columns, scale, delete', async () => {
    await t.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { body: CRD });
    await waitFor('the redwing.dev API to be served', async () => (await t.request('GET', '/apis/redwing.dev/v1alpha1')).status === 200);
    const kv = join(t.dir, 'kv.yaml');
    writeFileSync(kv, 'apiVersion: redwing.dev/v1alpha1\nkind: KVStore\nmetadata:\n  name: kc-kv\nspec:\n  replicas: 3\n  engine: valkey\n');
    assert.match(await kubectl('apply', '-f', kv), /kvstore.redwing.dev\/kc-kv created/);
    const table = await kubectl('get', 'kvs');
    assert.match(table, /NAME\s+ENGINE\s+REPLICAS\s+READY\s+PHASE\s+AGE/);
    assert.match(table, /kc-kv\s+valkey\s+3/);
    assert.match(await kubectl('scale', 'kvs', 'kc-kv', '--replicas=5'), /scaled/);
    assert.match(await kubectl('scale', 'kvs', 'kc-kv', '--current-replicas=5', '--replicas=7'), /scaled/);
    assert.equal(JSON.parse(await kubectl('get', 'kvs', 'kc-kv', '-o', 'json')).spec.replicas, 7);
    assert.match(await kubectl('explain', 'kvstores.spec'), /replicas/);
    assert.match(await kubectl('delete', 'kvs', 'kc-kv'), /deleted/);
  });

  it('stores RBAC objects and Deployments so the project manifests apply (no RBAC evaluation, no Deployment controller)', async () => {
    const manifest = join(t.dir, 'rbac.yaml');
    writeFileSync(manifest, [
      'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: kv-view\nrules:\n- apiGroups: ["redwing.dev"]\n  resources: ["kvstores"]\n  verbs: ["get", "list"]',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27',
    ].join('\n---\n'));
    const out = await kubectl('apply', '-f', manifest);
    assert.match(out, /clusterrole.rbac.authorization.k8s.io\/kv-view created/);
    assert.match(out, /deployment.apps\/web created/);
    const deployment = JSON.parse(await kubectl('get', 'deploy', 'web', '-o', 'json'));
    assert.equal(deployment.spec.strategy.type, 'RollingUpdate');
    assert.equal(deployment.spec.replicas, 1);
  });
});
