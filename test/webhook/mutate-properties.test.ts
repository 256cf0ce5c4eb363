/**
 * Properties of the mutating webhook over many generated KVStores (seeded, so failures reproduce): the patch applies
 * strictly to the raw object, removes nothing, equals the built-in defaulting, is idempotent, and its result passes
 * the schema.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyKVStoreDefaults } from '../../shared/defaulting.js';
import { validateKVStoreSpecSchema } from '../../shared/validators.js';
import { mutateKVStore } from '../../webhook/mutate.js';
import { applyStrict, type Json } from './helpers.js';
import { seededRandom as random } from '../helpers/seeded-random.js';

const CHOICES: Record<string, unknown[]> = {
  engine: ['redis', 'valkey', 'dragonfly'],
  replicas: [1, 2, 3, 5],
  resources: [{ limits: { memory: '1Gi' } }, { requests: { cpu: '1' } }, { requests: { memory: '64Mi' }, limits: { memory: '128Mi', cpu: '500m' } }],
  config: [{ 'maxmemory-policy': 'allkeys-lru' }, { maxmemory: '100mb' }, {}],
  persistence: [{ enabled: false }, { size: '5Gi', storageClassName: 'fast' }, { mode: 'rdb' }],
  snapshot: [{ cron: '0 * * * *' }, { dir: 's3://bucket/prefix' }, { onShutdown: false }],
  authentication: [{ enabled: false }, { passwordFromSecret: { name: 'mine', key: 'pw' } }, {}],
  tls: [{ enabled: true }, { enabled: true, secretName: 'own-tls' }, { enabled: false }],
  antiAffinity: ['preferred', 'required', 'none'],
  affinity: [{ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'k', operator: 'Exists' }] }] } } },
    { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, podAffinityTerm: { topologyKey: 'zone' } }] } }],
  nodeSelector: [{ 'kubernetes.io/os': 'linux', 'odd~key/x': 'y' }],
  pdb: [{ minAvailable: 1 }, { maxUnavailable: '50%' }],
  podMetadata: [{ labels: { team: 'a', 'example.com/tier': 'cache' } }],
  podSecurityContext: [{ runAsUser: 1000 }],
  exporter: [{ enabled: true }],
  service: [{ type: 'NodePort', annotations: { 'a/b': 'c' } }],
};

function generateSpec(next: () => number): Json {
  const spec: Json = {};
  for (const [field, values] of Object.entries(CHOICES)) {
    if (next() < 0.4) spec[field] = structuredClone(values[Math.floor(next() * values.length)]);
  }
  return spec;
}

describe('mutation properties over generated KVStores', () => {
  it('holds for 300 seeded specs', () => {
    const next = random(20261122);
    for (let i = 0; i < 300; i++) {
      const spec = generateSpec(next);
      const raw: Json = { apiVersion: 'redwing.dev/v1alpha1', kind: 'KVStore', metadata: { name: `s${i}`, labels: { 'app.kubernetes.io/part-of': 'x' } }, spec, status: { phase: 'Ready' } };
      const context = JSON.stringify(spec);
      const { patch } = mutateKVStore(raw, { specs: [] });
      assert.ok(patch.every((op) => op.op !== 'remove'), context);
      const patched = applyStrict(raw, patch);
      assert.deepEqual(patched.spec, applyKVStoreDefaults(spec, `s${i}`), context);
      assert.deepEqual(patched.metadata, raw.metadata, context);
      assert.deepEqual(patched.status, raw.status, context);
      assert.deepEqual(mutateKVStore(patched, { specs: [] }).patch, [], context);
      assert.deepEqual(validateKVStoreSpecSchema(patched.spec), [], context);
    }
  });
});
