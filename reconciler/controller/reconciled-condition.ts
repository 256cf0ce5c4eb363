/**
 * The `Reconciled` condition: False with reason `<Phase>Failed` and the error when a reconcile fails, True again
 * when one runs to its end, so `kubectl get kvs -o yaml` and `kubectl wait --for=condition=Reconciled` show what the
 * ReconcileFailed Event says. The status phase writes True with the rest of the status (status.ts); a failure never
 * reaches the status phase, so the runner's failure report writes False with the one-condition JSON Patch the
 * policy audit and the snapshot record use (audit/conditions.ts). That write is bounded and only logged when it fails:
 * it must never become a second failure of the reconcile.
 */
import type { Logger } from '../../shared/logger.js';
import { rfc3339 } from '../../shared/rfc3339.js';
import type { Condition, KVStore, KVStoreStatus } from '../../shared/schema/kvstore.js';
import { conditionPatch, MAX_CONDITION_MESSAGE_LENGTH, sameCondition } from '../audit/conditions.js';
import type { KubeClient } from '../../kube/client.js';
import { isConflict, statusCodeOf } from '../../kube/errors.js';
import { paths } from '../../kube/paths.js';

export const RECONCILED = 'Reconciled';
export const RECONCILE_SUCCEEDED = 'ReconcileSucceeded';
/** Each request of the failure write; the whole write is at most MAX_ATTEMPTS of them (and a read between). */
const REQUEST_TIMEOUT_MS = 5_000;
const MAX_ATTEMPTS = 3;

/** `secrets` -> `SecretsFailed`; no phase -> `ReconcileFailed`. A condition reason is CamelCase. Pure. */
export function failedReason(phase: string | undefined): string {
  const words = (phase ?? '').split(/[^A-Za-z0-9]+/).filter((word) => word.length > 0);
  if (words.length === 0 || !/^[A-Za-z]/.test(words[0]!)) return 'ReconcileFailed';
  return `${words.map((word) => word[0]!.toUpperCase() + word.slice(1)).join('')}Failed`;
}

/** The False condition for a failure; lastTransitionTime kept while it was already False. Pure. */
export function reconcileFailedCondition(
  failure: { phase?: string; message: string }, previous: Condition | undefined, generation: number | undefined, now: Date,
): Condition {
  const message = failure.message.length <= MAX_CONDITION_MESSAGE_LENGTH ? failure.message : `${failure.message.slice(0, MAX_CONDITION_MESSAGE_LENGTH - 1)}…`;
  const condition: Condition = {
    type: RECONCILED, status: 'False', reason: failedReason(failure.phase), message,
    lastTransitionTime: previous?.status === 'False' ? previous.lastTransitionTime : rfc3339(now),
  };
  if (generation !== undefined) condition.observedGeneration = generation;
  return condition;
}

export function reconciledConditionOf(status: KVStoreStatus | undefined): Condition | undefined {
  return status?.conditions?.find((condition) => condition.type === RECONCILED);
}

/**
 * The status as the status phase should see it: with the failure this process wrote, in case the informer has not
 * delivered that write yet (otherwise the next success could find nothing changed and leave False standing). Pure.
 */
export function withReportedFailure(status: KVStoreStatus | undefined, reported: Condition | undefined): KVStoreStatus | undefined {
  if (!reported) return status;
  const current = reconciledConditionOf(status);
  if (current && current.status === reported.status && current.reason === reported.reason && current.message === reported.message) return status;
  const others = (status?.conditions ?? []).filter((condition) => condition.type !== RECONCILED);
  return { ...status, conditions: [...others, reported] };
}

export interface FailureConditionWrite {
  client: KubeClient;
  logger: Logger;
  store: KVStore;
  failure: { key: string; phase?: string; message: string };
  now?: () => Date;
}

/**
 * Writes Reconciled=False on the store unless it already says the same. A concurrent status write makes the guarded
 * patch fail (409/422): the store is read again, at most MAX_ATTEMPTS times. Returns the condition written (or
 * found already there), undefined when the write gave up (logged).
 */
export async function writeReconcileFailed(options: FailureConditionWrite): Promise<Condition | undefined> {
  const { client, logger, failure } = options;
  const { namespace, name } = options.store.metadata as { namespace: string; name: string };
  const path = paths.kvstore(namespace, name);
  let current = options.store;
  for (let attempt = 1; ; attempt += 1) {
    const previous = reconciledConditionOf(current.status);
    const condition = reconcileFailedCondition(failure, previous, current.metadata?.generation, options.now?.() ?? new Date());
    if (sameCondition(previous, condition)) return previous;
    try {
      const patch = conditionPatch(current.status, current.metadata?.resourceVersion, condition);
      await client.request('PATCH', `${path}/status`, patch, 'application/json-patch+json', REQUEST_TIMEOUT_MS);
      return condition;
    } catch (error) {
      const retry = (isConflict(error) || statusCodeOf(error) === 422) && attempt < MAX_ATTEMPTS;
      if (!retry) {
        logger.warn({ store: failure.key, err: error, attempts: attempt }, 'writing the Reconciled=False condition failed; the ReconcileFailed Event stands alone');
        return undefined;
      }
      try {
        current = await client.request<KVStore>('GET', path, undefined, undefined, REQUEST_TIMEOUT_MS);
      } catch (readError) {
        logger.warn({ store: failure.key, err: readError }, 'reading the store to write the Reconciled=False condition failed');
        return undefined;
      }
    }
  }
}
