/**
 * What the console asks of the API server, always as the logged-in user: create and replace stores (with a
 * server-side dry-run first), the actions of a store's page, the CRD schema the form is drawn from, and policies.
 * The API server, its RBAC and the webhook decide; the console only relays their answers.
 */
import { randomBytes } from 'node:crypto';
import type { KubeClient, KubeObject } from '../kube/client.js';
import { paths } from '../kube/paths.js';
import { API_GROUP, API_GROUP_VERSION, KVBACKUP_PLURAL, KVPOLICY_PLURAL, KVSTORE_PLURAL } from '../shared/api.js';
import { buildKVStoreCrd } from '../shared/crds.js';
import { ANNOTATION_SWITCHOVER } from '../shared/labels.js';
import { storeObjectNames } from '../shared/names.js';
import type { KVBackup } from '../shared/schema/kvbackup.js';
import type { KVStore } from '../shared/schema/kvstore.js';
import { editedParts, mergePatchOf } from './edit-patch.js';
import { HttpError } from './http-io.js';
import { orderLikeReference } from './schema-order.js';
import { newBackup } from './store-backups.js';

const CRD_PATH = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${KVSTORE_PLURAL}.${API_GROUP}`;

export interface StoreSchema {
  schema: unknown;
  /** `cluster`: read from the installed CRD; `built-in`: the user may not read CRDs, so the console's own copy */
  source: 'cluster' | 'built-in';
}

interface CrdObject {
  spec?: { versions?: Array<{ name?: string; schema?: { openAPIV3Schema?: unknown } }> };
}

function versionSchema(crd: CrdObject): unknown {
  const version = API_GROUP_VERSION.split('/')[1];
  return crd.spec?.versions?.find((candidate) => candidate.name === version)?.schema?.openAPIV3Schema;
}

function builtInSchema(): unknown {
  return versionSchema(buildKVStoreCrd() as unknown as CrdObject);
}

/** The installed CRD is the truth (a newer operator may have added fields); reading CRDs is not every user's right. */
export async function readStoreSchema(client: KubeClient): Promise<StoreSchema> {
  try {
    const schema = versionSchema(await client.get<CrdObject>(CRD_PATH));
    if (schema) return { schema: orderLikeReference(schema, builtInSchema()), source: 'cluster' };
  } catch {
    // fall through to the built-in copy
  }
  return { schema: builtInSchema(), source: 'built-in' };
}

function withTypeMeta(object: KubeObject, namespace: string): KubeObject {
  return { ...object, apiVersion: API_GROUP_VERSION, kind: 'KVStore', metadata: { ...object.metadata, namespace } };
}

function namespaceOf(object: KubeObject): string {
  return object.metadata?.namespace || 'default';
}

/** `dryRun=All`: the API server runs defaulting, schema validation and the webhooks, and stores nothing. */
export function createStore(client: KubeClient, object: KubeObject, dryRun: boolean): Promise<KVStore> {
  const namespace = namespaceOf(object);
  return client.request<KVStore>('POST', paths.kvstores(namespace) + (dryRun ? '?dryRun=All' : ''), withTypeMeta(object, namespace));
}

/** A replace carries the resourceVersion the user edited, so a change made meanwhile is a conflict, not lost. */
export function replaceStore(client: KubeClient, object: KubeObject, dryRun: boolean): Promise<KVStore> {
  const namespace = namespaceOf(object);
  const name = object.metadata?.name ?? '';
  return client.request<KVStore>('PUT', paths.kvstore(namespace, name) + (dryRun ? '?dryRun=All' : ''), withTypeMeta(object, namespace));
}

/** The user's edit as a merge patch against what they loaded (console/edit-patch.ts says why not a replace). */
export function patchEditedStore(client: KubeClient, original: KubeObject, edited: KubeObject, dryRun: boolean): Promise<KVStore> {
  const namespace = namespaceOf(original);
  const name = original.metadata?.name ?? '';
  return client.patch<KVStore>(paths.kvstore(namespace, name), mergePatchOf(editedParts(original), editedParts(edited)), 'merge', dryRun ? '?dryRun=All' : '');
}

export function scaleStore(client: KubeClient, namespace: string, name: string, replicas: number): Promise<KubeObject> {
  return client.patch(`${paths.kvstore(namespace, name)}/scale`, { spec: { replicas } }, 'merge');
}

/** A merge patch of spec.config: a key set to null is removed, the others are set. */
export function patchStoreConfig(client: KubeClient, namespace: string, name: string, config: Record<string, string | null>): Promise<KVStore> {
  return client.patch<KVStore>(paths.kvstore(namespace, name), { spec: { config } }, 'merge');
}

/**
 * The reconciler rotates a store's password when its Secret changes (DESIGN.md: "editing the Secret rotates the
 * password live"), so rotation is a new random value written to that Secret, by the user.
 */
export async function rotateStorePassword(client: KubeClient, namespace: string, name: string): Promise<{ secret: string; key: string }> {
  const store = await client.get<KVStore>(paths.kvstore(namespace, name));
  if (store.spec?.authentication?.enabled === false) throw new HttpError(409, `${namespace}/${name} has authentication disabled: there is no password to rotate`);
  const reference = store.spec?.authentication?.passwordFromSecret ?? { name: storeObjectNames(name).authSecret, key: 'password' };
  const password = randomBytes(24).toString('base64url');
  await client.patch(paths.coreObject('secrets', namespace, reference.name), { data: { [reference.key]: Buffer.from(password).toString('base64') } }, 'merge');
  return { secret: reference.name, key: reference.key };
}

/**
 * A switchover is asked of the reconciler with an annotation on the store (docs/decisions.md): the webhook checks the
 * value names one of its pods or 'any'; the reconciler carries it out or refuses it with an Event, then removes it.
 */
export async function requestSwitchover(client: KubeClient, namespace: string, name: string, target: string): Promise<{ annotation: string; target: string }> {
  await client.patch(paths.kvstore(namespace, name), { metadata: { annotations: { [ANNOTATION_SWITCHOVER]: target } } }, 'merge');
  return { annotation: ANNOTATION_SWITCHOVER, target };
}

export function deleteStore(client: KubeClient, namespace: string, name: string): Promise<void> {
  return client.delete(paths.kvstore(namespace, name));
}

/** "Back up now": a KVBackup of the store, which the reconciler runs once (DESIGN.md, API: KVBackup). */
export function backUpStore(client: KubeClient, namespace: string, name: string, dir: string | undefined): Promise<KVBackup> {
  return client.create<KVBackup>(`/apis/${API_GROUP_VERSION}/namespaces/${namespace}/${KVBACKUP_PLURAL}`, newBackup(namespace, name, dir));
}

export async function listPolicies(client: KubeClient): Promise<KubeObject[]> {
  return (await client.list(`/apis/${API_GROUP_VERSION}/${KVPOLICY_PLURAL}`)).items;
}
