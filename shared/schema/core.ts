/**
 * Schemas for the Kubernetes core types a KVStore embeds. Types we only pass through to the pod (affinity,
 * tolerations, security contexts) are opaque objects whose TypeScript type comes from @kubernetes/client-node:
 * the API server and kubelet validate them, and repeating their schemas here would only drift.
 */
import { Type, type Static, type TSchema, type TUnsafe } from '@sinclair/typebox';
import type {
  V1Affinity, V1LocalObjectReference, V1PodSecurityContext, V1SecurityContext, V1Toleration,
  V1TopologySpreadConstraint, V1LabelSelector,
} from '@kubernetes/client-node';
import { StringEnum } from './string-enum.js';

/** A resource quantity such as `256Mi`, `0.5` or `100m` (integer or string, as in Kubernetes). */
export const QUANTITY_PATTERN =
  '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$';

/**
 * As Kubernetes' own CRDs express resource.Quantity: the int-or-string extension, the exact typed anyOf
 * `[{type: integer}, {type: string}]` (any other keyword inside a branch makes the schema non-structural, golden 35),
 * and the pattern at the field level, where it applies to strings only.
 */
export function Quantity(description: string): TUnsafe<string | number> {
  return Type.Unsafe<string | number>({
    description,
    'x-kubernetes-int-or-string': true,
    anyOf: [{ type: 'integer' }, { type: 'string' }],
    pattern: QUANTITY_PATTERN,
  });
}

export function IntOrString(description: string): TUnsafe<string | number> {
  return Type.Unsafe<string | number>({
    description,
    'x-kubernetes-int-or-string': true,
    anyOf: [{ type: 'integer' }, { type: 'string' }],
  });
}

/** An embedded core object that is passed through to the pod unchanged. */
export function OpaqueObject<T>(description: string): TUnsafe<T> {
  return Type.Unsafe<T>({ type: 'object', description, 'x-kubernetes-preserve-unknown-fields': true });
}

export function OpaqueList<T>(description: string): TUnsafe<T[]> {
  return Type.Unsafe<T[]>({
    type: 'array',
    description,
    items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
  });
}

/**
 * A map with values of one schema, as `additionalProperties` (TypeBox's Record emits `patternProperties`, which
 * structural CRD schemas forbid).
 */
export function MapOf<T extends TSchema>(values: T, description: string): TUnsafe<Record<string, Static<T>>> {
  return Type.Unsafe<Record<string, Static<T>>>({ type: 'object', description, additionalProperties: values });
}

export function StringMap(description: string): TUnsafe<Record<string, string>> {
  return MapOf(Type.String(), description);
}

export const ResourceRequirements = Type.Object({
  requests: Type.Optional(MapOf(Quantity('A quantity.'), 'Minimum resources the pod is scheduled with, e.g. {cpu: 100m, memory: 256Mi}.')),
  limits: Type.Optional(MapOf(Quantity('A quantity.'), 'Maximum resources; the memory limit also sets the default maxmemory (80% of it).')),
}, { description: 'CPU and memory for the engine container (core/v1 ResourceRequirements).' });

export const Affinity = OpaqueObject<V1Affinity>('Pod affinity rules (core/v1 Affinity). The webhook fills podAntiAffinity from antiAffinity unless set here.');
export const Tolerations = OpaqueList<V1Toleration>('Tolerations of the pods (core/v1 Toleration).');
export const TopologySpreadConstraints = OpaqueList<V1TopologySpreadConstraint>('Topology spread constraints of the pods (core/v1).');
export const PodSecurityContext = OpaqueObject<V1PodSecurityContext>('Security context of the pods (core/v1 PodSecurityContext). Defaults to non-root uid 999.');
export const ContainerSecurityContext = OpaqueObject<V1SecurityContext>('Security context of the engine container (core/v1 SecurityContext). Defaults to no privilege escalation, all capabilities dropped, read-only root filesystem.');
export const ImagePullSecrets = OpaqueList<V1LocalObjectReference>('Secrets used to pull the images (core/v1 LocalObjectReference list).');
export const LabelSelector = OpaqueObject<V1LabelSelector>('A label selector (matchLabels, matchExpressions).');

/** metav1.Condition */
export const Condition = Type.Object({
  type: Type.String({ description: 'Condition type, e.g. Available.' }),
  status: StringEnum(['True', 'False', 'Unknown'] as const, 'True, False or Unknown.'),
  reason: Type.String({ description: 'One CamelCase word saying why.' }),
  message: Type.String({ description: 'Human-readable details.' }),
  lastTransitionTime: Type.String({ format: 'date-time', description: 'When the status last changed.' }),
  observedGeneration: Type.Optional(Type.Integer({ description: 'The generation the condition was computed for.' })),
}, { description: 'A standard metav1.Condition.' });

export const ObjectMeta = Type.Unsafe<import('@kubernetes/client-node').V1ObjectMeta>({ type: 'object' });
