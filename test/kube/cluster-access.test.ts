/** The reconciler's own kubeconfig / in-cluster loader, and KubeClient (requests and watch) driven by it over real HTTPS. */
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { stringify } from 'yaml';
import { startApiServer, type RunningApiServer } from '../../sandbox/apiserver/server.js';
import {
  inClusterAccess, loadClusterAccess, parseKubeconfig, parseKubeconfigText, resolveClusterAccess, type KubeconfigFile,
} from '../../kube/cluster-access.js';
import { KubeClient, type KubeObject } from '../../kube/client.js';
import { paths } from '../../kube/paths.js';
import { waitFor } from '../../harness/wait-for.js';

const b64 = (text: string) => Buffer.from(text).toString('base64');

function kubeconfig(user: Record<string, unknown>, cluster: Record<string, unknown> = { server: 'https://10.0.0.1:6443/' }): KubeconfigFile {
  return ({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'b',
    clusters: [{ name: 'other', cluster: { server: 'https://wrong' } }, { name: 'c', cluster }],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'a', context: { cluster: 'other', user: 'u' } }, { name: 'b', context: { cluster: 'c', user: 'u' } }],
  });
}

describe('cluster access without client-node', () => {
  let dir: string;

  before(() => {
    dir = mkdtempSync(join('/var/tmp', 'redwing-cluster-access-'));
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the current context: server, CA and client certificate as data, token as a header', async () => {
    const access = parseKubeconfig(kubeconfig(
      { 'client-certificate-data': b64('CERT'), 'client-key-data': b64('KEY'), token: 'tok' },
      { server: 'https://10.0.0.1:6443/', 'certificate-authority-data': b64('CA') },
    ), dir)!;
    assert.equal(access.server, 'https://10.0.0.1:6443');
    assert.deepEqual([String(access.tls.ca), String(access.tls.cert), String(access.tls.key)], ['CA', 'CERT', 'KEY']);
    assert.deepEqual(await access.headers(), { Authorization: 'Bearer tok' });
  });

  it('reads file paths relative to the kubeconfig, a token file, insecure-skip-tls-verify and basic auth', async () => {
    writeFileSync(join(dir, 'ca.pem'), 'CA-FILE');
    writeFileSync(join(dir, 'token'), 'file-token\n');
    const fromFiles = parseKubeconfig(kubeconfig({ tokenFile: 'token' }, { server: 'https://h', 'certificate-authority': 'ca.pem' }), dir)!;
    assert.equal(String(fromFiles.tls.ca), 'CA-FILE');
    assert.deepEqual(await fromFiles.headers(), { Authorization: 'Bearer file-token' });
    const insecure = parseKubeconfig(kubeconfig({ username: 'admin', password: 'pw' }, { server: 'https://h', 'insecure-skip-tls-verify': true }), dir)!;
    assert.equal(insecure.tls.rejectUnauthorized, false);
    assert.deepEqual(await insecure.headers(), { Authorization: `Basic ${b64('admin:pw')}` });
  });

  it('parses JSON without the YAML parser, and YAML with it', async () => {
    const file = kubeconfig({ token: 't' });
    assert.deepEqual(await parseKubeconfigText(JSON.stringify(file)), file);
    assert.deepEqual(await parseKubeconfigText(stringify(file)), file);
  });

  it('leaves exec and auth-provider users to client-node', () => {
    assert.equal(parseKubeconfig(kubeconfig({ exec: { command: 'aws' } }), dir), undefined);
    assert.equal(parseKubeconfig(kubeconfig({ 'auth-provider': { name: 'oidc' } }), dir), undefined);
  });

  it('uses the service account in a pod, and names what is missing otherwise', async () => {
    writeFileSync(join(dir, 'ca.crt'), 'SA-CA');
    const access = inClusterAccess({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '6443' }, dir);
    assert.equal(access.server, 'https://[fd00::1]:6443');
    assert.equal(String(access.tls.ca), 'SA-CA');
    assert.deepEqual(await access.headers(), { Authorization: 'Bearer file-token' });
    assert.throws(() => inClusterAccess({}, dir), /KUBERNETES_SERVICE_HOST/);
    await assert.rejects(loadClusterAccess(join(dir, 'missing')), /cannot read kubeconfig/);
  });

  describe('against the sandbox API server', () => {
    let server: RunningApiServer;
    let client: KubeClient;

    before(async () => {
      server = await startApiServer({ dir: join(dir, 'api'), logger: pino({ level: 'silent' }) });
      client = new KubeClient(await loadClusterAccess(server.kubeconfigPath, {}));
    });

    after(async () => {
      client?.close();
      await server?.stop();
    });

    it('authenticates with the loaded kubeconfig, and a watch streams events until aborted', async () => {
      const events: string[] = [];
      const done: unknown[] = [];
      const list = await client.list(paths.core('configmaps', 'default'));
      const watch = await client.watch(paths.core('configmaps', 'default'), { resourceVersion: list.metadata?.resourceVersion ?? '' }, (type, object) => {
        events.push(`${type} ${(object as KubeObject).metadata?.name}`);
      }, (error) => done.push(error));
      await client.create(paths.core('configmaps', 'default'), { metadata: { name: 'one' }, data: { a: '1' } });
      await client.delete(paths.coreObject('configmaps', 'default', 'one'));
      await waitFor('both events', async () => events.length >= 2, 10_000, 20);
      assert.deepEqual(events, ['ADDED one', 'DELETED one']);
      watch.abort();
      assert.deepEqual(done, [], 'an aborted watch does not report an end');
    });

    it('rejects a watch the server refuses, with its status code', async () => {
      await assert.rejects(client.watch('/api/v1/nosuchkind', {}, () => undefined, () => undefined), (error: { statusCode?: number }) => error.statusCode === 404);
    });

    it('gives the same view through a client-node KubeConfig', async () => {
      const { KubeConfig } = await import('@kubernetes/client-node');
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromString(readFileSync(server.kubeconfigPath, 'utf8'));
      const access = await resolveClusterAccess(kubeConfig);
      const own = await loadClusterAccess(server.kubeconfigPath, {});
      assert.equal(access.server, (await resolveClusterAccess(own)).server);
    });
  });
});
