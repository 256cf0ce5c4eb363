/**
 * The sandbox's etcd on disk: every object is written to `<dir>/apiserver-state.json` shortly after a change (and on
 * stop), and read back at the next start, so stores and their pods come back after `redwing start` is stopped and
 * started again (their data is in the volumes under the same dir). Events are not kept (kube-apiserver drops them
 * after an hour too). A restart is a reboot of every node: pods come back with their containers not ready, and the
 * kubelet starts them again on their volumes.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { ApiCore } from './core.js';
import { crdResourceTypes } from './crd.js';
import type { ObjectStore } from './store.js';
import type { KubeObject } from './types.js';
import { isJsonObject } from './types.js';

export const STATE_FILE = 'apiserver-state.json';
const FORMAT_VERSION = 1;
/** How long after a change the file is written: changes come in bursts (a pod start is several writes). */
const WRITE_DELAY_MS = 300;

export interface StoredObject {
  resource: string;
  object: KubeObject;
}

interface StateFile {
  version: number;
  objects: StoredObject[];
}

/** Kinds not kept across a restart: short-lived records nothing depends on. */
function kept(resource: string): boolean {
  return resource !== '/events' && resource !== 'events.k8s.io/events';
}

/** The objects of the last run, in the order they were written (a CRD before its objects); undefined for none. */
export function loadState(dir: string): StoredObject[] | undefined {
  const path = join(dir, STATE_FILE);
  if (!existsSync(path)) return undefined;
  let parsed: StateFile;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as StateFile;
  } catch (error: unknown) {
    throw new Error(`${path} is not readable JSON; start with --fresh to begin again`, { cause: error });
  }
  if (parsed.version !== FORMAT_VERSION || !Array.isArray(parsed.objects)) throw new Error(`${path}: unknown format; start with --fresh to begin again`);
  return parsed.objects;
}

const NOT_READY_REASON = 'SandboxRestarted';

/**
 * A pod as the API shows it after its node rebooted: not ready, its containers waiting, until the kubelet has started
 * them again. Its IP and restart counts stay. Pure.
 */
export function podAfterRestart(pod: KubeObject): KubeObject {
  const status = isJsonObject(pod.status) ? { ...pod.status } : undefined;
  if (!status || status.phase === 'Succeeded' || status.phase === 'Failed') return pod;
  const message = 'the sandbox restarted; the kubelet starts the containers again';
  if (Array.isArray(status.conditions)) {
    status.conditions = status.conditions.map((condition) => isJsonObject(condition) && (condition.type === 'Ready' || condition.type === 'ContainersReady')
      ? { ...condition, status: 'False', reason: NOT_READY_REASON, message } : condition);
  }
  if (Array.isArray(status.containerStatuses)) {
    status.containerStatuses = status.containerStatuses.map((container) => isJsonObject(container)
      ? { ...container, ready: false, started: false, state: { waiting: { reason: NOT_READY_REASON, message } } } : container);
  }
  return { ...pod, status };
}

const CRD_KEY = 'apiextensions.k8s.io/customresourcedefinitions';

/**
 * Puts the saved objects back (new resourceVersions, same uids), with what the API server derives from them: the
 * custom resources their CRDs serve, and the ClusterIPs and node ports their Services hold.
 */
export function restoreObjects(core: ApiCore, entries: StoredObject[], reserveService: (service: KubeObject) => void): void {
  for (const { resource, object } of entries) {
    core.store.create(resource, resource === '/pods' ? podAfterRestart(object) : object);
    if (resource === CRD_KEY && !object.metadata.deletionTimestamp) core.registry.setCustom(object.metadata.name ?? '', crdResourceTypes(object));
    if (resource === '/services') reserveService(object);
  }
}

/** Writes the state now (atomically: a crash mid-write keeps the previous file). */
function writeState(store: ObjectStore, dir: string): void {
  const objects = store.dump().filter((entry) => kept(entry.resource));
  const path = join(dir, STATE_FILE);
  writeFileSync(`${path}.tmp`, JSON.stringify({ version: FORMAT_VERSION, objects } satisfies StateFile));
  renameSync(`${path}.tmp`, path);
}

export interface Persistence {
  /** Writes what is pending and stops following the store. */
  stop(): void;
}

/** Follows the store's writes and saves them to `<dir>/apiserver-state.json` a moment later. */
export function persistStore(store: ObjectStore, dir: string, logger: Logger): Persistence {
  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    timer = undefined;
    try {
      writeState(store, dir);
    } catch (error: unknown) {
      logger.error({ err: error, dir }, 'saving the sandbox state failed');
    }
  };
  const unsubscribe = store.subscribe((event) => {
    if (!kept(event.resource) || timer) return;
    timer = setTimeout(flush, WRITE_DELAY_MS);
    timer.unref();
  });
  flush();
  return {
    stop: () => {
      unsubscribe();
      if (timer) clearTimeout(timer);
      flush();
    },
  };
}
