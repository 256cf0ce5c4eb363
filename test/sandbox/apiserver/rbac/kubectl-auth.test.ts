/** kubectl's auth commands against the sandbox: create token, auth whoami, auth can-i (and --list), a refused get. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { TestServer } from '../helpers.js';
import { startTestServer } from '../helpers.js';

const KUBECTL = '/usr/bin/kubectl';

describe('kubectl create token / auth whoami / auth can-i on the sandbox', { skip: existsSync(KUBECTL) ? false : 'kubectl is not installed' }, () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
    await t.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } } });
    await t.request('POST', '/api/v1/namespaces/team/serviceaccounts', { body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'app' } } });
    await t.request('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/team/roles', { body: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'cm-read' }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }] } });
    await t.request('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/team/rolebindings', { body: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'app' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'cm-read' }, subjects: [{ kind: 'ServiceAccount', name: 'app', namespace: 'team' }] } });
  });
  after(async () => t?.close());

  async function kubectl(...args: string[]): Promise<{ code: number; out: string }> {
    try {
      const { stdout, stderr } = await promisify(execFile)(KUBECTL, ['--kubeconfig', t.server.kubeconfigPath, ...args], { timeout: 20_000 });
      return { code: 0, out: stdout + stderr };
    } catch (error) {
      const failed = error as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof failed.code === 'number' ? failed.code : -1, out: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
    }
  }

  it('issues a token the server accepts, and answers can-i, whoami and refusals for it', async () => {
    const created = await kubectl('-n', 'team', 'create', 'token', 'app', '--duration=15m');
    assert.equal(created.code, 0, created.out);
    const token = created.out.trim();
    const whoami = await kubectl('--token', token, 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}');
    assert.equal(whoami.out, 'system:serviceaccount:team:app');
    assert.deepEqual(await kubectl('--token', token, '-n', 'team', 'auth', 'can-i', 'list', 'configmaps'), { code: 0, out: 'yes\n' });
    assert.deepEqual(await kubectl('--token', token, '-n', 'team', 'auth', 'can-i', 'delete', 'configmaps'), { code: 1, out: 'no\n' });
    const list = await kubectl('--token', token, '-n', 'team', 'auth', 'can-i', '--list');
    assert.match(list.out, /^configmaps\s+\[\]\s+\[\]\s+\[get list\]$/m);
    const refused = await kubectl('--token', token, '-n', 'default', 'get', 'configmaps');
    assert.notEqual(refused.code, 0);
    assert.match(refused.out, /Error from server \(Forbidden\): configmaps is forbidden: User "system:serviceaccount:team:app" cannot list resource "configmaps" in API group "" in the namespace "default"/);
  });
});
