/** manifests/rbac/user-roles.yaml reaches namespace users through the built-in aggregated roles admin, edit and view. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readManifestObjects } from '../../../helpers/manifest-identity.js';
import { waitFor } from '../../../../harness/wait-for.js';
import type { TestServer } from '../helpers.js';
import { startTestServer } from '../helpers.js';

const RBAC = '/apis/rbac.authorization.k8s.io/v1';

describe('user roles for KVStores (aggregated into admin, edit, view)', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
    for (const role of readManifestObjects('user-roles.yaml')) assert.equal((await t.request('POST', `${RBAC}/clusterroles`, { body: role })).status, 201);
    for (const [user, role] of [['viewer', 'view'], ['editor', 'edit'], ['owner', 'admin']]) {
      await t.request('POST', `${RBAC}/namespaces/default/rolebindings`, { body: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: user }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }] } });
    }
  });
  after(async () => t?.close());

  /** `kubectl auth can-i --as <user>`: the admin impersonates the user and asks. */
  async function can(user: string, verb: string, resource: string, subresource = ''): Promise<boolean> {
    const review = await t.request('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
      headers: { 'impersonate-user': user },
      body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { namespace: 'default', verb, group: 'redwing.dev', resource, subresource } } },
    });
    return review.body.status.allowed === true;
  }

  it('view reads stores, edit and admin also write and scale them; KVPolicies stay with cluster admins', async () => {
    await waitFor('the aggregated roles to pick up the KVStore rules', () => can('owner', 'create', 'kvstores'), 5000);
    assert.equal(await can('viewer', 'list', 'kvstores'), true);
    assert.equal(await can('viewer', 'get', 'kvstores', 'status'), true);
    assert.equal(await can('viewer', 'create', 'kvstores'), false);
    assert.equal(await can('editor', 'patch', 'kvstores', 'scale'), true);
    assert.equal(await can('editor', 'delete', 'kvstores'), true);
    assert.equal(await can('editor', 'patch', 'kvstores', 'status'), false);
    assert.equal(await can('owner', 'deletecollection', 'kvstores'), true);
    for (const user of ['viewer', 'editor', 'owner']) assert.equal(await can(user, 'list', 'kvpolicies'), false, user);
  });
});
