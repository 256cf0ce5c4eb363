import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requestAttributes } from '../../../../sandbox/apiserver/rbac/request-attributes.js';
import type { PolicyRule } from '../../../../sandbox/apiserver/rbac/rule-match.js';
import { nonResourceURLMatches, resourceMatches, ruleAllows } from '../../../../sandbox/apiserver/rbac/rule-match.js';
import { authorize, type RbacPolicy } from '../../../../sandbox/apiserver/rbac/authorizer.js';
import { forbiddenError } from '../../../../sandbox/apiserver/rbac/forbidden.js';

function attrs(method: string, path: string) {
  return requestAttributes(method, new URL(path, 'https://localhost'));
}

describe('request attributes, as RequestInfoFactory derives them', () => {
  it('maps methods to verbs, with list, watch and deletecollection for collections', () => {
    assert.equal(attrs('GET', '/api/v1/namespaces/ns/pods').verb, 'list');
    assert.equal(attrs('GET', '/api/v1/namespaces/ns/pods?watch=true').verb, 'watch');
    assert.equal(attrs('GET', '/api/v1/watch/namespaces/ns/pods').verb, 'watch');
    assert.equal(attrs('GET', '/api/v1/namespaces/ns/pods/p').verb, 'get');
    assert.equal(attrs('POST', '/api/v1/namespaces/ns/pods').verb, 'create');
    assert.equal(attrs('PUT', '/api/v1/namespaces/ns/pods/p').verb, 'update');
    assert.equal(attrs('PATCH', '/api/v1/namespaces/ns/pods/p').verb, 'patch');
    assert.equal(attrs('DELETE', '/api/v1/namespaces/ns/pods/p').verb, 'delete');
    assert.equal(attrs('DELETE', '/api/v1/namespaces/ns/pods').verb, 'deletecollection');
  });

  it('reads group, namespace, resource, name and subresource; a name field selector names the object', () => {
    assert.deepEqual(attrs('PUT', '/apis/redwing.dev/v1alpha1/namespaces/ns/kvstores/a/status'), { kind: 'resource', verb: 'update', apiGroup: 'redwing.dev', apiVersion: 'v1alpha1', namespace: 'ns', resource: 'kvstores', name: 'a', subresource: 'status' });
    assert.deepEqual(attrs('GET', '/api/v1/namespaces/ns'), { kind: 'resource', verb: 'get', apiGroup: '', apiVersion: 'v1', namespace: 'ns', resource: 'namespaces', name: 'ns', subresource: '' });
    const finalize = attrs('PUT', '/api/v1/namespaces/ns/finalize');
    assert.equal(finalize.kind === 'resource' && finalize.subresource, 'finalize');
    const pinned = attrs('GET', '/api/v1/namespaces/ns/configmaps?watch=1&fieldSelector=metadata.name%3Dcm');
    assert.equal(pinned.kind === 'resource' && pinned.name, 'cm');
  });

  it('discovery and other short paths are non-resource requests with the lowercase method as verb', () => {
    assert.deepEqual(attrs('GET', '/apis/apps/v1'), { kind: 'nonResource', verb: 'get', path: '/apis/apps/v1' });
    assert.deepEqual(attrs('GET', '/api'), { kind: 'nonResource', verb: 'get', path: '/api' });
    assert.deepEqual(attrs('POST', '/healthz'), { kind: 'nonResource', verb: 'post', path: '/healthz' });
  });
});

describe('policy rule matching', () => {
  it('a resource rule with subresources: exact, and a star resource before the slash', () => {
    assert.equal(resourceMatches({ verbs: ['get'], resources: ['pods/log'] }, 'pods', 'log'), true);
    assert.equal(resourceMatches({ verbs: ['get'], resources: ['pods'] }, 'pods', 'log'), false);
    assert.equal(resourceMatches({ verbs: ['get'], resources: ['*/scale'] }, 'statefulsets', 'scale'), true);
    assert.equal(resourceMatches({ verbs: ['get'], resources: ['*/scale'] }, 'statefulsets', ''), false);
    assert.equal(resourceMatches({ verbs: ['get'], resources: ['*'] }, 'kvstores', 'status'), true);
  });

  it('verbs, groups and resourceNames', () => {
    const rule: PolicyRule = { verbs: ['get', 'update'], apiGroups: [''], resources: ['secrets'], resourceNames: ['tls'] };
    assert.equal(ruleAllows(rule, attrs('GET', '/api/v1/namespaces/ns/secrets/tls')), true);
    assert.equal(ruleAllows(rule, attrs('GET', '/api/v1/namespaces/ns/secrets/other')), false);
    // a list has no name, so a rule limited to names never allows it
    assert.equal(ruleAllows(rule, attrs('GET', '/api/v1/namespaces/ns/secrets')), false);
    assert.equal(ruleAllows(rule, attrs('GET', '/apis/x.dev/v1/namespaces/ns/secrets/tls')), false);
    assert.equal(ruleAllows({ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, attrs('DELETE', '/apis/x.dev/v1/things')), true);
  });

  it('nonResourceURLs: exact, or a prefix when it ends in a star', () => {
    assert.equal(nonResourceURLMatches({ verbs: ['get'], nonResourceURLs: ['/apis/*'] }, '/apis/apps/v1'), true);
    assert.equal(nonResourceURLMatches({ verbs: ['get'], nonResourceURLs: ['/apis/*'] }, '/apis'), false);
    assert.equal(nonResourceURLMatches({ verbs: ['get'], nonResourceURLs: ['/version'] }, '/version/x'), false);
    assert.equal(ruleAllows({ verbs: ['get'], nonResourceURLs: ['/healthz'] }, attrs('GET', '/healthz')), true);
    assert.equal(ruleAllows({ verbs: ['get'], resources: ['*'], apiGroups: ['*'] }, attrs('GET', '/healthz')), false);
  });
});

describe('the authorizer and its 403 wording', () => {
  const jane = { username: 'jane', groups: ['devs', 'system:authenticated'] };
  const policy: RbacPolicy = {
    clusterRoles: new Map([['reader', [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['configmaps'] }]]]),
    roles: new Map([['ns/scaler', [{ verbs: ['update'], apiGroups: ['apps'], resources: ['statefulsets/scale'] }]]]),
    clusterRoleBindings: [{ name: 'devs-read', roleRef: { kind: 'ClusterRole', name: 'reader' }, subjects: [{ kind: 'Group', name: 'devs' }] }],
    roleBindings: [
      { name: 'scale', namespace: 'ns', roleRef: { kind: 'Role', name: 'scaler' }, subjects: [{ kind: 'User', name: 'jane' }] },
      { name: 'dangling', namespace: 'other', roleRef: { kind: 'ClusterRole', name: 'gone' }, subjects: [{ kind: 'User', name: 'jane' }] },
    ],
  };

  it('allows through cluster and namespace bindings, and says which', () => {
    assert.deepEqual(authorize(policy, jane, attrs('GET', '/api/v1/configmaps')), { allowed: true, reason: 'RBAC: allowed by ClusterRoleBinding "devs-read" of ClusterRole "reader" to Group "devs"' });
    assert.deepEqual(authorize(policy, jane, attrs('PUT', '/apis/apps/v1/namespaces/ns/statefulsets/s/scale')), { allowed: true, reason: 'RBAC: allowed by RoleBinding "scale/ns" of Role "scaler" to User "jane"' });
    assert.equal(authorize(policy, jane, attrs('PUT', '/apis/apps/v1/namespaces/elsewhere/statefulsets/s/scale')).allowed, false);
    assert.equal(authorize(policy, { username: 'x', groups: ['system:masters'] }, attrs('DELETE', '/api/v1/nodes/n')).allowed, true);
  });

  it('a binding to a missing role becomes the reason of the denial', () => {
    const decision = authorize(policy, jane, attrs('DELETE', '/api/v1/namespaces/other/pods/p'));
    assert.deepEqual(decision, { allowed: false, reason: 'RBAC: clusterrole.rbac.authorization.k8s.io "gone" not found' });
    assert.equal(forbiddenError('jane', attrs('DELETE', '/api/v1/namespaces/other/pods/p'), decision.reason).message, 'pods "p" is forbidden: User "jane" cannot delete resource "pods" in API group "" in the namespace "other": RBAC: clusterrole.rbac.authorization.k8s.io "gone" not found');
  });

  it('words cluster-scope, subresource and non-resource denials as kube-apiserver', () => {
    assert.equal(forbiddenError('jane', attrs('GET', '/api/v1/nodes'), '').message, 'nodes is forbidden: User "jane" cannot list resource "nodes" in API group "" at the cluster scope');
    assert.equal(forbiddenError('jane', attrs('PATCH', '/apis/redwing.dev/v1alpha1/namespaces/n/kvstores/a/status'), '').message, 'kvstores.redwing.dev "a" is forbidden: User "jane" cannot patch resource "kvstores/status" in API group "redwing.dev" in the namespace "n"');
    const nonResource = forbiddenError('system:anonymous', attrs('GET', '/metrics'), '').toStatus();
    assert.equal(nonResource.message, 'forbidden: User "system:anonymous" cannot get path "/metrics"');
    assert.deepEqual(nonResource.details, {});
  });
});
