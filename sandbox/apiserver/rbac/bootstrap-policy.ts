/**
 * The default roles and bindings kube-apiserver creates at start (plugin/pkg/auth/authorizer/rbac/bootstrappolicy)
 * that matter here: cluster-admin for system:masters; discovery, version, health and OpenAPI for every authenticated
 * user (public-info for anonymous ones too); the self-reviews (`kubectl auth whoami`, `can-i`); and the aggregated
 * user-facing roles admin, edit and view. The aggregate-to-* roles are shortened to the kinds this server serves.
 */
import { newUid } from '../object-meta.js';
import type { KubeObject } from '../types.js';
import { nowTimestamp } from '../types.js';
import type { PolicyRule } from './rule-match.js';

const RBAC_API = 'rbac.authorization.k8s.io/v1';
const BOOTSTRAP_LABELS = { 'kubernetes.io/bootstrapping': 'rbac-defaults' };
const AUTOUPDATE = { 'rbac.authorization.kubernetes.io/autoupdate': 'true' };
const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];

interface RoleSpec {
  name: string;
  rules: PolicyRule[];
  labels?: Record<string, string>;
  aggregateFrom?: string;
}

function aggregationLabel(role: string): string {
  return `rbac.authorization.k8s.io/aggregate-to-${role}`;
}

const CLUSTER_ROLES: RoleSpec[] = [
  { name: 'cluster-admin', rules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, { verbs: ['*'], nonResourceURLs: ['*'] }] },
  {
    name: 'system:discovery',
    rules: [{ verbs: ['get'], nonResourceURLs: ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/'] }],
  },
  { name: 'system:public-info-viewer', rules: [{ verbs: ['get'], nonResourceURLs: ['/healthz', '/livez', '/readyz', '/version', '/version/'] }] },
  {
    name: 'system:basic-user',
    rules: [
      { verbs: ['create'], apiGroups: ['authentication.k8s.io'], resources: ['selfsubjectreviews'] },
      { verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'] },
    ],
  },
  { name: 'admin', rules: [], aggregateFrom: 'admin' },
  { name: 'edit', rules: [], aggregateFrom: 'edit', labels: { [aggregationLabel('admin')]: 'true' } },
  { name: 'view', rules: [], aggregateFrom: 'view', labels: { [aggregationLabel('admin')]: 'true', [aggregationLabel('edit')]: 'true' } },
  {
    name: 'system:aggregate-to-admin',
    labels: { [aggregationLabel('admin')]: 'true' },
    rules: [
      { verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['localsubjectaccessreviews'] },
      { verbs: [...WRITE, ...READ], apiGroups: ['rbac.authorization.k8s.io'], resources: ['rolebindings', 'roles'] },
    ],
  },
  {
    name: 'system:aggregate-to-edit',
    labels: { [aggregationLabel('edit')]: 'true' },
    rules: [
      { verbs: ['impersonate'], apiGroups: [''], resources: ['serviceaccounts'] },
      { verbs: WRITE, apiGroups: [''], resources: ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy'] },
      { verbs: ['create'], apiGroups: [''], resources: ['pods/eviction', 'serviceaccounts/token'] },
      { verbs: WRITE, apiGroups: [''], resources: ['configmaps', 'events', 'persistentvolumeclaims', 'replicationcontrollers', 'replicationcontrollers/scale', 'secrets', 'serviceaccounts', 'services', 'services/proxy'] },
      { verbs: READ, apiGroups: [''], resources: ['secrets'] },
      { verbs: WRITE, apiGroups: ['apps'], resources: ['daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'replicasets', 'replicasets/scale', 'statefulsets', 'statefulsets/scale'] },
      { verbs: WRITE, apiGroups: ['policy'], resources: ['poddisruptionbudgets'] },
      { verbs: WRITE, apiGroups: ['networking.k8s.io'], resources: ['ingresses', 'networkpolicies'] },
      { verbs: WRITE, apiGroups: ['coordination.k8s.io'], resources: ['leases'] },
    ],
  },
  {
    name: 'system:aggregate-to-view',
    labels: { [aggregationLabel('view')]: 'true' },
    rules: [
      {
        verbs: READ, apiGroups: [''],
        resources: ['configmaps', 'endpoints', 'persistentvolumeclaims', 'persistentvolumeclaims/status', 'pods', 'replicationcontrollers', 'replicationcontrollers/scale', 'serviceaccounts', 'services', 'services/status'],
      },
      { verbs: READ, apiGroups: [''], resources: ['bindings', 'events', 'limitranges', 'namespaces/status', 'pods/log', 'pods/status', 'replicationcontrollers/status', 'resourcequotas', 'resourcequotas/status'] },
      { verbs: READ, apiGroups: [''], resources: ['namespaces'] },
      { verbs: READ, apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'] },
      {
        verbs: READ, apiGroups: ['apps'],
        resources: ['controllerrevisions', 'daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'replicasets', 'replicasets/scale', 'replicasets/status', 'statefulsets', 'statefulsets/scale', 'statefulsets/status'],
      },
      { verbs: READ, apiGroups: ['policy'], resources: ['poddisruptionbudgets', 'poddisruptionbudgets/status'] },
      { verbs: READ, apiGroups: ['networking.k8s.io'], resources: ['ingresses', 'ingresses/status', 'networkpolicies'] },
    ],
  },
];

const CLUSTER_ROLE_BINDINGS: { name: string; role: string; groups: string[] }[] = [
  { name: 'cluster-admin', role: 'cluster-admin', groups: ['system:masters'] },
  { name: 'system:discovery', role: 'system:discovery', groups: ['system:authenticated'] },
  { name: 'system:basic-user', role: 'system:basic-user', groups: ['system:authenticated'] },
  { name: 'system:public-info-viewer', role: 'system:public-info-viewer', groups: ['system:authenticated', 'system:unauthenticated'] },
];

function metadata(name: string, labels: Record<string, string> = {}): KubeObject['metadata'] {
  return { name, uid: newUid(), creationTimestamp: nowTimestamp(), labels: { ...BOOTSTRAP_LABELS, ...labels }, annotations: { ...AUTOUPDATE } };
}

export function bootstrapClusterRoles(): KubeObject[] {
  return CLUSTER_ROLES.map((spec) => {
    const role: KubeObject = { kind: 'ClusterRole', apiVersion: RBAC_API, metadata: metadata(spec.name, spec.labels) };
    if (spec.aggregateFrom) role.aggregationRule = { clusterRoleSelectors: [{ matchLabels: { [aggregationLabel(spec.aggregateFrom)]: 'true' } }] };
    role.rules = spec.rules;
    return role;
  });
}

export function bootstrapClusterRoleBindings(): KubeObject[] {
  return CLUSTER_ROLE_BINDINGS.map((spec) => ({
    kind: 'ClusterRoleBinding',
    apiVersion: RBAC_API,
    metadata: metadata(spec.name),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: spec.role },
    subjects: spec.groups.map((name) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name })),
  }));
}
