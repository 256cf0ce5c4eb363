/** Which kinds have field tables: kinds `kubectl create` sends as protobuf, their lists, and meta/v1 Status. */
import { deployment } from './apps-messages.js';
import { tokenRequest } from './authentication-messages.js';
import { selfSubjectAccessReview, selfSubjectRulesReview } from './authorization-messages.js';
import { configMap, namespace, secret, serviceAccount } from './core-messages.js';
import type { MessageSpec } from './message-spec.js';
import { field, message } from './message-spec.js';
import { listMeta, status } from './meta-messages.js';
import { clusterRole, role, roleBindingOf } from './rbac-messages.js';
import { service } from './service-messages.js';

const OBJECT_KINDS: Record<string, MessageSpec> = {
  'v1/ConfigMap': configMap,
  'v1/Secret': secret,
  'v1/Namespace': namespace,
  'v1/ServiceAccount': serviceAccount,
  'v1/Service': service,
  'apps/v1/Deployment': deployment,
  'rbac.authorization.k8s.io/v1/Role': role,
  'rbac.authorization.k8s.io/v1/ClusterRole': clusterRole,
  'rbac.authorization.k8s.io/v1/RoleBinding': roleBindingOf('RoleBinding'),
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': roleBindingOf('ClusterRoleBinding'),
};

const MESSAGES: Record<string, MessageSpec> = {
  ...OBJECT_KINDS,
  'authentication.k8s.io/v1/TokenRequest': tokenRequest,
  'authorization.k8s.io/v1/SelfSubjectAccessReview': selfSubjectAccessReview,
  'authorization.k8s.io/v1/SelfSubjectRulesReview': selfSubjectRulesReview,
  'v1/Status': status,
};

for (const [key, item] of Object.entries(OBJECT_KINDS)) {
  MESSAGES[`${key}List`] = message(`${item.name}List`, [
    field(1, 'metadata', listMeta),
    field(2, 'items', item, { list: true, always: true }),
  ]);
}

/** `apiVersion/kind` of every object kind with a table (lists and Status aside), for error messages. */
export function coveredKinds(): string[] {
  return [...Object.keys(OBJECT_KINDS), 'authentication.k8s.io/v1/TokenRequest', 'authorization.k8s.io/v1/SelfSubjectAccessReview', 'authorization.k8s.io/v1/SelfSubjectRulesReview'];
}

/** The field table of `kind` in `apiVersion` (lists included), or undefined when the sandbox has none. */
export function messageForKind(apiVersion: string, kind: string): MessageSpec | undefined {
  return MESSAGES[`${apiVersion}/${kind}`];
}
