/**
 * The background audit, pure part: every existing KVStore against every KVPolicy, with the same evaluator the
 * admission webhook uses (compiled-policy.ts), so a store is reported exactly when an UPDATE that
 * left it unchanged would have been flagged.
 *
 * - All enforcement modes are audited: the audit reports, it never blocks, and `Warn`/`Audit` policies are the ones
 *   whose reports matter most while a rule is being rolled out.
 * - CEL rules see `object` = the stored store, `oldObject` = null and `request` = {operation: "AUDIT", namespace,
 *   userInfo.username: ""}; an expression that only makes sense at admission can guard with
 *   `request.operation != "AUDIT"`.
 * - Stores being deleted (deletionTimestamp set) are skipped: reporting them helps no one.
 */
import type { KVPolicy } from '../shared/schema/kvpolicy.js';
import type { KVStore, KVStoreSpec } from '../shared/schema/kvstore.js';
import { prepareBindings, type CelLimits, type PreparedBindings } from './cel.js';
import {
  celRequestBudget, compilePolicy, coversStore, DEFAULT_REQUEST_CEL_COST_BUDGET, evaluatePolicy, type CompiledPolicy,
  type StoreUnderEvaluation,
} from './compiled-policy.js';
import type { Labels } from './match.js';
import { effectiveSpec } from './rules.js';

/** DESIGN.md: the policy status lists the first 20 offenders. */
export const MAX_OFFENDERS = 20;
export const AUDIT_OPERATION = 'AUDIT';

export interface PolicyAuditResult {
  /** How many stores break the policy. */
  violations: number;
  /** The first MAX_OFFENDERS, sorted by namespace/name: `namespace/name: message`. */
  offenders: string[];
}

export interface StoreCompliance {
  namespace: string;
  name: string;
  generation?: number;
  /** Names of the policies that cover the store (sorted). */
  policies: string[];
  /** Every violation message, prefixed with its policy (`KVPolicy "x": …`). */
  violations: string[];
}

export interface AuditReport {
  /** One entry per policy, including those without offenders. */
  policies: Map<string, PolicyAuditResult>;
  stores: StoreCompliance[];
}

export interface AuditOptions {
  celLimits?: Partial<CelLimits>;
  /** CEL cost one store may spend across all policies (default: what one admission request may). */
  storeCelCostBudget?: number;
}

function storeKey(store: KVStore): string {
  return `${store.metadata?.namespace ?? ''}/${store.metadata?.name ?? ''}`;
}

function labelsLookup(namespaceLabels: ReadonlyMap<string, Labels> | Record<string, Labels>): (namespace: string) => Labels | undefined {
  return namespaceLabels instanceof Map
    ? (namespace) => namespaceLabels.get(namespace)
    : (namespace) => (namespaceLabels as Record<string, Labels>)[namespace];
}

function storeUnderEvaluation(store: KVStore, namespaceLabels: Labels | undefined): StoreUnderEvaluation {
  const namespace = store.metadata?.namespace ?? '';
  const name = store.metadata?.name ?? '';
  let prepared: PreparedBindings | undefined;
  return {
    namespace,
    name,
    labels: store.metadata?.labels,
    namespaceLabels,
    effectiveSpec: effectiveSpec(store.spec as KVStoreSpec | undefined, name),
    celBindings: () => (prepared ??= prepareBindings({
      object: store, oldObject: null, request: { operation: AUDIT_OPERATION, namespace, userInfo: { username: '' } },
    })),
  };
}

/** `KVPolicy "x": spec.tls.enabled must be true (rule requireTLS)` -> `spec.tls.enabled must be true (rule requireTLS)`. */
function withoutPolicyPrefix(policy: string, message: string): string {
  const prefix = `KVPolicy "${policy}": `;
  return message.startsWith(prefix) ? message.slice(prefix.length) : message;
}

/**
 * Audits `stores` against `policies`. Policies may be given as resources or already compiled (the engine's cache);
 * the result is deterministic: stores sorted by namespace/name, policies by name.
 */
export function auditStores(
  policies: ReadonlyArray<KVPolicy | CompiledPolicy>,
  stores: readonly KVStore[],
  namespaceLabels: ReadonlyMap<string, Labels> | Record<string, Labels>,
  options: AuditOptions = {},
): AuditReport {
  const compiled = policies
    .map((policy) => ('enforcement' in policy && 'expressions' in policy ? policy : compilePolicy(policy as KVPolicy)))
    .filter((policy) => policy.name !== '')
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const lookup = labelsLookup(namespaceLabels);
  const costBudget = options.storeCelCostBudget ?? DEFAULT_REQUEST_CEL_COST_BUDGET;
  const report: AuditReport = { policies: new Map(), stores: [] };
  for (const policy of compiled) report.policies.set(policy.name, { violations: 0, offenders: [] });

  const sortedStores = stores
    .filter((store) => !store.metadata?.deletionTimestamp)
    .sort((a, b) => (storeKey(a) < storeKey(b) ? -1 : storeKey(a) > storeKey(b) ? 1 : 0));
  for (const store of sortedStores) {
    const target = storeUnderEvaluation(store, lookup(store.metadata?.namespace ?? ''));
    const budget = celRequestBudget(costBudget, options.celLimits ?? {});
    const compliance: StoreCompliance = {
      namespace: target.namespace, name: target.name, generation: store.metadata?.generation, policies: [], violations: [],
    };
    for (const policy of compiled) {
      if (!coversStore(policy, target)) continue;
      compliance.policies.push(policy.name);
      const violations = evaluatePolicy(policy, target, budget);
      if (violations.length === 0) continue;
      compliance.violations.push(...violations.map((violation) => violation.message));
      const result = report.policies.get(policy.name)!;
      result.violations += 1;
      if (result.offenders.length < MAX_OFFENDERS) {
        const messages = violations.map((violation) => withoutPolicyPrefix(policy.name, violation.message)).join('; ');
        result.offenders.push(`${target.namespace}/${target.name}: ${messages}`);
      }
    }
    report.stores.push(compliance);
  }
  return report;
}
