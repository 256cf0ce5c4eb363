/**
 * The seam between the admission webhook and the KVPolicy engine. The webhook asks it two questions per request:
 * which policy defaults to merge (mutating) and which rules are broken (validating). Both answer synchronously
 * from caches, so a policy never adds a network round trip to an admission.
 */
import type { Enforcement } from '../shared/schema/kvpolicy.js';
import type { KVStoreSpec } from '../shared/schema/kvstore.js';
import type { FieldError } from '../shared/validators.js';

/**
 * The reconciler's service account (manifests/rbac/). Here, beside the port, because both sides of it exempt it: the
 * webhook's fast path skips policy for it, and the engine does too whoever wires it in.
 */
export const DEFAULT_RECONCILER_USERNAME = 'system:serviceaccount:redwing-system:redwing-reconciler';

export interface PolicyRequest {
  operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  namespace: string;
  /** The KVStore as submitted (after mutation, for validation). */
  object: Record<string, unknown>;
  oldObject?: Record<string, unknown> | null;
  userInfo: { username?: string; groups?: string[] };
  dryRun?: boolean;
  /**
   * The object's spec after the built-in defaulting, when the caller has already computed it (the validating
   * webhook has, for its own checks); the engine computes it otherwise. Must not be modified.
   */
  effectiveSpec?: KVStoreSpec;
}

/** A change of `spec.replicas` through the `/scale` subresource (kubectl scale, an autoscaler): a Scale, no store. */
export interface ScaleRequest {
  namespace: string;
  /** The store's name. */
  name: string;
  replicas: number;
  userInfo: { username?: string; groups?: string[] };
  dryRun?: boolean;
}

export interface PolicyViolation {
  policy: string;
  enforcement: Enforcement;
  /** Names the field and what to do, e.g. "spec.tls.enabled must be true (rule requireTLS)". */
  message: string;
}

export interface PolicyDefaults {
  /** Partial KVStore specs, in the order they must be merged (the first one wins on conflicts). */
  specs: Array<{ policy: string; spec: Record<string, unknown> }>;
}

export interface PolicyPort {
  /** Every violation of every matching policy; the webhook denies on Enforce, warns on Warn, counts Audit. */
  evaluate(request: PolicyRequest): PolicyViolation[];
  /**
   * Violations for a `/scale` request: with the store known (the engine's KVStore cache), those of the UPDATE setting
   * the store's `spec.replicas` (every rule kind); otherwise those of the replica rules (minReplicas, maxReplicas) of
   * every policy that might cover the store. Optional: a port without it lets scale requests through.
   */
  evaluateScale?(request: ScaleRequest): PolicyViolation[];
  /** Policy defaults that apply to this store. */
  defaultsFor(request: PolicyRequest): PolicyDefaults;
  /** Extra checks of a KVPolicy at admission (CEL expressions compile and are boolean), as field errors. */
  validatePolicy(policy: Record<string, unknown>): FieldError[];
}

/** No policies at all: what the webhook uses until a policy source is wired in. */
export const NO_POLICIES: PolicyPort = {
  evaluate: () => [],
  defaultsFor: () => ({ specs: [] }),
  validatePolicy: () => [],
};
