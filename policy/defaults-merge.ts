/**
 * How KVPolicy `defaults` combine, deterministically:
 *
 * 1. What the user wrote always wins: a policy default only fills a field the submitted spec leaves unset.
 * 2. Matching policies are applied in the order of their names (byte order of `metadata.name`, `a-base` before
 *    `b-team`); on a conflict the first one wins, so a later policy only fills what earlier ones left unset.
 * 3. Objects merge field by field, recursively (`persistence: {size}` from one policy and `persistence:
 *    {storageClassName}` from another both apply). Lists and scalars are atomic: a list is taken whole from the
 *    first source that sets it, never concatenated or merged by index.
 * 4. "Unset" means absent: a field the user set to `null` counts as set. `null` in a policy default means nothing (it
 *    neither sets nor clears a field). (webhook/mutate.ts implements the same rules for the mutating webhook.)
 * 5. The result then goes through the built-in defaults, which fill whatever is still unset.
 *
 * Why first-wins by name rather than "most specific policy wins": specificity is not well defined across namespace
 * lists, label selectors and store selectors, while names are visible (`kubectl get kvp` sorts by them) and a
 * platform team can order them on purpose (`00-org-baseline`, `10-team-x`).
 */
import type { PolicyDefaults } from './policy-port.js';
import { isPlainObject } from '../shared/json-value.js';

type Json = Record<string, unknown>;

/** `base` with every field it leaves unset filled from `fill` (recursively for objects); neither is modified. */
export function fillUnset(base: Json, fill: Json): Json {
  const result: Json = { ...base };
  for (const [key, value] of Object.entries(fill)) {
    if (value === null || value === undefined) continue;
    const current = result[key];
    if (current === undefined) {
      result[key] = structuredClone(value);
    } else if (isPlainObject(current) && isPlainObject(value)) {
      result[key] = fillUnset(current, value);
    }
    // Otherwise the field is set (by the user or an earlier policy): it stays.
  }
  return result;
}

/**
 * The spec after the policy defaults, in the order `defaults.specs` gives (the engine sorts them by policy name).
 * Also returns, per policy, the top-level fields it actually contributed (for logs, events and tests).
 */
export function mergePolicyDefaults(spec: Json | undefined, defaults: PolicyDefaults): { spec: Json; contributions: Array<{ policy: string; fields: string[] }> } {
  let merged: Json = { ...(spec ?? {}) };
  const contributions: Array<{ policy: string; fields: string[] }> = [];
  for (const { policy, spec: policySpec } of defaults.specs) {
    if (!isPlainObject(policySpec)) continue;
    const before = JSON.stringify(merged);
    const next = fillUnset(merged, policySpec);
    if (JSON.stringify(next) !== before) {
      const fields = Object.keys(policySpec).filter((key) => JSON.stringify(next[key]) !== JSON.stringify(merged[key]));
      contributions.push({ policy, fields });
    }
    merged = next;
  }
  return { spec: merged, contributions };
}

/** Orders policy defaults the way `mergePolicyDefaults` expects them: by policy name. */
export function orderPolicyDefaults(specs: PolicyDefaults['specs']): PolicyDefaults {
  return { specs: [...specs].sort((a, b) => (a.policy < b.policy ? -1 : a.policy > b.policy ? 1 : 0)) };
}
