import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { KVPolicyRules } from '../../../shared/schema/kvpolicy.js';
import type { KVStoreSpec } from '../../../shared/schema/kvstore.js';
import {
  antiAffinityLevel, checkBuiltInRules, effectiveSpec, imageMatchesRegistry, normalizeImageReference,
} from '../../../webhook/policy/rules.js';

const fixture = (name: string): { metadata: { name: string }; spec: KVStoreSpec } =>
  JSON.parse(readFileSync(new URL(`../../fixtures/policy/${name}`, import.meta.url), 'utf8'));

const minimal = fixture('store-minimal.json');
const compliant = fixture('store-compliant.json');

function check(rules: KVPolicyRules, spec: KVStoreSpec, name = 'cache') {
  return checkBuiltInRules(rules, effectiveSpec(spec, name));
}

const STRICT_RULES: KVPolicyRules = {
  requireAuthentication: true, requireTLS: true, requirePersistence: true, allowedEngines: ['redis', 'valkey'],
  allowedImageRegistries: ['registry.internal/'], allowedStorageClasses: ['fast-ssd'], minReplicas: 3, maxReplicas: 5,
  maxMemory: '4Gi', requireResourceLimits: true, requiredAntiAffinity: 'required', deniedConfigKeys: ['maxmemory-policy-x', 'notify-*'],
};

describe('built-in rules', () => {
  it('a store that follows every rule has no violations', () => {
    assert.deepEqual(check(STRICT_RULES, compliant.spec, 'sessions'), []);
  });

  it('judges unset fields by their defaults (tls off, default image, cluster default class, preferred spread)', () => {
    const rules = check(STRICT_RULES, minimal.spec).map((v) => v.rule);
    assert.deepEqual(rules, ['requireTLS', 'allowedImageRegistries', 'allowedStorageClasses', 'requiredAntiAffinity']);
  });

  it('requireAuthentication: only an explicit enabled=false violates', () => {
    assert.deepEqual(check({ requireAuthentication: true }, {}), []);
    const [violation] = check({ requireAuthentication: true }, { authentication: { enabled: false } });
    assert.equal(violation?.field, 'spec.authentication.enabled');
    assert.match(violation!.message, /must be true/);
  });

  it('requireTLS', () => {
    assert.equal(check({ requireTLS: true }, { tls: { enabled: false } }).length, 1);
    assert.deepEqual(check({ requireTLS: true }, { tls: { enabled: true } }), []);
    assert.deepEqual(check({ requireTLS: false }, {}), []);
  });

  it('requirePersistence', () => {
    const [violation] = check({ requirePersistence: true }, { persistence: { enabled: false } });
    assert.equal(violation?.field, 'spec.persistence.enabled');
    assert.deepEqual(check({ requirePersistence: true }, {}), []);
  });

  it('allowedEngines (default engine redis)', () => {
    const [violation] = check({ allowedEngines: ['valkey'] }, {});
    assert.equal(violation?.field, 'spec.engine');
    assert.match(violation!.message, /"redis"; allowed: "valkey"/);
    assert.deepEqual(check({ allowedEngines: ['valkey'] }, { engine: 'valkey' }), []);
  });

  it('allowedImageRegistries: prefixes, docker hub long form, exporter image', () => {
    assert.deepEqual(check({ allowedImageRegistries: ['docker.io/library/'] }, {}), [], 'redis:7.4 is docker.io/library/redis:7.4');
    const evil = check({ allowedImageRegistries: ['registry.internal'] }, { image: 'registry.internal.evil.com/redis:7' });
    assert.equal(evil.length, 1);
    assert.match(evil[0]!.message, /not from an allowed registry/);
    assert.deepEqual(check({ allowedImageRegistries: ['registry.internal'] }, { image: 'registry.internal/redis:7' }), []);
    const exporter = check({ allowedImageRegistries: ['registry.internal/'] }, { image: 'registry.internal/redis:7', exporter: { enabled: true } });
    assert.deepEqual(exporter.map((v) => v.field), ['spec.exporter.image']);
  });

  it('image reference helpers', () => {
    assert.equal(normalizeImageReference('redis:7.4'), 'docker.io/library/redis:7.4');
    assert.equal(normalizeImageReference('bitnami/redis'), 'docker.io/bitnami/redis');
    assert.equal(normalizeImageReference('localhost:5000/redis'), 'localhost:5000/redis');
    assert.equal(imageMatchesRegistry('quay.io/x/redis@sha256:abc', 'quay.io/x/redis'), true);
    assert.equal(imageMatchesRegistry('quay.io/x/redis-evil', 'quay.io/x/redis'), false);
  });

  it('allowedStorageClasses: unset class needs "" in the list; disabled persistence is not checked', () => {
    assert.equal(check({ allowedStorageClasses: ['fast'] }, {}).length, 1);
    assert.deepEqual(check({ allowedStorageClasses: ['fast', ''] }, {}), []);
    const [violation] = check({ allowedStorageClasses: ['fast'] }, { persistence: { storageClassName: 'slow' } });
    assert.match(violation!.message, /"slow"; allowed: "fast"/);
    assert.deepEqual(check({ allowedStorageClasses: ['fast'] }, { persistence: { enabled: false } }), []);
  });

  it('minReplicas and maxReplicas (default 3)', () => {
    assert.deepEqual(check({ minReplicas: 3, maxReplicas: 3 }, {}), []);
    assert.deepEqual(check({ minReplicas: 4 }, {}).map((v) => v.rule), ['minReplicas']);
    const [violation] = check({ maxReplicas: 5 }, { replicas: 9 });
    assert.equal(violation?.rule, 'maxReplicas');
    assert.match(violation!.message, /is 9; must be at most 5/);
  });

  it('maxMemory: memory limit and config maxmemory, missing limit counts as unbounded', () => {
    assert.deepEqual(check({ maxMemory: '1Gi' }, {}), [], 'the default limit is 512Mi');
    const over = check({ maxMemory: '1Gi' }, { resources: { limits: { memory: '2Gi' } } });
    assert.deepEqual(over.map((v) => v.field), ['spec.resources.limits.memory']);
    const noLimit = check({ maxMemory: '1Gi' }, { resources: { requests: { memory: '100Mi' } } });
    assert.match(noLimit[0]!.message, /must be set/);
    const config = check({ maxMemory: '1Gi' }, { resources: { limits: { memory: '1Gi' } }, config: { maxmemory: '2gb' } });
    assert.deepEqual(config.map((v) => v.field), ['spec.config.maxmemory']);
    const unlimited = check({ maxMemory: '1Gi' }, { resources: { limits: { memory: '1Gi' } }, config: { maxmemory: '0' } });
    assert.match(unlimited[0]!.message, /unlimited/);
  });

  it('requireResourceLimits', () => {
    assert.deepEqual(check({ requireResourceLimits: true }, {}), []);
    const [violation] = check({ requireResourceLimits: true }, { resources: { requests: { cpu: '1' } } });
    assert.equal(violation?.field, 'spec.resources.limits.memory');
  });

  it('requiredAntiAffinity: none < preferred < required, and a custom podAntiAffinity is judged by its terms', () => {
    assert.deepEqual(check({ requiredAntiAffinity: 'preferred' }, {}), []);
    assert.equal(check({ requiredAntiAffinity: 'preferred' }, { antiAffinity: 'none' }).length, 1);
    assert.equal(check({ requiredAntiAffinity: 'required' }, { antiAffinity: 'preferred' }).length, 1);
    assert.deepEqual(check({ requiredAntiAffinity: 'preferred' }, { antiAffinity: 'required' }), []);
    const custom: KVStoreSpec = {
      antiAffinity: 'required',
      affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, podAffinityTerm: { topologyKey: 'zone' } }] } },
    };
    assert.equal(antiAffinityLevel(effectiveSpec(custom, 'cache')), 'preferred');
    const [violation] = check({ requiredAntiAffinity: 'required' }, custom);
    assert.equal(violation?.field, 'spec.affinity.podAntiAffinity');
  });

  it('deniedConfigKeys: case-insensitive, * prefixes, and the same keys through args', () => {
    const violations = check({ deniedConfigKeys: ['maxmemory-policy', 'notify-*'] }, {
      config: { 'MaxMemory-Policy': 'noeviction', 'notify-keyspace-events': 'Ex', 'hz': '10' },
      args: ['--notify-keyspace-events', 'Ex', '--hz=20'],
    });
    assert.deepEqual(violations.map((v) => v.field), ['spec.config.MaxMemory-Policy', 'spec.config.notify-keyspace-events', 'spec.args[0]']);
  });

  it('no rules, no violations', () => {
    assert.deepEqual(checkBuiltInRules(undefined, {}), []);
  });
});
