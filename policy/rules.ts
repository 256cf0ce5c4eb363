/**
 * The built-in KVPolicy rules, each a pure check of a KVStore spec as it will be stored: the caller passes the spec
 * after defaulting (`effectiveSpec`), so an unset field is judged by its default (no `tls` means TLS off, no
 * `replicas` means 3). Each rule returns zero or more violations naming the field, the rule and what to do.
 */
import type { KVPolicyRules } from '../shared/schema/kvpolicy.js';
import type { KVStoreSpec } from '../shared/schema/kvstore.js';
import { applyKVStoreDefaults } from '../shared/defaulting.js';
import { DEFAULT_EXPORTER_IMAGE } from '../shared/defaults.js';
import type { GuardedConcern } from '../shared/owned-settings.js';
import { restrictedProfileFindings } from '../shared/pod-security.js';
import { formatBytesHuman, isQuantity, parseEngineMemoryBytes, parseMemoryBytes } from '../shared/quantity.js';
import { userEngineSettings, type UserEngineSettings } from '../shared/user-engine-settings.js';

/** Names of the built-in rules, in the order they are checked (CEL `expressions` come after). */
export const BUILT_IN_RULES = [
  'requireAuthentication', 'requireTLS', 'requirePersistence', 'allowedEngines', 'allowedImageRegistries',
  'allowedStorageClasses', 'minReplicas', 'maxReplicas', 'maxMemory', 'requireResourceLimits', 'requiredAntiAffinity',
  'deniedConfigKeys', 'requireRestrictedPods',
] as const;
export type BuiltInRule = (typeof BUILT_IN_RULES)[number];

export interface RuleViolation {
  /** `requireTLS`, or `expressions[2]` for CEL rules. */
  rule: string;
  field: string;
  /** Completes "<field> …", e.g. `must be true`. */
  message: string;
}

/**
 * The spec as it will be stored: the shared defaulting applied (idempotent, so a spec the mutating webhook already
 * defaulted comes back unchanged). A spec the defaulting cannot handle (it is invalid, and the schema check denies
 * it anyway) is judged as given.
 */
export function effectiveSpec(spec: KVStoreSpec | undefined, storeName: string): KVStoreSpec {
  try {
    return applyKVStoreDefaults(spec ?? {}, storeName);
  } catch {
    return spec ?? {};
  }
}

const quote = (value: unknown): string => JSON.stringify(value);
const list = (values: readonly string[]): string => values.map(quote).join(', ');

/**
 * An image reference in the long form: `redis:7.4` -> `docker.io/library/redis:7.4`, `bitnami/redis` ->
 * `docker.io/bitnami/redis`; references that name a registry (a first part with `.` or `:`, or `localhost`) are
 * returned unchanged.
 */
export function normalizeImageReference(image: string): string {
  const slash = image.indexOf('/');
  const first = slash === -1 ? '' : image.slice(0, slash);
  if (first.includes('.') || first.includes(':') || first === 'localhost') return image;
  return slash === -1 ? `docker.io/library/${image}` : `docker.io/${image}`;
}

/**
 * True when `image` comes from the registry (or repository) prefix. A prefix ending in `/` is a plain prefix; any
 * other prefix must be followed by `/`, `:` or `@`, so `registry.internal` does not allow `registry.internal.evil.com/x`.
 * Both the image as written and its long form are compared, so `docker.io/library/` allows `redis:7.4`.
 */
export function imageMatchesRegistry(image: string, prefix: string): boolean {
  const matches = (candidate: string): boolean => {
    if (!candidate.startsWith(prefix)) return false;
    if (prefix.endsWith('/') || candidate.length === prefix.length) return true;
    return ['/', ':', '@'].includes(candidate[prefix.length]!);
  };
  return prefix !== '' && (matches(image) || matches(normalizeImageReference(image)));
}

type Check = (rules: KVPolicyRules, spec: KVStoreSpec) => readonly RuleViolation[];

/** What a passing check returns: one shared empty list (checks run per policy per request; never modified). */
const NONE: readonly RuleViolation[] = Object.freeze([]);

// One spec is judged by every policy of a request: read its engine settings once.
const settingsCache = new WeakMap<KVStoreSpec, UserEngineSettings>();

function settingsOf(spec: KVStoreSpec): UserEngineSettings {
  let settings = settingsCache.get(spec);
  if (!settings) settingsCache.set(spec, (settings = userEngineSettings(spec.engine ?? 'redis', spec)));
  return settings;
}

const CONCERN_WORDS: Record<GuardedConcern, string> = { authentication: 'authentication', tls: 'TLS', persistence: 'persistence' };

/**
 * The rule judges the effective configuration: spec.config and spec.args (in any spelling the engine reads) can
 * override what the typed field says, so a setting that can undo `concern` breaks the rule too. The webhook refuses
 * these settings anyway; this catches stores admitted before it did, and the background audit reports them.
 */
function settingsUndoing(rule: BuiltInRule, concern: GuardedConcern, spec: KVStoreSpec): RuleViolation[] {
  return settingsOf(spec).settings
    .filter(({ owned }) => owned?.undoes.includes(concern))
    .map(({ field, key }) => ({ rule, field, message: `sets ${quote(key)}, which can undo ${CONCERN_WORDS[concern]}; remove it` }));
}

/** A rule over one typed switch (`authentication.enabled`…) that spec.config and spec.args must not undo either. */
function switchRule(rule: BuiltInRule, concern: GuardedConcern, field: string, isOff: (spec: KVStoreSpec) => boolean, message: string): Check {
  return (rules, spec) => {
    if (!rules[rule as keyof KVPolicyRules]) return NONE;
    const undone = settingsUndoing(rule, concern, spec);
    return isOff(spec) ? [{ rule, field, message }, ...undone] : undone;
  };
}

const requireAuthentication = switchRule('requireAuthentication', 'authentication', 'spec.authentication.enabled',
  (spec) => spec.authentication?.enabled === false, 'must be true (remove "enabled: false")');
const requireTLS = switchRule('requireTLS', 'tls', 'spec.tls.enabled', (spec) => spec.tls?.enabled !== true, 'must be true');
const requirePersistence = switchRule('requirePersistence', 'persistence', 'spec.persistence.enabled',
  (spec) => spec.persistence?.enabled === false, 'must be true (remove "enabled: false")');

const allowedEngines: Check = (rules, spec) => {
  const allowed = rules.allowedEngines;
  const engine = spec.engine ?? 'redis';
  return allowed && !allowed.includes(engine)
    ? [{ rule: 'allowedEngines', field: 'spec.engine', message: `is ${quote(engine)}; allowed: ${list(allowed)}` }]
    : NONE;
};

const allowedImageRegistries: Check = (rules, spec) => {
  const allowed = rules.allowedImageRegistries;
  if (!allowed) return NONE;
  const images: Array<[string, string | undefined]> = [['spec.image', spec.image]];
  if (spec.exporter?.enabled) images.push(['spec.exporter.image', spec.exporter.image ?? DEFAULT_EXPORTER_IMAGE]);
  return images.flatMap(([field, image]) => (image === undefined || allowed.some((prefix) => imageMatchesRegistry(image, prefix))
    ? NONE
    : [{ rule: 'allowedImageRegistries', field, message: `${quote(image)} is not from an allowed registry; use one of ${list(allowed)}` }]));
};

const allowedStorageClasses: Check = (rules, spec) => {
  const allowed = rules.allowedStorageClasses;
  if (!allowed || spec.persistence?.enabled === false) return NONE;
  const storageClass = spec.persistence?.storageClassName;
  if (storageClass === undefined) {
    // The cluster default class is unknown here; a policy that lists "" accepts it.
    return allowed.includes('') ? NONE : [{
      rule: 'allowedStorageClasses', field: 'spec.persistence.storageClassName',
      message: `must be set to one of ${list(allowed)} (unset means the cluster default)`,
    }];
  }
  return allowed.includes(storageClass) ? NONE : [{
    rule: 'allowedStorageClasses', field: 'spec.persistence.storageClassName',
    message: `is ${quote(storageClass)}; allowed: ${list(allowed)}`,
  }];
};

const replicaBounds: Check = (rules, spec) => {
  const replicas = spec.replicas ?? 3;
  const violations: RuleViolation[] = [];
  if (rules.minReplicas !== undefined && replicas < rules.minReplicas) {
    violations.push({ rule: 'minReplicas', field: 'spec.replicas', message: `is ${replicas}; must be at least ${rules.minReplicas}` });
  }
  if (rules.maxReplicas !== undefined && replicas > rules.maxReplicas) {
    violations.push({ rule: 'maxReplicas', field: 'spec.replicas', message: `is ${replicas}; must be at most ${rules.maxReplicas}` });
  }
  return violations;
};

function bytesOf(quantity: unknown): number | undefined {
  if (!isQuantity(quantity)) return undefined;
  try { return parseMemoryBytes(quantity); } catch { return undefined; }
}

const maxMemory: Check = (rules, spec) => {
  if (rules.maxMemory === undefined) return NONE;
  const maxBytes = bytesOf(rules.maxMemory);
  if (maxBytes === undefined) return NONE;
  const shown = String(rules.maxMemory);
  const limit = spec.resources?.limits?.memory;
  const limitBytes = limit === undefined ? undefined : bytesOf(limit);
  const violations: RuleViolation[] = [];
  if (limit === undefined) {
    // No limit means the store may use all of the node's memory: more than any maximum.
    violations.push({ rule: 'maxMemory', field: 'spec.resources.limits.memory', message: `must be set, at most ${shown}` });
  } else if (limitBytes !== undefined && limitBytes > maxBytes) {
    violations.push({ rule: 'maxMemory', field: 'spec.resources.limits.memory', message: `is ${String(limit)}; must be at most ${shown}` });
  }
  const maxmemory = Object.entries(spec.config ?? {}).find(([key]) => key.toLowerCase() === 'maxmemory');
  if (maxmemory) {
    const configBytes = parseEngineMemoryBytes(maxmemory[1]);
    // A maxmemory within an over-large limit is most likely the defaulted 80% of it: fixing the limit fixes both.
    const impliedByLimit = violations.length > 0 && configBytes !== undefined && limitBytes !== undefined && configBytes > 0 && configBytes <= limitBytes;
    if (configBytes !== undefined && !impliedByLimit && (configBytes > maxBytes || configBytes === 0)) {
      const what = configBytes === 0 ? '0 (unlimited)' : `${quote(maxmemory[1])} (${formatBytesHuman(configBytes)})`;
      violations.push({ rule: 'maxMemory', field: `spec.config.${maxmemory[0]}`, message: `is ${what}; must be at most ${shown}` });
    }
  }
  return violations;
};

const requireResourceLimits: Check = (rules, spec) =>
  rules.requireResourceLimits && spec.resources?.limits?.memory === undefined
    ? [{ rule: 'requireResourceLimits', field: 'spec.resources.limits.memory', message: 'must be set' }]
    : NONE;

const ANTI_AFFINITY_STRENGTH = { none: 0, preferred: 1, required: 2 } as const;
type AntiAffinityLevel = keyof typeof ANTI_AFFINITY_STRENGTH;

/** How strongly the pods are spread: what `affinity.podAntiAffinity` says (after defaulting it is materialised). */
export function antiAffinityLevel(spec: KVStoreSpec): AntiAffinityLevel {
  const podAntiAffinity = spec.affinity?.podAntiAffinity;
  if (podAntiAffinity) {
    if ((podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution ?? []).length > 0) return 'required';
    if ((podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution ?? []).length > 0) return 'preferred';
    return 'none';
  }
  return spec.antiAffinity ?? 'preferred';
}

const requiredAntiAffinity: Check = (rules, spec) => {
  const required = rules.requiredAntiAffinity;
  if (!required) return NONE;
  const level = antiAffinityLevel(spec);
  if (ANTI_AFFINITY_STRENGTH[level] >= ANTI_AFFINITY_STRENGTH[required]) return NONE;
  const custom = spec.affinity?.podAntiAffinity !== undefined && spec.antiAffinity !== undefined
    && ANTI_AFFINITY_STRENGTH[spec.antiAffinity] >= ANTI_AFFINITY_STRENGTH[required];
  return [{
    rule: 'requiredAntiAffinity',
    field: custom ? 'spec.affinity.podAntiAffinity' : 'spec.antiAffinity',
    message: custom
      ? `gives ${quote(level)} anti-affinity; must be at least ${quote(required)} (add a ${required}DuringScheduling term or remove it)`
      : `is ${quote(level)}; must be ${required === 'required' ? quote('required') : `${quote('preferred')} or ${quote('required')}`}`,
  }];
};

/** `tls-*` style patterns; comparison is case-insensitive, as the engines treat config keys. */
function keyDenied(key: string, patterns: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  return patterns.find((pattern) => {
    const p = pattern.toLowerCase();
    return p.endsWith('*') ? lower.startsWith(p.slice(0, -1)) : lower === p;
  });
}

const deniedConfigKeys: Check = (rules, spec) => {
  const denied = rules.deniedConfigKeys;
  if (!denied?.length) return NONE;
  // `args: ["--maxmemory-policy", "x"]` sets the same thing as `config`, in whatever spelling the engine reads.
  return settingsOf(spec).settings.flatMap(({ field, key }) => {
    const pattern = keyDenied(key, denied);
    if (!pattern) return [];
    const message = field.startsWith('spec.config.')
      ? `may not be set (denied by ${quote(pattern)}); remove it`
      : `sets ${quote(key)}, which is denied by ${quote(pattern)}; remove it`;
    return [{ rule: 'deniedConfigKeys', field, message }];
  });
};

const requireRestrictedPods: Check = (rules, spec) => (rules.requireRestrictedPods
  ? restrictedProfileFindings(spec).map(({ field, message }) => ({ rule: 'requireRestrictedPods', field, message }))
  : NONE);

/** Each check with the test of whether a policy's rules use it at all (decided once, when the policy is compiled). */
const CHECKS: ReadonlyArray<{ check: Check; uses: (rules: KVPolicyRules) => boolean }> = [
  { check: requireAuthentication, uses: (rules) => !!rules.requireAuthentication },
  { check: requireTLS, uses: (rules) => !!rules.requireTLS },
  { check: requirePersistence, uses: (rules) => !!rules.requirePersistence },
  { check: allowedEngines, uses: (rules) => rules.allowedEngines !== undefined },
  { check: allowedImageRegistries, uses: (rules) => rules.allowedImageRegistries !== undefined },
  { check: allowedStorageClasses, uses: (rules) => rules.allowedStorageClasses !== undefined },
  { check: replicaBounds, uses: (rules) => rules.minReplicas !== undefined || rules.maxReplicas !== undefined },
  { check: maxMemory, uses: (rules) => rules.maxMemory !== undefined },
  { check: requireResourceLimits, uses: (rules) => !!rules.requireResourceLimits },
  { check: requiredAntiAffinity, uses: (rules) => !!rules.requiredAntiAffinity },
  { check: deniedConfigKeys, uses: (rules) => !!rules.deniedConfigKeys?.length },
  { check: requireRestrictedPods, uses: (rules) => !!rules.requireRestrictedPods },
];

/** The built-in rules of one policy, ready to run: only the checks its rules use, in BUILT_IN_RULES order. */
export type CompiledBuiltInRules = (spec: KVStoreSpec) => readonly RuleViolation[];

/**
 * Picks, once per policy, the checks its rules use: at admission a policy with one rule runs one check instead of
 * asking every check whether it is set. Undefined when the policy uses none.
 */
export function compileBuiltInRules(rules: KVPolicyRules | undefined): CompiledBuiltInRules | undefined {
  if (!rules) return undefined;
  const active = CHECKS.filter(({ uses }) => uses(rules)).map(({ check }) => check);
  if (active.length === 0) return undefined;
  return (spec) => {
    let violations: RuleViolation[] | undefined;
    for (const check of active) {
      const found = check(rules, spec);
      if (found.length > 0) (violations ??= []).push(...found);
    }
    return violations ?? NONE;
  };
}

/** Every built-in rule violation of `spec` (already defaulted, see `effectiveSpec`). */
export function checkBuiltInRules(rules: KVPolicyRules | undefined, spec: KVStoreSpec): RuleViolation[] {
  return [...(compileBuiltInRules(rules)?.(spec) ?? [])];
}

/** The replica rules alone (minReplicas, maxReplicas): what a `/scale` request can break. */
export function checkReplicaRules(rules: KVPolicyRules | undefined, replicas: number): RuleViolation[] {
  return rules ? [...replicaBounds(rules, { replicas })] : [];
}
