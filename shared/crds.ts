/**
 * The CustomResourceDefinitions, built from the TypeBox schemas so the CRD, the TS types and the webhook's
 * validator can never disagree. `npm run manifests` writes them to manifests/crds/; a test fails when the committed
 * files differ from what this builds.
 */
import type { TSchema } from '@sinclair/typebox';
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import {
  API_GROUP, API_VERSION, KVBACKUP_KIND, KVBACKUP_PLURAL, KVBACKUP_SHORT_NAMES, KVPOLICY_KIND, KVPOLICY_PLURAL, KVPOLICY_SHORT_NAMES, KVSTORE_KIND, KVSTORE_PLURAL,
  KVSTORE_SHORT_NAMES,
} from './api.js';
import { KVStoreSpec, KVStoreStatus } from './schema/kvstore.js';
import { KVPolicySpec, KVPolicyStatus } from './schema/kvpolicy.js';
import { KVBackupSpec, KVBackupStatus } from './schema/kvbackup.js';
import { DEFAULT_ENGINE, DEFAULT_REPLICAS } from './defaults.js';

type JsonSchema = Record<string, unknown>;

/** Plain JSON copy of a TypeBox schema (drops TypeBox's symbol keys). */
function toOpenApi(schema: TSchema): JsonSchema {
  return JSON.parse(JSON.stringify(schema)) as JsonSchema;
}

function withDefault(spec: JsonSchema, field: string, value: unknown): JsonSchema {
  const properties = spec.properties as Record<string, JsonSchema>;
  properties[field] = { ...properties[field], default: value };
  return spec;
}

function rootSchema(description: string, spec: JsonSchema, status: JsonSchema): JsonSchema {
  return {
    type: 'object',
    description,
    properties: {
      apiVersion: { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object.' },
      kind: { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' },
      // a description (or anything but name/generateName) on metadata makes the schema non-structural (golden 35)
      metadata: { type: 'object' },
      spec,
      status,
    },
  };
}

function storeSpecSchema(): JsonSchema {
  // The API server fills these two even when the webhook is down: a KVStore without replicas must never mean
  // zero pods (Dragonfly's operator had exactly that bug).
  const spec = toOpenApi(KVStoreSpec);
  withDefault(spec, 'engine', DEFAULT_ENGINE);
  withDefault(spec, 'replicas', DEFAULT_REPLICAS);
  return spec;
}

export function buildKVStoreCrd(): V1CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${KVSTORE_PLURAL}.${API_GROUP}`, labels: { 'app.kubernetes.io/part-of': 'redwing' } },
    spec: {
      group: API_GROUP,
      scope: 'Namespaced',
      names: {
        kind: KVSTORE_KIND, listKind: `${KVSTORE_KIND}List`, plural: KVSTORE_PLURAL, singular: 'kvstore',
        shortNames: [...KVSTORE_SHORT_NAMES], categories: ['redwing'],
      },
      versions: [{
        name: API_VERSION,
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: rootSchema(
            'KVStore is a Redis-compatible datastore (Redis, Valkey or Dragonfly) with replication, failover and snapshots.',
            { ...storeSpecSchema(), default: {} }, toOpenApi(KVStoreStatus)),
        },
        subresources: {
          status: {},
          scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' },
        },
        additionalPrinterColumns: [
          { name: 'Engine', type: 'string', jsonPath: '.spec.engine', description: 'The engine.' },
          { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas', description: 'Desired pods.' },
          { name: 'Ready', type: 'integer', jsonPath: '.status.readyReplicas', description: 'Ready pods.' },
          { name: 'Master', type: 'string', jsonPath: '.status.master', description: 'The master pod.' },
          { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Lifecycle phase.' },
          { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
        ],
      }],
    },
  } as V1CustomResourceDefinition;
}

export function buildKVPolicyCrd(): V1CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${KVPOLICY_PLURAL}.${API_GROUP}`, labels: { 'app.kubernetes.io/part-of': 'redwing' } },
    spec: {
      group: API_GROUP,
      scope: 'Cluster',
      names: {
        kind: KVPOLICY_KIND, listKind: `${KVPOLICY_KIND}List`, plural: KVPOLICY_PLURAL, singular: 'kvpolicy',
        shortNames: [...KVPOLICY_SHORT_NAMES], categories: ['redwing'],
      },
      versions: [{
        name: API_VERSION,
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: rootSchema('KVPolicy governs the KVStores of the cluster: rules enforced at admission, defaults, and a background audit.',
            toOpenApi(KVPolicySpec), toOpenApi(KVPolicyStatus)),
        },
        subresources: { status: {} },
        additionalPrinterColumns: [
          { name: 'Enforcement', type: 'string', jsonPath: '.spec.enforcement', description: 'Enforce, Warn or Audit.' },
          { name: 'Violations', type: 'integer', jsonPath: '.status.violations', description: 'Existing KVStores that break the policy.' },
          { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
        ],
      }],
    },
  } as V1CustomResourceDefinition;
}

export function buildKVBackupCrd(): V1CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${KVBACKUP_PLURAL}.${API_GROUP}`, labels: { 'app.kubernetes.io/part-of': 'redwing' } },
    spec: {
      group: API_GROUP,
      scope: 'Namespaced',
      names: {
        kind: KVBACKUP_KIND, listKind: `${KVBACKUP_KIND}List`, plural: KVBACKUP_PLURAL, singular: 'kvbackup',
        shortNames: [...KVBACKUP_SHORT_NAMES], categories: ['redwing'],
      },
      versions: [{
        name: API_VERSION,
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            ...rootSchema('KVBackup is an on-demand backup of a KVStore to S3.', toOpenApi(KVBackupSpec), toOpenApi(KVBackupStatus)),
            required: ['spec'],
          },
        },
        subresources: { status: {} },
        additionalPrinterColumns: [
          { name: 'Store', type: 'string', jsonPath: '.spec.store', description: 'The store backed up.' },
          { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Pending, Running, Succeeded or Failed.' },
          { name: 'Size', type: 'integer', jsonPath: '.status.sizeBytes', description: 'Bytes uploaded.' },
          { name: 'Duration', type: 'integer', jsonPath: '.status.durationMs', description: 'Milliseconds the upload took.', priority: 1 },
          { name: 'Pod', type: 'string', jsonPath: '.status.pod', description: 'The pod the data was read from.', priority: 1 },
          { name: 'URL', type: 'string', jsonPath: '.status.url', description: 'The uploaded object.', priority: 1 },
          { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
        ],
      }],
    },
  } as V1CustomResourceDefinition;
}

/** File name -> CRD, as written to manifests/crds/. */
export function buildCrdManifests(): Record<string, V1CustomResourceDefinition> {
  return {
    'redwing.dev_kvstores.yaml': buildKVStoreCrd(),
    'redwing.dev_kvpolicies.yaml': buildKVPolicyCrd(),
    'redwing.dev_kvbackups.yaml': buildKVBackupCrd(),
  };
}
