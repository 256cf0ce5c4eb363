/**
 * The server's state and the hooks that tie components together: registry, store, defaulting/validation,
 * admission, CRD serving and namespace lifecycle.
 */
import type { Logger } from 'pino';
import type { RequestContext } from './context.js';
import type { FieldTypeInfo } from './managed-fields.js';
import { listSemanticsFor } from './list-keys.js';
import type { ResourceType } from './registry.js';
import { apiVersionOf, ResourceRegistry, storageKey } from './registry.js';
import { builtinTypeName } from './go-field-order.js';
import { ObjectStore } from './store.js';
import { ServiceAccountTokenSigner } from './service-account-token.js';
import { RbacAudit } from './rbac/audit.js';
import { RbacPolicyStore } from './rbac/policy-store.js';
import type { JsonObject, KubeObject } from './types.js';
import { isJsonObject } from './types.js';

/** Defaulting and validation per kind (built-in rules or a CRD's structural schema). */
export interface DefaultsEngine {
  resetStatusOnCreate(type: ResourceType, object: KubeObject): void;
  apply(ctx: RequestContext, object: KubeObject, oldObject: KubeObject | undefined): Promise<void>;
  validate(ctx: RequestContext, object: KubeObject, oldObject: KubeObject | undefined): Promise<import('./status-errors.js').FieldError[]>;
}

export interface AdmissionKind {
  group: string;
  version: string;
  kind: string;
}

/** Admission webhooks; the object returned by `mutate` is the same reference when nothing changed. */
export interface AdmissionChain {
  mutate(ctx: RequestContext, operation: 'CREATE' | 'UPDATE' | 'DELETE', object: KubeObject, oldObject: KubeObject | undefined, dryRun: boolean, options: Record<string, unknown>, kind?: AdmissionKind): Promise<KubeObject>;
  validate(ctx: RequestContext, operation: 'CREATE' | 'UPDATE' | 'DELETE', object: KubeObject | undefined, oldObject: KubeObject | undefined, dryRun: boolean, options: Record<string, unknown>, kind?: AdmissionKind): Promise<void>;
}

const NO_ADMISSION: AdmissionChain = {
  mutate: async (_ctx, _op, object) => object,
  validate: async () => undefined,
};

export interface WriteObserver {
  afterWrite?(type: ResourceType, object: KubeObject, oldObject: KubeObject | undefined): void;
  afterDelete?(type: ResourceType, object: KubeObject): void;
}

export class ApiCore {
  readonly registry = new ResourceRegistry();
  readonly store: ObjectStore;
  admission: AdmissionChain = NO_ADMISSION;
  defaults!: DefaultsEngine;
  readonly observers: WriteObserver[] = [];
  /** signs TokenRequest tokens and checks them when they come back */
  readonly serviceAccountTokens = new ServiceAccountTokenSigner();

  /** Roles and bindings as the authorizer reads them */
  readonly rbac: RbacPolicyStore;
  /** What RBAC allowed and refused to users outside system:masters (tests read it). */
  readonly rbacAudit = new RbacAudit();

  constructor(readonly logger: Logger, historyLimit?: number) {
    this.store = new ObjectStore(historyLimit);
    this.rbac = new RbacPolicyStore(this.store);
  }

  fieldTypeInfo(type: ResourceType): FieldTypeInfo {
    const schema = type.custom?.schema;
    return { lists: listSemanticsFor(type.kind, schema), schema, builtin: !type.custom, statusSubresource: type.status, goType: builtinTypeName(apiVersionOf(type), type.kind) };
  }

  /** Observers run after the write is stored; their failures are logged, never turned into a failed request. */
  afterWrite(type: ResourceType, object: KubeObject, oldObject: KubeObject | undefined): void {
    for (const o of this.observers) {
      try {
        o.afterWrite?.(type, object, oldObject);
      } catch (error) {
        this.logger.error({ err: error, kind: type.kind }, 'write observer failed');
      }
    }
  }

  afterDelete(type: ResourceType, object: KubeObject): void {
    for (const o of this.observers) {
      try {
        o.afterDelete?.(type, object);
      } catch (error) {
        this.logger.error({ err: error, kind: type.kind }, 'delete observer failed');
      }
    }
  }

  /** An object being deleted is removed once its finalizers are gone (namespaces also need spec.finalizers empty). */
  canFinalize(type: ResourceType, object: KubeObject): boolean {
    if (type.group === '' && type.plural === 'namespaces') {
      const spec = isJsonObject(object.spec) ? object.spec : {};
      return !Array.isArray(spec.finalizers) || spec.finalizers.length === 0;
    }
    return true;
  }

  /** autoscaling/v1 Scale view of an object with a scale subresource. */
  scaleView(ctx: RequestContext, object: KubeObject): KubeObject {
    const scale = ctx.type.scale!;
    const spec: JsonObject = {};
    const replicas = readPath(object, scale.specReplicasPath);
    if (typeof replicas === 'number') spec.replicas = replicas;
    const status: JsonObject = { replicas: typeof readPath(object, scale.statusReplicasPath) === 'number' ? readPath(object, scale.statusReplicasPath) : 0 };
    if (scale.labelSelectorPath) {
      const selector = readPath(object, scale.labelSelectorPath);
      if (typeof selector === 'string' && selector !== '') status.selector = selector;
      else if (ctx.type.group === 'apps' && isJsonObject(readPath(object, '.spec.selector'))) status.selector = selectorString(readPath(object, '.spec.selector') as JsonObject);
    }
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: {
        name: object.metadata.name,
        namespace: object.metadata.namespace,
        uid: object.metadata.uid,
        resourceVersion: object.metadata.resourceVersion,
        creationTimestamp: object.metadata.creationTimestamp,
      },
      spec,
      status,
    };
  }

  /** Copies spec.replicas of a Scale into the object. */
  scaleFromView(ctx: RequestContext, object: KubeObject, scale: KubeObject): void {
    const spec = isJsonObject(scale.spec) ? scale.spec : {};
    writePath(object, ctx.type.scale!.specReplicasPath, spec.replicas ?? 0);
  }

  storageKey(type: ResourceType): string {
    return storageKey(type);
  }
}

export function readPath(object: unknown, jsonPath: string): unknown {
  let current = object;
  for (const part of jsonPath.replace(/^\./, '').split('.')) {
    if (!isJsonObject(current)) return undefined;
    current = current[part];
  }
  return current;
}

export function writePath(object: JsonObject, jsonPath: string, value: unknown): void {
  const parts = jsonPath.replace(/^\./, '').split('.');
  let current = object;
  for (const part of parts.slice(0, -1)) {
    if (!isJsonObject(current[part])) current[part] = {};
    current = current[part] as JsonObject;
  }
  current[parts[parts.length - 1]!] = value;
}

export function selectorString(selector: JsonObject): string {
  const parts: string[] = [];
  const labels = isJsonObject(selector.matchLabels) ? selector.matchLabels : {};
  for (const key of Object.keys(labels).sort()) parts.push(`${key}=${String(labels[key])}`);
  for (const e of Array.isArray(selector.matchExpressions) ? selector.matchExpressions : []) {
    if (!isJsonObject(e)) continue;
    const values = Array.isArray(e.values) ? (e.values as unknown[]).map(String).sort().join(',') : '';
    if (e.operator === 'In') parts.push(`${e.key} in (${values})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${values})`);
    else if (e.operator === 'Exists') parts.push(String(e.key));
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}
