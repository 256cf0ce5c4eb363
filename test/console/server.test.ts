import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { startConsole, type RunningConsole } from '../../console/server.js';
import { KubeClient } from '../../kube/client.js';
import { resolveClusterAccess } from '../../kube/cluster-access.js';
import { paths } from '../../kube/paths.js';
import { installCrds } from '../../harness/sandbox-cluster.js';
import { useTestApiServer } from '../helpers/api-server.js';
import { ConsoleUser } from './console-client.js';

const store = (name: string, spec: Record<string, unknown> = {}) => ({ metadata: { name, namespace: 'default' }, spec: { engine: 'redis', ...spec } });

describe('console server', () => {
  const consoles: RunningConsole[] = [];
  let admin: KubeClient;
  let writable: RunningConsole;
  let readOnly: RunningConsole;
  after(async () => {
    admin?.close();
    for (const running of consoles) await running.stop();
  });
  const api = useTestApiServer({ dirPrefix: 'redwing-console-' });

  before(async () => {
    admin = new KubeClient(api.kubeConfig);
    await installCrds(admin);
    const access = await resolveClusterAccess(api.kubeConfig);
    const logger = pino({ level: 'silent' });
    writable = await startConsole({ access, offerKubeconfig: true, readOnly: false, port: 0, logger });
    readOnly = await startConsole({ access, offerKubeconfig: true, readOnly: true, port: 0, logger });
    consoles.push(writable, readOnly);
  });

  it('serves the page and its script, and nothing of the API before login', async () => {
    const user = new ConsoleUser(writable.url);
    const page = await fetch(writable.url);
    assert.match(await page.text(), /<script type="module" src="\/assets\/main.js">/);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    const script = await fetch(new URL('/assets/main.js', writable.url));
    assert.equal(script.status, 200);
    assert.match(await script.text(), /api\/session/);
    assert.equal((await user.call('GET', '/api/session')).body.loggedIn, false);
    assert.equal((await user.call('GET', '/api/schema')).status, 401);
  });

  it('refuses a token the API server does not accept', async () => {
    const answer = await new ConsoleUser(writable.url).login({ token: 'not-a-token' });
    assert.equal(answer.status, 401);
    assert.equal(answer.headers['set-cookie'], undefined);
  });

  it('acts with a logged-in token as that user: RBAC refusals are relayed, not bypassed', async () => {
    await admin.create(paths.core('serviceaccounts', 'default'), { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'console-viewer' } });
    const review = await admin.create<{ status?: { token?: string } }>(`${paths.coreObject('serviceaccounts', 'default', 'console-viewer')}/token`, {
      apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences: [] },
    });
    const user = new ConsoleUser(writable.url);
    const login = await user.login({ token: String(review.status?.token) });
    assert.equal(login.status, 200);
    assert.equal(login.body.user, 'system:serviceaccount:default:console-viewer');
    const created = await user.call('POST', '/api/stores', { object: store('not-allowed') });
    assert.equal(created.status, 403);
    const stream = user.stream('/api/events/stores');
    try {
      assert.match(String((await stream.next('failure') as { message: string }).message), /may not list KVStores/);
    } finally {
      stream.close();
    }
  });

  it('needs the CSRF token and a same-origin request for every write', async () => {
    const user = new ConsoleUser(writable.url);
    assert.equal((await user.login()).status, 200);
    const token = user.csrfToken;
    user.csrfToken = '';
    assert.equal((await user.call('POST', '/api/stores', { object: store('no-csrf') })).status, 403);
    user.csrfToken = 'wrong';
    assert.equal((await user.call('POST', '/api/stores', { object: store('wrong-csrf') })).status, 403);
    user.csrfToken = token;
    assert.equal((await user.call('POST', '/api/stores', { object: store('cross-site') }, { Origin: 'http://evil.example' })).status, 403);
    assert.equal(await admin.getOptional(paths.kvstore('default', 'no-csrf')), undefined);
  });

  it("dry-runs a store and relays the API server's field errors", async () => {
    const user = new ConsoleUser(writable.url);
    await user.login();
    const accepted = await user.call('POST', '/api/stores/dry-run', { yaml: 'metadata: { name: dry }\nspec: { engine: redis, replicas: 3 }\n' });
    assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
    assert.deepEqual((accepted.body.submitted as { spec: unknown }).spec, { engine: 'redis', replicas: 3 });
    assert.equal(await admin.getOptional(paths.kvstore('default', 'dry')), undefined);
    const refused = await user.call('POST', '/api/stores/dry-run', { object: store('dry', { replicas: 99 }) });
    assert.equal(refused.status, 422);
    assert.ok((refused.body.fieldErrors as Array<{ field: string }>).some((error) => error.field === 'spec.replicas'), JSON.stringify(refused.body));
  });

  it('pushes the store list, then each change, over server-sent events', async () => {
    const user = new ConsoleUser(writable.url);
    await user.login();
    const stream = user.stream('/api/events/stores');
    try {
      const snapshot = await stream.next('snapshot') as { rows: Array<{ key: string }>; managersKnown: boolean };
      assert.equal(snapshot.managersKnown, true);
      assert.equal((await user.call('POST', '/api/stores', { object: store('live') })).status, 201);
      let row = await stream.next('row') as { key: string; phase: string; managedBy: { scope: string } };
      assert.equal(row.key, 'default/live');
      assert.equal(row.managedBy.scope, 'cluster-wide');
      await admin.patch(`${paths.kvstore('default', 'live')}/status`, { status: { phase: 'Ready', readyReplicas: 3 } });
      row = await stream.next('row') as typeof row;
      assert.equal(row.phase, 'Ready');
    } finally {
      stream.close();
    }
  });

  it('read-only mode refuses writes but still answers dry-runs', async () => {
    const user = new ConsoleUser(readOnly.url);
    const session = await user.login();
    assert.equal(session.body.readOnly, true);
    const created = await user.call('POST', '/api/stores', { object: store('read-only') });
    assert.equal(created.status, 403);
    assert.match(String(created.body.message), /read-only/);
    assert.equal((await user.call('POST', '/api/stores/dry-run', { object: store('read-only') })).status, 200);
    assert.equal((await user.call('DELETE', '/api/stores/default/live')).status, 403);
  });
});
