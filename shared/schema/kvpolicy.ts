/** The KVPolicy custom resource: cluster-wide governance of KVStores (see DESIGN.md). */
import { Type, type Static } from '@sinclair/typebox';
import { Condition, LabelSelector, ObjectMeta, Quantity } from './core.js';
import { StringEnum } from './string-enum.js';

export const ENFORCEMENT_MODES = ['Enforce', 'Warn', 'Audit'] as const;
export type Enforcement = (typeof ENFORCEMENT_MODES)[number];

const StringList = (description: string) => Type.Array(Type.String(), { description });

export const PolicyMatch = Type.Object({
  namespaces: Type.Optional(StringList('Namespaces covered; all when empty.')),
  namespaceSelector: Type.Optional(LabelSelector),
  storeSelector: Type.Optional(LabelSelector),
}, { description: 'Which KVStores the policy covers (all when empty).' });

export const PolicyExclude = Type.Object({
  namespaces: Type.Optional(StringList('Namespaces exempt from the policy.')),
  storeSelector: Type.Optional(LabelSelector),
}, { description: 'Exceptions to match.' });

export const CelRule = Type.Object({
  expression: Type.String({ description: 'CEL over object, oldObject and request; true means allowed.' }),
  message: Type.Optional(Type.String({ description: 'Shown when the expression is false.' })),
}, { description: 'A CEL rule.' });

export const PolicyRules = Type.Object({
  requireAuthentication: Type.Optional(Type.Boolean({ description: 'authentication.enabled must be true.' })),
  requireTLS: Type.Optional(Type.Boolean({ description: 'tls.enabled must be true.' })),
  requirePersistence: Type.Optional(Type.Boolean({ description: 'persistence.enabled must be true.' })),
  allowedEngines: Type.Optional(StringList('Engines allowed.')),
  allowedImageRegistries: Type.Optional(StringList('Image prefixes allowed, e.g. registry.internal/.')),
  allowedStorageClasses: Type.Optional(StringList('StorageClasses allowed.')),
  minReplicas: Type.Optional(Type.Integer({ minimum: 1, description: 'Least replicas.' })),
  maxReplicas: Type.Optional(Type.Integer({ minimum: 1, description: 'Most replicas.' })),
  maxMemory: Type.Optional(Quantity('Largest memory limit (and maxmemory) allowed.')),
  requireResourceLimits: Type.Optional(Type.Boolean({ description: 'A memory limit must be set.' })),
  requiredAntiAffinity: Type.Optional(StringEnum(['preferred', 'required'] as const, 'Least anti-affinity required.')),
  deniedConfigKeys: Type.Optional(StringList('Engine settings users may not set.')),
  requireRestrictedPods: Type.Optional(Type.Boolean({ description: 'The pods must meet the Pod Security "restricted" profile (security contexts).' })),
  expressions: Type.Optional(Type.Array(CelRule, { description: 'CEL rules.' })),
}, { description: 'The rules a covered KVStore must satisfy.' });

export const KVPolicySpec = Type.Object({
  // The default is in the CRD too, so `kubectl get kvp` shows the mode of every policy.
  enforcement: Type.Optional({ ...StringEnum(ENFORCEMENT_MODES, 'Enforce (deny), Warn (allow with a warning) or Audit (allow, record only). Default Enforce.'), default: 'Enforce' }),
  match: Type.Optional(PolicyMatch),
  exclude: Type.Optional(PolicyExclude),
  rules: Type.Optional(PolicyRules),
  defaults: Type.Optional(Type.Unsafe<Record<string, unknown>>({
    type: 'object',
    'x-kubernetes-preserve-unknown-fields': true,
    description: 'A partial KVStore spec merged in by the mutating webhook before the built-in defaults.',
  })),
}, { description: 'Desired state of the policy.' });

export const KVPolicyStatus = Type.Object({
  violations: Type.Optional(Type.Integer({ description: 'Existing KVStores that break the policy (background audit).' })),
  lastAuditTime: Type.Optional(Type.String({ format: 'date-time', description: 'When the audit last ran.' })),
  offenders: Type.Optional(StringList('The first 20 offenders as namespace/name: message.')),
  conditions: Type.Optional(Type.Array(Condition, { description: 'Standard conditions.' })),
}, { description: 'Audit results.' });

export const KVPolicy = Type.Object({
  apiVersion: Type.String(),
  kind: Type.String(),
  metadata: ObjectMeta,
  spec: Type.Optional(KVPolicySpec),
  status: Type.Optional(KVPolicyStatus),
}, { description: 'Cluster governance for KVStores.' });

export type KVPolicySpec = Static<typeof KVPolicySpec>;
export type KVPolicyRules = Static<typeof PolicyRules>;
export type KVPolicyStatus = Static<typeof KVPolicyStatus>;
export type KVPolicy = Static<typeof KVPolicy>;
