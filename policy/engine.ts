/**
 * The KVPolicy engine behind `PolicyPort`: an in-memory cache of compiled policies, namespace labels and (for `/scale`)
 * trimmed KVStores, fed by webhook/policy/sources.ts (a watch, or `--policy` files), answering the webhook synchronously.
 *
 * - Policies are kept sorted by name, so violations and defaults always come in the same order.
 * - Requests from exempt users (the operator's own service accounts) are never evaluated: the operator must be able
 *   to manage the stores it owns whatever the policies say (Gatekeeper does the same).
 * - DELETE and CONNECT are not evaluated, nor UPDATEs of a store that is being deleted (removing a finalizer):
 *   rules describe how a store must be configured, and deleting a non-compliant store must stay possible.
 * - One request may spend at most `requestCelCostBudget` CEL cost units across all its policies (each expression is
 *   also bounded on its own, see cel.ts); expressions beyond that fail, which denies in Enforce mode.
 */
import type { KVPolicy } from '../shared/schema/kvpolicy.js';
import type { KVStoreSpec } from '../shared/schema/kvstore.js';
import type { FieldError } from '../shared/validators.js';
import {
  DEFAULT_RECONCILER_USERNAME, type PolicyDefaults, type PolicyPort, type PolicyRequest, type PolicyViolation, type ScaleRequest,
} from './policy-port.js';
import { prepareBindings, type CelLimits, type PreparedBindings } from './cel.js';
import {
  celRequestBudget, compilePolicy, DEFAULT_REQUEST_CEL_COST_BUDGET, evaluatePolicy, formatViolation, newEvaluationMemo,
  type CompiledPolicy, type StoreUnderEvaluation,
} from './compiled-policy.js';
import type { Labels, MatchTarget } from './match.js';
import { checkReplicaRules, effectiveSpec } from './rules.js';
import { scaleAsUpdate, trimStoreForPolicies, type CachedStore } from './scale-request.js';
import { validatePolicyObject } from './validate-policy.js';

/**
 * The operator's own service account, the same one the webhook's fast path skips (webhook/handlers.ts); the engine
 * exempts it too, so the audit-free admission path cannot block the operator whoever wires the engine in.
 */
export const DEFAULT_EXEMPT_USERNAMES: readonly string[] = [DEFAULT_RECONCILER_USERNAME];

export interface PolicyEngineOptions {
  /** Usernames no policy applies to (exact). Default DEFAULT_EXEMPT_USERNAMES. */
  exemptUsernames?: readonly string[];
  /** Overrides of the per-expression CEL bounds (cel.ts DEFAULT_CEL_LIMITS). */
  celLimits?: Partial<CelLimits>;
  /** CEL cost units one request may spend across all its policies (default DEFAULT_REQUEST_CEL_COST_BUDGET). */
  requestCelCostBudget?: number;
}

export interface PolicyEngine extends PolicyPort {
  evaluateScale(request: ScaleRequest): PolicyViolation[];
  /** Replaces the whole policy cache (an informer's initial list, or the `--policy` files). */
  setPolicies(policies: readonly KVPolicy[]): void;
  upsertPolicy(policy: KVPolicy): void;
  removePolicy(name: string): void;
  /** Sets (or with undefined, forgets) the labels of one namespace. */
  setNamespaceLabels(namespace: string, labels: Labels | undefined): void;
  /** Replaces every namespace's labels at once. */
  replaceNamespaceLabels(labelsByNamespace: ReadonlyMap<string, Labels> | Record<string, Labels>): void;
  /**
   * Caches (or with undefined, forgets) one store, trimmed to what policies read (`trimStoreForPolicies`): a `/scale`
   * request carries a Scale, not the store, and is judged as an UPDATE of the cached store (see docs/policy.md,
   * "kubectl scale").
   */
  setStore(namespace: string, name: string, store: Record<string, unknown> | undefined): void;
  /** The cached policies, sorted by name. */
  listPolicies(): KVPolicy[];
  /** The compiled policies, sorted by name (shared with the audit). */
  compiledPolicies(): readonly CompiledPolicy[];
}

type Json = Record<string, unknown>;

function metadataOf(object: Json | null | undefined): { name?: string; labels?: Labels } {
  const metadata = object?.metadata;
  return metadata && typeof metadata === 'object' ? (metadata as { name?: string; labels?: Labels }) : {};
}

function specOf(object: Json | null | undefined): KVStoreSpec | undefined {
  const spec = object?.spec;
  return spec && typeof spec === 'object' ? (spec as KVStoreSpec) : undefined;
}

/**
 * What one admission request looks like to the evaluator. The defaulted spec (unless the caller already has it) and
 * the CEL variables are computed on first use, once per request, and results are shared between policies (memo).
 * A class, not an object literal with a getter: V8 gives every literal with its own getter closure a hidden class of
 * its own, allocated in the old generation (~1 KB of old-space garbage per request, measured).
 */
class RequestStore implements StoreUnderEvaluation {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Labels | undefined;
  readonly oldLabels: Labels | null;
  readonly memo = newEvaluationMemo();
  private defaulted: KVStoreSpec | undefined;
  private prepared: PreparedBindings | undefined;

  constructor(private readonly request: PolicyRequest, readonly namespaceLabels: Labels | undefined) {
    const metadata = metadataOf(request.object);
    this.namespace = request.namespace;
    this.name = metadata.name ?? '';
    this.labels = metadata.labels;
    this.oldLabels = request.oldObject ? metadataOf(request.oldObject).labels ?? {} : null;
    this.defaulted = request.effectiveSpec;
  }

  get effectiveSpec(): KVStoreSpec {
    return (this.defaulted ??= effectiveSpec(specOf(this.request.object), this.name));
  }

  celBindings(): PreparedBindings {
    const request = this.request;
    return (this.prepared ??= prepareBindings({
      object: request.object,
      oldObject: request.oldObject ?? null,
      request: {
        operation: request.operation,
        namespace: request.namespace,
        userInfo: { username: request.userInfo.username ?? '', groups: request.userInfo.groups ?? [] },
      },
    }));
  }
}

export function storeFromRequest(request: PolicyRequest, namespaceLabels: Labels | undefined): StoreUnderEvaluation {
  return new RequestStore(request, namespaceLabels);
}

function matchTargetOf(store: Pick<StoreUnderEvaluation, 'namespace' | 'labels' | 'oldLabels' | 'namespaceLabels'>): MatchTarget {
  return { namespace: store.namespace, storeLabels: store.labels, oldStoreLabels: store.oldLabels, namespaceLabels: store.namespaceLabels };
}

function sortByName(policies: Iterable<CompiledPolicy>): CompiledPolicy[] {
  return [...policies].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function createPolicyEngine(options: PolicyEngineOptions = {}): PolicyEngine {
  const exempt = new Set(options.exemptUsernames ?? DEFAULT_EXEMPT_USERNAMES);
  const requestCostBudget = options.requestCelCostBudget ?? DEFAULT_REQUEST_CEL_COST_BUDGET;
  const celLimits = options.celLimits ?? {};
  const byName = new Map<string, CompiledPolicy>();
  let sorted: CompiledPolicy[] = [];
  const namespaceLabels = new Map<string, Labels>();
  const stores = new Map<string, CachedStore>();
  const storeKey = (namespace: string, name: string): string => `${namespace}/${name}`;

  let withDefaults: CompiledPolicy[] = [];
  const resort = (): void => {
    sorted = sortByName(byName.values());
    withDefaults = sorted.filter((policy) => policy.defaults !== undefined);
  };

  const applies = (request: PolicyRequest): boolean =>
    (request.operation === 'CREATE' || request.operation === 'UPDATE')
    && !!request.object
    && !(metadataOf(request.object) as { deletionTimestamp?: unknown }).deletionTimestamp
    && !exempt.has(request.userInfo.username ?? '');

  /** Every violation of every matching policy; the one evaluation path of CREATE, UPDATE and a scale. */
  const evaluateApplicable = (request: PolicyRequest): PolicyViolation[] => {
    const store = storeFromRequest(request, namespaceLabels.get(request.namespace));
    const target = matchTargetOf(store);
    const budget = celRequestBudget(requestCostBudget, celLimits);
    const violations: PolicyViolation[] = [];
    for (const policy of sorted) {
      if (!policy.matches(target)) continue;
      const found = evaluatePolicy(policy, store, budget);
      if (found.length > 0) violations.push(...found);
    }
    return violations;
  };

  return {
    evaluate(request: PolicyRequest): PolicyViolation[] {
      if (sorted.length === 0 || !applies(request)) return [];
      return evaluateApplicable(request);
    },

    evaluateScale(request: ScaleRequest): PolicyViolation[] {
      if (sorted.length === 0 || exempt.has(request.userInfo.username ?? '')) return [];
      const cached = stores.get(storeKey(request.namespace, request.name));
      if (cached) {
        const update = scaleAsUpdate(cached, request);
        return applies(update) ? evaluateApplicable(update) : [];
      }
      // Not cached (informer not synced yet, or standalone `--policy` mode): the replica rules alone, against every
      // policy that might cover the store (store selectors fail closed).
      const target: MatchTarget = {
        namespace: request.namespace, storeLabels: undefined, namespaceLabels: namespaceLabels.get(request.namespace),
        storeLabelsUnknown: true,
      };
      const violations: PolicyViolation[] = [];
      for (const policy of sorted) {
        if (!policy.matches(target)) continue;
        for (const violation of checkReplicaRules(policy.spec.rules, request.replicas)) {
          violations.push({ policy: policy.name, enforcement: policy.enforcement, message: formatViolation(policy.name, violation) });
        }
      }
      return violations;
    },

    defaultsFor(request: PolicyRequest): PolicyDefaults {
      if (withDefaults.length === 0 || !applies(request)) return { specs: [] };
      const target: MatchTarget = {
        namespace: request.namespace,
        storeLabels: metadataOf(request.object).labels,
        oldStoreLabels: request.oldObject ? metadataOf(request.oldObject).labels ?? {} : null,
        namespaceLabels: namespaceLabels.get(request.namespace),
      };
      // Already in name order (the merge order), and frozen: handed out without a copy.
      const specs: PolicyDefaults['specs'] = [];
      for (const policy of withDefaults) {
        if (policy.matches(target)) specs.push({ policy: policy.name, spec: policy.defaults as Record<string, unknown> });
      }
      return { specs };
    },

    validatePolicy(policy: Record<string, unknown>): FieldError[] {
      return validatePolicyObject(policy);
    },

    setPolicies(policies) {
      byName.clear();
      for (const policy of policies) {
        const compiled = compilePolicy(policy);
        if (compiled.name) byName.set(compiled.name, compiled);
      }
      resort();
    },
    upsertPolicy(policy) {
      const compiled = compilePolicy(policy);
      if (!compiled.name) return;
      byName.set(compiled.name, compiled);
      resort();
    },
    removePolicy(name) {
      if (byName.delete(name)) resort();
    },
    setNamespaceLabels(namespace, labels) {
      if (labels === undefined) namespaceLabels.delete(namespace);
      else namespaceLabels.set(namespace, { ...labels });
    },
    replaceNamespaceLabels(labelsByNamespace) {
      namespaceLabels.clear();
      const entries = labelsByNamespace instanceof Map ? labelsByNamespace.entries() : Object.entries(labelsByNamespace);
      for (const [namespace, labels] of entries) namespaceLabels.set(namespace, { ...labels });
    },
    setStore(namespace, name, store) {
      if (store === undefined) stores.delete(storeKey(namespace, name));
      else stores.set(storeKey(namespace, name), trimStoreForPolicies(store));
    },
    listPolicies: () => sorted.map((policy) => policy.source),
    compiledPolicies: () => sorted,
  };
}
