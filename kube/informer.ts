/**
 * What a controller reads through: a cache of one collection kept current by list + watch, with add, update and
 * delete handlers. An interface apart from its implementation (list-watch-informer.ts), as in client-go and
 * kubernetes-client/javascript, so code that reads caches does not depend on how they are filled, and a test can
 * hand it a fixed cache.
 */
import type { KubeObject } from './client.js';

/**
 * What a cache needs of an object. Narrower than KubeObject so client-node's model classes (V1Pod, ...) can be
 * cached as they are typed, without an index signature.
 */
export interface CachedObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
}

export type InformerEvent = 'add' | 'update' | 'delete';

export type InformerHandler<T> = (event: InformerEvent, object: T, previous?: T) => void;

export interface Informer<T extends CachedObject = KubeObject> {
  /** Handlers run synchronously on each change; one that throws is logged and the others still run. */
  on(handler: InformerHandler<T>): void;
  get(namespace: string | undefined, name: string): T | undefined;
  list(filter?: (object: T) => boolean): T[];
  /** Objects whose secondary index value is `value` (the implementation's indexBy option). */
  listIndexed(value: string): T[];
  readonly size: number;
  readonly hasSynced: boolean;
  /** Starts listing and watching; resolves after the first successful list (or on stop). */
  start(): Promise<void>;
  waitForSync(): Promise<void>;
  stop(): void;
}

/** The cache key of an object: `namespace/name`, or `name` for a cluster-scoped one. */
export function objectKey(object: CachedObject): string {
  const namespace = object.metadata?.namespace;
  return namespace ? `${namespace}/${object.metadata?.name}` : `${object.metadata?.name}`;
}

/** A list filter: the objects of one namespace, or every object when `namespace` is undefined. */
export function inNamespace(namespace: string | undefined): ((object: CachedObject) => boolean) | undefined {
  return namespace === undefined ? undefined : (object) => object.metadata?.namespace === namespace;
}
