/**
 * Server-side apply of the reconciler's objects (field manager `redwing`, force: the reconciler is the authority
 * on the fields it sets, and takes them back from anyone who edited them by hand), only when something differs.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { KubeClient } from '../../kube/client.js';
import type { ClusterSource } from '../../kube/cluster-access.js';
import { apiErrorMessage, statusCodeOf, isNotFound } from '../../kube/errors.js';
import { explainApplyNeed, FIELD_MANAGER } from './needs-apply.js';
import { objectPath, type ObjectHeader } from './resource-paths.js';
import { toWireObject } from './wire-format.js';

/** Our raw JSON client, or a cluster configuration (a client-node KubeConfig) to make one from. */
export type ApplyClient = KubeClient | ClusterSource;

export interface ApplyOptions {
  fieldManager?: string;
  force?: boolean;
  /** `All` for a server-side dry run. */
  dryRun?: 'All';
}

export interface ApplyResult<T> {
  /** Whether a request was sent. */
  applied: boolean;
  /** Why (the first differing field), when applied. */
  reason?: string;
  /** The object after the apply, or the live one when nothing had to change. */
  object: T;
}

/** Raised when the API server refuses an apply; carries the HTTP status for conditions and retries. */
export class ApplyError extends Error {
  constructor(message: string, readonly statusCode: number | undefined, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ApplyError';
  }
}

const clients = new WeakMap<ClusterSource, KubeClient>();

/** One KubeClient per configuration, so its connections and API discovery are shared by every apply. */
export function kubeClientOf(client: ApplyClient): KubeClient {
  if (client instanceof KubeClient) return client;
  let made = clients.get(client);
  if (!made) {
    made = new KubeClient(client);
    clients.set(client, made);
  }
  return made;
}

function headerOf(object: KubernetesObject): ObjectHeader {
  const { apiVersion, kind } = object;
  const name = object.metadata?.name;
  if (!apiVersion || !kind || !name) throw new Error(`an object needs apiVersion, kind and metadata.name (got ${kind ?? '?'} ${name ?? '?'})`);
  return { apiVersion, kind, metadata: { name, namespace: object.metadata?.namespace } };
}

function describe(object: KubernetesObject): string {
  const { namespace, name } = object.metadata ?? {};
  return `${object.kind ?? '?'} ${namespace ? `${namespace}/` : ''}${name ?? '?'}`;
}

/** Server-side applies `object` unconditionally and returns the stored result. */
export async function applyObject<T extends KubernetesObject>(
  client: ApplyClient, object: T, options: ApplyOptions = {},
): Promise<T> {
  // Wire JSON: the typed client-node spellings (`_from`, `_default`) would be silently dropped by the server.
  const body = toWireObject(object);
  // The applied configuration must not carry server-owned fields: SSA would try to own them.
  if (body.metadata) {
    delete body.metadata.managedFields;
    delete body.metadata.resourceVersion;
    delete body.metadata.creationTimestamp;
    delete body.metadata.uid;
  }
  try {
    const kube = kubeClientOf(client);
    const query = new URLSearchParams({ fieldManager: options.fieldManager ?? FIELD_MANAGER, force: String(options.force ?? true) });
    if (options.dryRun) query.set('dryRun', options.dryRun);
    return await kube.patch<T>(await objectPath(kube, headerOf(object)), body, 'apply', `?${query}`);
  } catch (error) {
    const statusCode = statusCodeOf(error);
    throw new ApplyError(`apply ${describe(object)} failed${statusCode ? ` (${statusCode})` : ''}: ${apiErrorMessage(error)}`, statusCode, { cause: error });
  }
}

/** Applies `desired` only when it differs from `live` (pass undefined when the object does not exist). */
export async function applyIfChanged<T extends KubernetesObject>(
  client: ApplyClient, desired: T, live: T | undefined, options: ApplyOptions = {},
): Promise<ApplyResult<T>> {
  const reason = explainApplyNeed(desired, live, options.fieldManager ?? FIELD_MANAGER);
  if (reason === undefined && live !== undefined) return { applied: false, object: live };
  const object = await applyObject(client, desired, options);
  return { applied: true, ...(reason ? { reason } : {}), object };
}

/** Reads an object; undefined when it does not exist. */
export async function readObject<T extends KubernetesObject>(
  client: ApplyClient, header: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } },
): Promise<T | undefined> {
  try {
    const kube = kubeClientOf(client);
    return await kube.get<T>(await objectPath(kube, header));
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw new Error(`read ${header.kind} ${header.metadata.namespace ?? ''}/${header.metadata.name} failed: ${apiErrorMessage(error)}`, { cause: error });
  }
}

/** Deletes an object that is no longer desired (a read Service switched off, a PDB no longer needed). */
export async function deleteObjectIfExists(
  client: ApplyClient, header: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } },
): Promise<boolean> {
  try {
    const kube = kubeClientOf(client);
    await kube.request('DELETE', await objectPath(kube, header));
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw new Error(`delete ${header.kind} ${header.metadata.namespace ?? ''}/${header.metadata.name} failed: ${apiErrorMessage(error)}`, { cause: error });
  }
}
