import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { KVStoreSpec } from '../../shared/schema/kvstore.js';
import { checkCoreTypeRules, imageProblem, labelKeyProblem } from '../../webhook/core-type-rules.js';
import { validateKVStore } from '../../webhook/validate-kvstore.js';

const fieldsOf = (spec: Partial<KVStoreSpec>) => checkCoreTypeRules(spec as KVStoreSpec).map((error) => error.field);

describe('core-type rules', () => {
  it('refuses what the CRD schema leaves open, naming the field (the cases found by the fuzzing campaign)', () => {
    assert.deepEqual(fieldsOf({ affinity: { podAntiAffinity: 'x' } as never }), ['spec.affinity.podAntiAffinity']);
    assert.deepEqual(fieldsOf({ tolerations: [{ key: 'a', operator: 'Maybe' }] }), ['spec.tolerations[0].operator']);
    assert.deepEqual(fieldsOf({ topologySpreadConstraints: [{ maxSkew: 0, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' }] }), ['spec.topologySpreadConstraints[0].maxSkew']);
    assert.deepEqual(fieldsOf({ image: 'redis 7.4' }), ['spec.image']);
    assert.deepEqual(fieldsOf({ authentication: { passwordFromSecret: { name: 'x'.repeat(5 * 1024 * 1024), key: 'password' } } }), ['spec.authentication.passwordFromSecret.name']);
    assert.deepEqual(fieldsOf({ tls: { secretName: 'bad\u0000name' } }), ['spec.tls.secretName']);
    assert.deepEqual(fieldsOf({ nodeSelector: { 'bad key!': 'v', ok: 'not ok!' } }), ['spec.nodeSelector.bad key!', 'spec.nodeSelector.ok']);
    assert.deepEqual(fieldsOf({ containerSecurityContext: { runAsUser: 'root' } as never }), ['spec.containerSecurityContext.runAsUser']);
  });

  it('accepts real values', () => {
    for (const image of ['redis:7.4', 'valkey/valkey:8.1', 'docker.dragonflydb.io/dragonflydb/dragonfly:v1.34.1', 'oliver006/redis_exporter:v1.67.0',
      'localhost:5000/team/redis@sha256:' + 'a'.repeat(64), 'Registry.Example.com/redis']) {
      assert.equal(imageProblem(image), undefined, image);
    }
    assert.equal(labelKeyProblem('app.kubernetes.io/name'), undefined);
    assert.deepEqual(fieldsOf({
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] } } },
      tolerations: [{ operator: 'Exists' }, { key: 'dedicated', operator: 'Equal', value: 'kv', effect: 'NoSchedule' }],
      topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway' }],
      podSecurityContext: { runAsUser: 999, fsGroup: 999 }, imagePullSecrets: [{ name: 'regcred' }], priorityClassName: 'high',
    }), []);
  });

  it('the full sample store passes, and the validating webhook reports these errors', () => {
    const sample = parse(readFileSync(new URL('../../manifests/samples/kvstore-full.yaml', import.meta.url), 'utf8')) as { spec: KVStoreSpec };
    assert.deepEqual(checkCoreTypeRules(sample.spec), []);
    const verdict = validateKVStore({ operation: 'CREATE', object: { metadata: { name: 'c' }, spec: { image: 'redis 7.4', tolerations: [{ operator: 'Maybe' }] } } });
    assert.deepEqual(verdict.errors.map((error) => error.field), ['spec.tolerations[0].operator', 'spec.image']);
  });
});
