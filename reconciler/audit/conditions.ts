/**
 * The `PolicyCompliant` condition of a KVStore (metav1.Condition), and the JSON Patch that writes only that
 * condition: other writers (the reconciler's Available/Progressing/... conditions) are never overwritten.
 */
import type { Condition } from '../../shared/schema/kvstore.js';
import type { StoreCompliance } from '../../policy/audit.js';
import { rfc3339 } from '../../shared/rfc3339.js';

export const POLICY_COMPLIANT = 'PolicyCompliant';
/** Conditions are for humans and `kubectl describe`; the full list is on each policy's status and in events. */
export const MAX_CONDITION_MESSAGE_LENGTH = 1024;

function truncate(message: string): string {
  return message.length <= MAX_CONDITION_MESSAGE_LENGTH ? message : `${message.slice(0, MAX_CONDITION_MESSAGE_LENGTH - 1)}…`;
}

/**
 * The condition for an audit result. `lastTransitionTime` is kept from `previous` while the status stays the same,
 * as metav1.Condition requires.
 */
export function policyCompliantCondition(compliance: StoreCompliance, previous: Condition | undefined, now: Date): Condition {
  const status: Condition['status'] = compliance.violations.length > 0 ? 'False' : 'True';
  let reason: string;
  let message: string;
  if (compliance.violations.length > 0) {
    reason = 'PolicyViolation';
    message = compliance.violations.join('; ');
  } else if (compliance.policies.length === 0) {
    reason = 'NoPolicies';
    message = 'no KVPolicy applies to this store';
  } else {
    reason = 'Compliant';
    message = `complies with ${compliance.policies.length === 1 ? 'KVPolicy' : 'KVPolicies'} ${compliance.policies.join(', ')}`;
  }
  const condition: Condition = {
    type: POLICY_COMPLIANT,
    status,
    reason,
    message: truncate(message),
    lastTransitionTime: previous?.status === status ? previous.lastTransitionTime : rfc3339(now),
  };
  if (compliance.generation !== undefined) condition.observedGeneration = compliance.generation;
  return condition;
}

/** True when writing `next` would change nothing a reader cares about. */
export function sameCondition(previous: Condition | undefined, next: Condition): boolean {
  return !!previous && previous.status === next.status && previous.reason === next.reason
    && previous.message === next.message && previous.observedGeneration === next.observedGeneration;
}

export type JsonPatchOperation =
  | { op: 'test'; path: string; value: unknown }
  | { op: 'add' | 'replace'; path: string; value: unknown };

/**
 * The JSON Patch that sets the condition in a store whose current status is `status`, guarded by `test`
 * operations so that a concurrent status write makes the patch fail (422/409) instead of clobbering it:
 * - condition present at index i: test that index i still holds it, then replace it (other conditions may change
 *   concurrently without conflict);
 * - otherwise: test the resourceVersion (nothing changed since the read), then append to the list, or create the
 *   list or the whole status.
 */
export function conditionPatch(
  status: { conditions?: Condition[] } | undefined,
  resourceVersion: string | undefined,
  condition: Condition,
): JsonPatchOperation[] {
  const conditions = status?.conditions;
  const index = conditions?.findIndex((existing) => existing.type === condition.type) ?? -1;
  if (conditions && index >= 0) {
    return [
      { op: 'test', path: `/status/conditions/${index}/type`, value: condition.type },
      { op: 'replace', path: `/status/conditions/${index}`, value: condition },
    ];
  }
  const guard: JsonPatchOperation[] = resourceVersion ? [{ op: 'test', path: '/metadata/resourceVersion', value: resourceVersion }] : [];
  if (conditions) return [...guard, { op: 'add', path: '/status/conditions/-', value: condition }];
  if (status) return [...guard, { op: 'add', path: '/status/conditions', value: [condition] }];
  return [...guard, { op: 'add', path: '/status', value: { conditions: [condition] } }];
}
