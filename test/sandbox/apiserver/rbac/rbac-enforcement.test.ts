import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../../../../harness/wait-for.js';
import type { TestServer } from '../helpers.js';
import { startTestServer } from '../helpers.js';

const RBAC = '/apis/rbac.authorization.k8s.io/v1';
const SSAR = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';

describe('RBAC enforced on requests (ServiceAccount tokens, roles, bindings, aggregation, reviews)', () => {
  let t: TestServer;
  let token: string;
  before(async () => {
    t = await startTestServer();
    await t.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } } });
    await t.request('POST', '/api/v1/namespaces/team/serviceaccounts', { body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'app' } } });
    token = (await t.request('POST', '/api/v1/namespaces/team/serviceaccounts/app/token', { body: { spec: {} } })).body.status.token as string;
  });
  after(async () => t.close());

  it('a new ServiceAccount may discover the API and review itself, and nothing else', async () => {
    assert.equal((await t.request('GET', '/apis', { token })).status, 200);
    assert.equal((await t.request('GET', '/api/v1', { token })).status, 200);
    assert.equal((await t.request('GET', '/version', { token })).status, 200);
    const list = await t.request('GET', '/api/v1/namespaces/team/configmaps', { token });
    assert.equal(list.status, 403);
    assert.equal(list.body.message, 'configmaps is forbidden: User "system:serviceaccount:team:app" cannot list resource "configmaps" in API group "" in the namespace "team"');
    const review = await t.request('POST', SSAR, { token, body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { namespace: 'team', verb: 'list', resource: 'configmaps' } } } });
    assert.equal(review.status, 201);
    assert.deepEqual(review.body.status, { allowed: false });
  });

  it('a server-side apply that creates the object needs create as well as patch, as on kube-apiserver', async () => {
    const apply = (name: string) => t.request('PATCH', `/api/v1/namespaces/team/configmaps/${name}?fieldManager=app`, {
      token, contentType: 'application/apply-patch+yaml', body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { a: 'b' } }),
    });
    await t.request('POST', `${RBAC}/namespaces/team/roles`, { body: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'cm-patch' }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['patch'] }] } });
    await t.request('POST', `${RBAC}/namespaces/team/rolebindings`, { body: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'app-patch' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'cm-patch' }, subjects: [{ kind: 'ServiceAccount', name: 'app', namespace: 'team' }] } });
    await waitFor('the patch grant', async () => (await apply('ssa')).status === 403);
    const refused = await apply('ssa');
    assert.equal(refused.body.message, 'configmaps "ssa" is forbidden: User "system:serviceaccount:team:app" cannot create resource "configmaps" in API group "" in the namespace "team"');
    await t.request('POST', '/api/v1/namespaces/team/configmaps', { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa' } } });
    assert.equal((await apply('ssa')).status, 200, 'patch alone updates an existing object');
  });

  it('anonymous users see only the public info (version, health)', async () => {
    assert.equal((await t.request('GET', '/version', { token: null })).status, 200);
    assert.equal((await t.request('GET', '/healthz', { token: null })).status, 200);
    const api = await t.request('GET', '/api', { token: null });
    assert.equal(api.status, 403);
    assert.equal(api.body.message, 'forbidden: User "system:anonymous" cannot get path "/api"');
  });

  it('a Role and RoleBinding grant exactly their rules, in their namespace, from the moment they are stored', async () => {
    await t.request('POST', `${RBAC}/namespaces/team/roles`, { body: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'cm-reader' }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }, { apiGroups: [''], resources: ['secrets'], resourceNames: ['allowed'], verbs: ['get'] }] } });
    await t.request('POST', `${RBAC}/namespaces/team/rolebindings`, { body: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'app-reads' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'cm-reader' }, subjects: [{ kind: 'ServiceAccount', name: 'app', namespace: 'team' }] } });
    assert.equal((await t.request('GET', '/api/v1/namespaces/team/configmaps', { token })).status, 200);
    assert.equal((await t.request('GET', '/api/v1/namespaces/default/configmaps', { token })).status, 403);
    assert.equal((await t.request('POST', '/api/v1/namespaces/team/configmaps', { token, body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } } })).status, 403);
    assert.equal((await t.request('GET', '/api/v1/namespaces/team/secrets/allowed', { token })).status, 404);
    assert.equal((await t.request('GET', '/api/v1/namespaces/team/secrets/other', { token })).status, 403);
    const review = await t.request('POST', SSAR, { token, body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { namespace: 'team', verb: 'watch', resource: 'configmaps' } } } });
    assert.deepEqual(review.body.status, { allowed: true, reason: 'RBAC: allowed by RoleBinding "app-reads/team" of Role "cm-reader" to ServiceAccount "app/team"' });
    const rules = await t.request('POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', { token, body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace: 'team' } } });
    assert.equal(rules.status, 201);
    assert.ok(rules.body.status.resourceRules.some((r: { resources: string[]; verbs: string[] }) => r.resources.includes('configmaps') && r.verbs.includes('watch')));
    assert.ok(rules.body.status.nonResourceRules.some((r: { nonResourceURLs: string[] }) => r.nonResourceURLs.includes('/version')));
  });

  it('aggregated ClusterRoles pick up the rules of labelled roles (user-facing edit role)', async () => {
    await t.request('POST', `${RBAC}/clusterroles`, { body: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'kvstore-edit', labels: { 'rbac.authorization.k8s.io/aggregate-to-edit': 'true' } }, rules: [{ apiGroups: ['redwing.dev'], resources: ['kvstores'], verbs: ['create'] }] } });
    await t.request('POST', `${RBAC}/namespaces/team/rolebindings`, { body: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'app-edit' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' }, subjects: [{ kind: 'ServiceAccount', name: 'app', namespace: 'team' }] } });
    await waitFor('edit to aggregate the kvstore-edit rules', async () => {
      const edit = await t.request('GET', `${RBAC}/clusterroles/edit`);
      return JSON.stringify(edit.body.rules).includes('redwing.dev');
    }, 5000);
    const admin = await t.request('GET', `${RBAC}/clusterroles/admin`);
    assert.ok(JSON.stringify(admin.body.rules).includes('redwing.dev'), 'admin aggregates edit');
    const review = await t.request('POST', SSAR, { token, body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { namespace: 'team', verb: 'create', group: 'redwing.dev', resource: 'kvstores' } } } });
    assert.equal(review.body.status.allowed, true);
  });

  it('impersonation needs the impersonate verb; the admin may impersonate a ServiceAccount and act with its rights', async () => {
    const denied = await t.request('GET', '/api/v1/namespaces/team/configmaps', { token, headers: { 'impersonate-user': 'root' } });
    assert.equal(denied.status, 403);
    assert.equal(denied.body.message, 'users "root" is forbidden: User "system:serviceaccount:team:app" cannot impersonate resource "users" in API group "" at the cluster scope');
    const asApp = await t.request('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { headers: { 'impersonate-user': 'system:serviceaccount:team:app' }, body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });
    assert.deepEqual(asApp.body.status.userInfo, { username: 'system:serviceaccount:team:app', groups: ['system:serviceaccounts', 'system:serviceaccounts:team', 'system:authenticated'] });
    assert.equal((await t.request('GET', '/api/v1/namespaces/team/configmaps', { headers: { 'impersonate-user': 'system:serviceaccount:team:app' } })).status, 200);
    assert.equal((await t.request('GET', '/api/v1/nodes', { headers: { 'impersonate-user': 'system:serviceaccount:team:app' } })).status, 403);
  });
});
