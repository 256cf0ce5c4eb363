/**
 * How the sandbox's controllers, kubelet, scheduler and proxy use kube/: one client per component, caches, queues
 * and event recorders, set up as a kube-controller-manager would run them. The settings differ from the
 * reconciler's on purpose: a test cluster on loopback recovers in seconds, so retries are capped at 5 s, and a
 * controller keeps many keys in flight at once (the kubelet starts every pod of a node together).
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { KubeClient } from '../../kube/client.js';
import { EventRecorder } from '../../kube/event-recorder.js';
import type { CachedObject } from '../../kube/informer.js';
import { ListWatchInformer } from '../../kube/list-watch-informer.js';
import { WorkQueue } from '../../kube/work-queue.js';

/** The field manager of the sandbox components' writes that name none (the User-Agent up to '/'). */
export const SANDBOX_USER_AGENT = 'redwing-sandbox/0.1';

const MAX_RETRY_MS = 5_000;
/** Parallel syncs per queue: enough that no pod or object waits behind another's slow sync. */
const QUEUE_CONCURRENCY = 64;

export function sandboxClient(kc: KubeConfig): KubeClient {
  return new KubeClient(kc, { userAgent: SANDBOX_USER_AGENT });
}

/** A list + watch cache of one collection, e.g. `/api/v1/pods`. */
export function watchCache<T extends CachedObject>(client: KubeClient, path: string, logger: Logger): ListWatchInformer<T> {
  return new ListWatchInformer<T>(client, { name: path, path, logger, baseBackoffMs: 100, maxBackoffMs: MAX_RETRY_MS });
}

/** A keyed queue that runs `sync` once per key at a time; a failed sync is retried with back-off. */
export function controllerQueue(name: string, sync: (key: string) => Promise<void>, logger: Logger): WorkQueue {
  const queue = new WorkQueue({
    concurrency: QUEUE_CONCURRENCY,
    baseDelayMs: 100,
    maxDelayMs: MAX_RETRY_MS,
    onError: (key, error, failures) => logger.debug({ err: error, queue: name, key, attempt: failures }, 'sync failed, retrying'),
  });
  queue.start(sync);
  return queue;
}

export function componentEventRecorder(client: KubeClient, component: string, logger: Logger): EventRecorder {
  return new EventRecorder(client, { component, logger });
}
