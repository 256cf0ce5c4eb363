/**
 * The RBAC policy as stored: seeds the bootstrap roles, keeps a parsed snapshot that is rebuilt only after an RBAC
 * object changes, and keeps aggregated ClusterRoles up to date (the aggregation controller's job, done here
 * because the sandbox has no kube-controller-manager for it).
 */
import type { ObjectStore, StoreEvent } from '../store.js';
import type { KubeObject } from '../types.js';
import { isJsonObject } from '../types.js';
import { staleAggregations } from './aggregation.js';
import type { Binding, RbacPolicy, Subject } from './authorizer.js';
import { bootstrapClusterRoleBindings, bootstrapClusterRoles } from './bootstrap-policy.js';
import type { PolicyRule } from './rule-match.js';
import { parseRule } from './rule-match.js';

const RBAC_GROUP = 'rbac.authorization.k8s.io';
const CLUSTER_ROLES = `${RBAC_GROUP}/clusterroles`;
const ROLES = `${RBAC_GROUP}/roles`;
const CLUSTER_ROLE_BINDINGS = `${RBAC_GROUP}/clusterrolebindings`;
const ROLE_BINDINGS = `${RBAC_GROUP}/rolebindings`;

function rulesOf(role: KubeObject): PolicyRule[] {
  return (Array.isArray(role.rules) ? role.rules : []).map(parseRule).filter((r): r is PolicyRule => r !== undefined);
}

function bindingOf(object: KubeObject): Binding {
  const roleRef = isJsonObject(object.roleRef) ? object.roleRef : {};
  const subjects: Subject[] = (Array.isArray(object.subjects) ? object.subjects : []).filter(isJsonObject).map((s) => ({
    kind: String(s.kind ?? ''),
    name: String(s.name ?? ''),
    ...(typeof s.namespace === 'string' ? { namespace: s.namespace } : {}),
  }));
  return {
    name: object.metadata.name ?? '',
    ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
    roleRef: { kind: String(roleRef.kind ?? ''), name: String(roleRef.name ?? '') },
    subjects,
  };
}

export class RbacPolicyStore {
  private snapshot: RbacPolicy | undefined;
  private aggregationQueued = false;

  constructor(private readonly store: ObjectStore) {
    store.subscribe((event) => this.onEvent(event));
  }

  /** Stores the default roles and bindings, as kube-apiserver's rbac/bootstrap-roles post-start hook does. */
  seedBootstrapPolicy(): void {
    // A restored sandbox (persistence.ts) already has them.
    for (const role of bootstrapClusterRoles()) if (!this.store.get(CLUSTER_ROLES, undefined, role.metadata.name ?? '')) this.store.create(CLUSTER_ROLES, role);
    for (const binding of bootstrapClusterRoleBindings()) if (!this.store.get(CLUSTER_ROLE_BINDINGS, undefined, binding.metadata.name ?? '')) this.store.create(CLUSTER_ROLE_BINDINGS, binding);
    this.aggregate();
  }

  current(): RbacPolicy {
    this.snapshot ??= this.build();
    return this.snapshot;
  }

  private build(): RbacPolicy {
    const clusterRoles = new Map<string, PolicyRule[]>();
    for (const role of this.store.list(CLUSTER_ROLES)) clusterRoles.set(role.metadata.name ?? '', rulesOf(role));
    const roles = new Map<string, PolicyRule[]>();
    for (const role of this.store.list(ROLES)) roles.set(`${role.metadata.namespace ?? ''}/${role.metadata.name ?? ''}`, rulesOf(role));
    return {
      clusterRoles,
      roles,
      clusterRoleBindings: this.store.list(CLUSTER_ROLE_BINDINGS).map(bindingOf),
      roleBindings: this.store.list(ROLE_BINDINGS).map(bindingOf),
    };
  }

  private onEvent(event: StoreEvent): void {
    if (!event.resource.startsWith(`${RBAC_GROUP}/`)) return;
    this.snapshot = undefined;
    if (event.resource !== CLUSTER_ROLES || this.aggregationQueued) return;
    // not from inside the store's own notification: the aggregation writes to the store itself
    this.aggregationQueued = true;
    queueMicrotask(() => {
      this.aggregationQueued = false;
      this.aggregate();
    });
  }

  private aggregate(): void {
    for (const { role, rules } of staleAggregations(this.store.list(CLUSTER_ROLES))) this.store.update(CLUSTER_ROLES, { ...role, rules });
  }
}
