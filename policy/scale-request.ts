/**
 * A `/scale` request as the UPDATE of the store it stands for. A Scale carries only the new `spec.replicas`; with the
 * store from the webhook's KVStore cache, the engine judges "the cached store with the new replica count" exactly as
 * it judges any other UPDATE of that store (every rule kind, CEL included). Pure functions, no I/O.
 */
import type { PolicyRequest, ScaleRequest } from './policy-port.js';
import { isPlainObject } from '../shared/json-value.js';

type Json = Record<string, unknown>;

/** A KVStore as the scale path keeps it: what policies read, nothing else (see `trimStoreForPolicies`). */
export interface CachedStore {
  [key: string]: unknown;
  apiVersion?: unknown;
  kind?: unknown;
  metadata: Json;
  spec: Json;
}

/** Metadata fields a policy (matching, CEL, the engine's own checks) can read. */
const KEPT_METADATA = ['name', 'namespace', 'labels', 'annotations', 'generation', 'deletionTimestamp'] as const;

/**
 * The part of a KVStore that policies read: apiVersion, kind, the metadata of KEPT_METADATA, and the spec, copied
 * (the informer's object is not ours to share). Status and managedFields, the bulk of a stored object, are dropped.
 * `deletionTimestamp` is kept so that scaling a store being deleted is skipped like any UPDATE of it.
 */
export function trimStoreForPolicies(store: unknown): CachedStore {
  const source = isPlainObject(store) ? store : {};
  const sourceMetadata = isPlainObject(source.metadata) ? source.metadata : {};
  const metadata: Json = {};
  for (const key of KEPT_METADATA) {
    if (sourceMetadata[key] !== undefined) metadata[key] = structuredClone(sourceMetadata[key]);
  }
  const trimmed: CachedStore = {
    metadata,
    spec: isPlainObject(source.spec) ? structuredClone(source.spec) : {},
  };
  if (source.apiVersion !== undefined) trimmed.apiVersion = source.apiVersion;
  if (source.kind !== undefined) trimmed.kind = source.kind;
  return trimmed;
}

/**
 * The UPDATE a scale amounts to: `oldObject` the cached store, `object` the same store with `spec.replicas` set to
 * the Scale's. Shallow copies: the cached store is shared by every request and never modified.
 */
export function scaleAsUpdate(store: CachedStore, request: ScaleRequest): PolicyRequest {
  return {
    effectiveSpec: undefined,
    operation: 'UPDATE',
    namespace: request.namespace,
    object: { ...store, spec: { ...store.spec, replicas: request.replicas } },
    oldObject: store,
    userInfo: { username: request.userInfo.username, groups: request.userInfo.groups },
    dryRun: request.dryRun === true,
  };
}
