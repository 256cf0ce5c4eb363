// Validates built objects against the Kubernetes OpenAPI schemas (kubernetes-models) and checks that
// @kubernetes/client-node's serializer, which the apply layer sends objects through, keeps every field: the schemas
// accept unknown keys, the serializer silently drops them, so together they catch misspelt and misplaced fields.
import { ObjectSerializer } from '@kubernetes/client-node/dist/serializer.js';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { MutatingWebhookConfiguration } from 'kubernetes-models/admissionregistration.k8s.io/v1/MutatingWebhookConfiguration';
import { ValidatingWebhookConfiguration } from 'kubernetes-models/admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration';
import { toTypedObject, toWireObject } from '../../../reconciler/apply/index.js';
import { canonicalJson } from '../../../shared/json-value.js';

type Validator = new (data: never) => { validate(): void };

const MODELS: Record<string, [Validator, string]> = {
  ConfigMap: [ConfigMap as unknown as Validator, 'V1ConfigMap'],
  Secret: [Secret as unknown as Validator, 'V1Secret'],
  Service: [Service as unknown as Validator, 'V1Service'],
  StatefulSet: [StatefulSet as unknown as Validator, 'V1StatefulSet'],
  PodDisruptionBudget: [PodDisruptionBudget as unknown as Validator, 'V1PodDisruptionBudget'],
  NetworkPolicy: [NetworkPolicy as unknown as Validator, 'V1NetworkPolicy'],
  Deployment: [Deployment as unknown as Validator, 'V1Deployment'],
  Namespace: [Namespace as unknown as Validator, 'V1Namespace'],
  ServiceAccount: [ServiceAccount as unknown as Validator, 'V1ServiceAccount'],
  ClusterRole: [ClusterRole as unknown as Validator, 'V1ClusterRole'],
  ClusterRoleBinding: [ClusterRoleBinding as unknown as Validator, 'V1ClusterRoleBinding'],
  Role: [Role as unknown as Validator, 'V1Role'],
  RoleBinding: [RoleBinding as unknown as Validator, 'V1RoleBinding'],
  MutatingWebhookConfiguration: [MutatingWebhookConfiguration as unknown as Validator, 'V1MutatingWebhookConfiguration'],
  ValidatingWebhookConfiguration: [ValidatingWebhookConfiguration as unknown as Validator, 'V1ValidatingWebhookConfiguration'],
};


/** Throws with the object kind/name when the object is not a valid Kubernetes object or has unknown fields. */
export function validateKubernetesObject(object: { kind?: string; metadata?: { name?: string } }): void {
  const kind = object.kind ?? '';
  const model = MODELS[kind];
  if (!model) throw new Error(`no schema model for kind ${kind}`);
  const wire = toWireObject(object);
  const [Model, typeName] = model;
  try {
    new Model(structuredClone(wire) as never).validate();
  } catch (error) {
    throw new Error(`${kind} ${object.metadata?.name}: ${(error as Error).message}`, { cause: error });
  }
  const serialized = JSON.parse(JSON.stringify(ObjectSerializer.serialize(toTypedObject(object), typeName)));
  const expected = canonicalJson(wire);
  const actual = canonicalJson(serialized);
  if (expected !== actual) {
    throw new Error(`${kind} ${object.metadata?.name}: fields unknown to the client serializer:\n${expected}\n!==\n${actual}`);
  }
}
