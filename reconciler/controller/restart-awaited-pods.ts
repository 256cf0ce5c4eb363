/**
 * Recreates the pods the election waits for when they sit in restart back-off (plan-backoff-restart.ts decides which),
 * so the store's time without a master is a pod's restart, not the kubelet's back-off of up to five minutes.
 * Each restart is an Event on the store.
 */
import type { KVStore } from '../../shared/schema/kvstore.js';
import { isNotFound } from '../../kube/errors.js';
import { paths } from '../../kube/paths.js';
import type { KubeObject } from '../../kube/client.js';
import type { ControllerContext } from './context.js';
import type { ElectionMemory } from './store-memory.js';
import type { ObservedPod } from './observed.js';
import { planBackOffRestarts } from './plan-backoff-restart.js';

export async function restartAwaitedPods(
  context: ControllerContext, store: KVStore, awaiting: readonly string[], pods: readonly ObservedPod[], election: ElectionMemory,
): Promise<void> {
  const namespace = store.metadata?.namespace ?? 'default';
  election.backOffRestartsMs ??= new Map();
  const nowMs = Date.now();
  for (const restart of planBackOffRestarts({ awaiting, pods, lastRestartMs: election.backOffRestartsMs, nowMs })) {
    // Recorded before the call: a failed delete is not retried before the cooldown either.
    election.backOffRestartsMs.set(restart.pod, nowMs);
    try {
      await context.client.delete(paths.coreObject('pods', namespace, restart.pod));
    } catch (error) {
      if (isNotFound(error)) continue;
      throw new Error(`recreating pod ${namespace}/${restart.pod} out of its restart back-off failed`, { cause: error });
    }
    context.logger.info({ store: `${namespace}/${store.metadata?.name}`, pod: restart.pod }, 'recreating a pod out of its restart back-off');
    await context.events.record(store as KubeObject, { type: 'Normal', reason: 'RestartedFromBackOff', message: restart.reason });
  }
}
