/**
 * The store page's actions and feeds through the console's API, against the sandbox API server (no operator): each
 * action writes what the reconciler reads (spec.replicas through the scale subresource, spec.config, the password
 * Secret), and the store's feed pushes the store, its pods and its Events.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { startConsole, type RunningConsole } from '../../console/server.js';
import { installCrds } from '../../harness/sandbox-cluster.js';
import { KubeClient } from '../../kube/client.js';
import { resolveClusterAccess } from '../../kube/cluster-access.js';
import { paths } from '../../kube/paths.js';
import type { KVStore } from '../../shared/schema/kvstore.js';
import { useTestApiServer } from '../helpers/api-server.js';
import { ConsoleUser } from './console-client.js';

const STORE_PATH = '/api/stores/default/shop';

describe('console store actions', () => {
  let admin: KubeClient;
  let running: RunningConsole;
  let user: ConsoleUser;
  after(async () => {
    admin?.close();
    await running?.stop();
  });
  const api = useTestApiServer({ dirPrefix: 'redwing-console-actions-' });
  const readStore = () => admin.get<KVStore>(paths.kvstore('default', 'shop'));

  before(async () => {
    admin = new KubeClient(api.kubeConfig);
    await installCrds(admin);
    running = await startConsole({ access: await resolveClusterAccess(api.kubeConfig), offerKubeconfig: true, readOnly: false, port: 0, logger: pino({ level: 'silent' }) });
    user = new ConsoleUser(running.url);
    await user.login();
    const created = await user.call('POST', '/api/stores', { object: { metadata: { name: 'shop' }, spec: { engine: 'redis', replicas: 3, config: { 'maxmemory-policy': 'allkeys-lru', timeout: '30' } } } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
  });

  it("serves the installed CRD's schema in the order the fields are written, not sorted by name", async () => {
    const answer = await user.call('GET', '/api/schema');
    assert.equal(answer.body.source, 'cluster');
    const spec = (answer.body.schema as { properties: { spec: { properties: Record<string, unknown> } } }).properties.spec;
    assert.deepEqual(Object.keys(spec.properties).slice(0, 3), ['engine', 'image', 'imagePullPolicy']);
  });

  it('scales through the scale subresource and sets and removes engine settings', async () => {
    assert.equal((await user.call('POST', `${STORE_PATH}/scale`, { replicas: 5 })).status, 200);
    assert.equal((await readStore()).spec?.replicas, 5);
    assert.equal((await user.call('POST', `${STORE_PATH}/scale`, { replicas: 'five' })).status, 400);
    const configured = await user.call('POST', `${STORE_PATH}/config`, { config: { timeout: null, 'maxmemory-policy': 'volatile-lru', hz: '20' } });
    assert.equal(configured.status, 200, JSON.stringify(configured.body));
    assert.deepEqual((await readStore()).spec?.config, { 'maxmemory-policy': 'volatile-lru', hz: '20' });
  });

  it('replaces the spec the user edited, and relays a conflict when it changed meanwhile', async () => {
    const edited = await readStore();
    const saved = await user.call('PUT', STORE_PATH, { object: { metadata: edited.metadata, spec: { ...edited.spec, replicas: 4 } } });
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
    assert.equal((await readStore()).spec?.replicas, 4);
    const stale = await user.call('PUT', STORE_PATH, { object: { metadata: edited.metadata, spec: { ...edited.spec, replicas: 2 } } });
    assert.equal(stale.status, 409);
    assert.equal((await readStore()).spec?.replicas, 4);
  });

  it('saves an edit as a patch of what the user changed: status writes meanwhile do not conflict, others\' changes stay', async () => {
    const loaded = await readStore();
    const original = { metadata: { name: 'shop', namespace: 'default', labels: loaded.metadata?.labels }, spec: loaded.spec };
    await admin.patch(`${paths.kvstore('default', 'shop')}/status`, { status: { phase: 'Ready' } }, 'merge');
    await admin.patch(paths.kvstore('default', 'shop'), { metadata: { labels: { team: 'payments' } } }, 'merge');
    const edited = { ...original, spec: { ...original.spec, replicas: 6, config: { hz: '50' } } };
    const dryRun = await user.call('POST', '/api/stores/dry-run', { object: edited, original, mode: 'replace' });
    assert.equal(dryRun.status, 200, JSON.stringify(dryRun.body));
    assert.equal((await readStore()).spec?.replicas, 4, 'a dry-run stores nothing');
    const saved = await user.call('PUT', STORE_PATH, { object: edited, original });
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
    const stored = await readStore();
    assert.equal(stored.spec?.replicas, 6);
    assert.deepEqual(stored.spec?.config, { hz: '50' }, 'settings the user removed are removed');
    assert.equal(stored.metadata?.labels?.team, 'payments', 'a label set by someone else meanwhile stays');
  });

  it("rotates the password by writing a new one to the store's Secret", async () => {
    await admin.create(paths.core('secrets', 'default'), { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'shop-auth' }, stringData: { password: 'first' } });
    const rotated = await user.call('POST', `${STORE_PATH}/rotate-password`);
    assert.deepEqual(rotated.body, { secret: 'shop-auth', key: 'password' });
    const secret = await admin.get<{ data: Record<string, string> }>(paths.coreObject('secrets', 'default', 'shop-auth'));
    const password = Buffer.from(secret.data.password, 'base64').toString('utf8');
    assert.notEqual(password, 'first');
    assert.ok(password.length >= 24);
    await admin.create(paths.kvstores('default'), { apiVersion: 'redwing.dev/v1alpha1', kind: 'KVStore', metadata: { name: 'open' }, spec: { authentication: { enabled: false } } });
    const refused = await user.call('POST', '/api/stores/default/open/rotate-password');
    assert.equal(refused.status, 409);
    assert.match(String(refused.body.message), /authentication disabled/);
  });

  it("asks for a switchover by setting the store's redwing.dev/switchover annotation as the user", async () => {
    const asked = await user.call('POST', `${STORE_PATH}/switchover`, { target: 'shop-1' });
    assert.equal(asked.status, 200, JSON.stringify(asked.body));
    assert.deepEqual(asked.body, { annotation: 'redwing.dev/switchover', target: 'shop-1' });
    assert.equal((await readStore()).metadata?.annotations?.['redwing.dev/switchover'], 'shop-1');
    assert.equal((await user.call('POST', `${STORE_PATH}/switchover`, { target: ' any ' })).status, 200);
    assert.equal((await readStore()).metadata?.annotations?.['redwing.dev/switchover'], 'any');
    assert.equal((await user.call('POST', `${STORE_PATH}/switchover`, {})).status, 400);
    assert.equal((await user.call('POST', '/api/stores/default/missing/switchover', { target: 'any' })).status, 404);
  });

  it("pushes the store, its pods (not another store's) and its Events", async () => {
    const stream = user.stream('/api/events/stores/default/shop');
    try {
      assert.equal(((await stream.next('store')) as KVStore).metadata?.name, 'shop');
      assert.deepEqual(await stream.next('pods'), []);
      assert.deepEqual(await stream.next('events'), []);
      for (const [name, instance] of [['shop-0', 'shop'], ['shopping-0', 'shopping']]) {
        await admin.create(paths.core('pods', 'default'), {
          apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { 'app.kubernetes.io/instance': instance, 'redwing.dev/role': 'master' } },
          spec: { containers: [{ name: 'engine', image: 'redis:7.4' }] },
        });
      }
      const pods = await stream.next('pods') as Array<{ name: string; role: string }>;
      assert.deepEqual(pods.map((pod) => [pod.name, pod.role]), [['shop-0', 'master']]);
      await admin.create(paths.core('events', 'default'), {
        apiVersion: 'v1', kind: 'Event', metadata: { name: 'shop.failover' }, involvedObject: { kind: 'KVStore', name: 'shop', namespace: 'default' },
        reason: 'FailedOver', message: 'master moved from shop-0 to shop-1', type: 'Warning', count: 1, lastTimestamp: new Date().toISOString(),
      });
      const events = await stream.next('events') as Array<{ reason: string; object: string }>;
      assert.ok(events.some((event) => event.reason === 'FailedOver' && event.object === 'KVStore/shop'), JSON.stringify(events));
    } finally {
      stream.close();
    }
  });

  it('pushes a row when its manager changes (a namespace claim, the leader Lease), not when a Lease is only renewed', async () => {
    const stream = user.stream('/api/events/stores');
    const lease = (namespace: string, name: string, holder: string, labels?: Record<string, string>) => ({
      apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace, labels },
      spec: { holderIdentity: holder, leaseDurationSeconds: 15, renewTime: new Date().toISOString().replace('Z', '000Z') },
    });
    type Row = { key: string; managedBy: { scope: string; holder?: string } };
    try {
      const snapshot = await stream.next('snapshot') as { rows: Row[] };
      assert.deepEqual(snapshot.rows.find((row) => row.key === 'default/shop')?.managedBy, { scope: 'cluster-wide' });
      await admin.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'redwing-system' } });
      await admin.create(paths.leases('redwing-system'), lease('redwing-system', 'redwing-reconciler', 'leader-1'));
      let row = await stream.next('row') as Row;
      assert.deepEqual(row.managedBy, { scope: 'cluster-wide', holder: 'leader-1' });
      await stream.next('row');
      await admin.create(paths.leases('default'), lease('default', 'redwing-namespace-claim', 'team-default-1', { 'redwing.dev/namespace-claim': 'true' }));
      row = await stream.next('row') as Row;
      assert.deepEqual(row.managedBy, { scope: 'namespaced', holder: 'team-default-1' });
      await stream.next('row');
      await admin.patch(paths.lease('default', 'redwing-namespace-claim'), { spec: { renewTime: new Date().toISOString().replace('Z', '000Z') } }, 'merge');
      await assert.rejects(stream.next('row', 1000), /no "row" event/, 'a renewal changes no manager');
    } finally {
      stream.close();
    }
  });

  it("lists the objects made for the store, by its instance label, with Secret keys and never their values", async () => {
    const labels = { 'app.kubernetes.io/instance': 'shop' };
    await admin.create(paths.core('configmaps', 'default'), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shop-config', labels }, data: { 'redis.conf': 'x' } });
    await admin.create(paths.core('configmaps', 'default'), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'unrelated', labels: { 'app.kubernetes.io/instance': 'shopping' } }, data: {} });
    await admin.create(paths.core('secrets', 'default'), { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'shop-tls', labels }, stringData: { 'tls.key': 'very-secret' } });
    const answer = await user.call('GET', `${STORE_PATH}/resources`);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const rows = answer.body.rows as Array<{ kind: string; name: string; detail: string }>;
    assert.deepEqual(rows.map((row) => `${row.kind}/${row.name}`), ['ConfigMap/shop-config', 'Secret/shop-tls']);
    assert.equal(rows[1].detail, 'Opaque, keys: tls.key (values not shown)');
    assert.doesNotMatch(JSON.stringify(answer.body), /very-secret|dmVyeS1zZWNyZXQ/);
    assert.deepEqual(answer.body.notShown, []);
  });

  it('lists KVPolicies, and deletes a store (gone from the list at once)', async () => {
    await admin.create('/apis/redwing.dev/v1alpha1/kvpolicies', { apiVersion: 'redwing.dev/v1alpha1', kind: 'KVPolicy', metadata: { name: 'small' }, spec: { enforcement: 'Audit', rules: { maxReplicas: 5 } } });
    const policies = await user.call('GET', '/api/policies');
    assert.deepEqual((policies.body.items as Array<{ metadata: { name: string } }>).map((policy) => policy.metadata.name), ['small']);
    const stream = user.stream('/api/events/stores');
    try {
      await stream.next('snapshot');
      assert.equal((await user.call('DELETE', STORE_PATH)).status, 200);
      assert.deepEqual(await stream.next('remove'), { key: 'default/shop' });
    } finally {
      stream.close();
    }
    assert.equal(await admin.getOptional(paths.kvstore('default', 'shop')), undefined);
  });
});
