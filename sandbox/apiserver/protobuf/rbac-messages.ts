/** rbac.authorization.k8s.io/v1 (k8s.io/api rbac/v1/generated.proto): what `kubectl create role|clusterrole|rolebinding|clusterrolebinding` sends. */
import type { MessageSpec } from './message-spec.js';
import { field, message } from './message-spec.js';
import { labelSelector, objectMeta } from './meta-messages.js';

const policyRule = message('PolicyRule', [
  field(1, 'verbs', 'string', { list: true, always: true }),
  field(2, 'apiGroups', 'string', { list: true }),
  field(3, 'resources', 'string', { list: true }),
  field(4, 'resourceNames', 'string', { list: true }),
  field(5, 'nonResourceURLs', 'string', { list: true }),
]);

export const role = message('Role', [
  field(1, 'metadata', objectMeta),
  field(2, 'rules', policyRule, { list: true, always: true }),
]);

export const clusterRole = message('ClusterRole', [
  field(1, 'metadata', objectMeta),
  field(2, 'rules', policyRule, { list: true, always: true }),
  field(3, 'aggregationRule', message('AggregationRule', [field(1, 'clusterRoleSelectors', labelSelector, { list: true })]), { pointer: true }),
]);

const subject = message('Subject', [
  field(1, 'kind', 'string', { always: true }),
  field(2, 'apiGroup', 'string'),
  field(3, 'name', 'string', { always: true }),
  field(4, 'namespace', 'string'),
]);

const roleRef = message('RoleRef', [
  field(1, 'apiGroup', 'string', { always: true }),
  field(2, 'kind', 'string', { always: true }),
  field(3, 'name', 'string', { always: true }),
]);

/** RoleBinding and ClusterRoleBinding share their shape. */
export function roleBindingOf(name: string): MessageSpec {
  return message(name, [
    field(1, 'metadata', objectMeta),
    field(2, 'subjects', subject, { list: true }),
    field(3, 'roleRef', roleRef),
  ]);
}
