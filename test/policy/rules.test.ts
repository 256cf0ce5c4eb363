import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { KVPolicyRules } from '../../shared/schema/kvpolicy.js';
import type { KVStoreSpec } from '../../shared/schema/kvstore.js';
import {
  antiAffinityLevel, checkBuiltInRules, effectiveSpec, imageMatchesRegistry, normalizeImageReference,
} from '../../policy/rules.js';

const fixture = (name: string): { metadata: { name: string }; spec: KVStoreSpec } =>
  JSON.parse(readFileSync(new URL(`../fixtures/policy/${name}`, import.meta.url), 'utf8'));

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

  it('deniedConfigKeys: args in any spelling the engine reads', () => {
    const violations = check({ deniedConfigKeys: ['notify-*'] }, { args: ['--hz', '10', '--"notify-keyspace-events"', 'Ex', '--NOTIFY-x y'] });
    assert.deepEqual(violations.map((v) => v.field), ['spec.args[2]', 'spec.args[4]']);
    assert.match(violations[0]!.message, /^sets "notify-keyspace-events", which is denied by "notify-\*"; remove it$/);
  });

  it('no rules, no violations', () => {
    assert.deepEqual(checkBuiltInRules(undefined, {}), []);
  });
});

// Issue 12: the typed field said authentication/TLS/persistence were on while spec.args (or a spec.config admitted
// before the webhook refused it) turned them off. The rules judge the effective configuration.
describe('built-in rules judge the effective configuration (config + args)', () => {
  const fields = (rules: KVPolicyRules, spec: KVStoreSpec) => check(rules, spec).map((v) => `${v.rule} ${v.field}`);

  it('requireAuthentication: requirepass, ACL users and Dragonfly\'s unauthenticated listeners, in config or args', () => {
    assert.deepEqual(fields({ requireAuthentication: true }, { args: ['--requirepass', ''] }), ['requireAuthentication spec.args[0]']);
    assert.deepEqual(fields({ requireAuthentication: true }, { args: ['--"requirepass" ""'] }), ['requireAuthentication spec.args[0]']);
    assert.deepEqual(fields({ requireAuthentication: true }, { config: { requirepass: '' } }), ['requireAuthentication spec.config.requirepass']);
    assert.deepEqual(fields({ requireAuthentication: true }, { args: ['--user', 'default', 'on', 'nopass'] }), ['requireAuthentication spec.args[0]']);
    assert.deepEqual(fields({ requireAuthentication: true }, { engine: 'dragonfly', args: ['--memcached_port=11211', '--admin_nopass'] }),
      ['requireAuthentication spec.args[0]', 'requireAuthentication spec.args[1]']);
    const [violation] = check({ requireAuthentication: true }, { args: ['--requirepass', ''] });
    assert.equal(violation!.message, 'sets "requirepass", which can undo authentication; remove it');
    assert.deepEqual(fields({ requireAuthentication: true }, { args: ['--maxmemory-policy', 'allkeys-lru'], config: { hz: '10' } }), []);
  });

  it('requireTLS: a plaintext port or a TLS setting in args fails even with tls.enabled', () => {
    const tls = { enabled: true };
    assert.deepEqual(fields({ requireTLS: true }, { tls, args: ['--port', '6380'] }), ['requireTLS spec.args[0]']);
    assert.deepEqual(fields({ requireTLS: true }, { tls, args: ['--tls-port', '0'] }), ['requireTLS spec.args[0]']);
    assert.deepEqual(fields({ requireTLS: true }, { tls, engine: 'dragonfly', args: ['--notls'] }), ['requireTLS spec.args[0]']);
    assert.deepEqual(fields({ requireTLS: true }, { tls, args: ['--hz', '10'] }), []);
  });

  it('requirePersistence: appendonly, save, dir and dbfilename, in config or args', () => {
    assert.deepEqual(fields({ requirePersistence: true }, { args: ['--appendonly', 'no', '--save', ''] }),
      ['requirePersistence spec.args[0]', 'requirePersistence spec.args[2]']);
    assert.deepEqual(fields({ requirePersistence: true }, { args: ['--appendonly no', '--save'] }),
      ['requirePersistence spec.args[0]', 'requirePersistence spec.args[1]']);
    assert.deepEqual(fields({ requirePersistence: true }, { config: { DBFilename: '' } }), ['requirePersistence spec.config.DBFilename']);
    assert.deepEqual(fields({ requirePersistence: true }, { engine: 'dragonfly', args: ['--dbfilename='] }), ['requirePersistence spec.args[0]']);
  });

  it('an include or flag file could set anything: it breaks all three', () => {
    const rules = { requireAuthentication: true, requireTLS: true, requirePersistence: true };
    assert.deepEqual(fields(rules, { tls: { enabled: true }, args: ['--include', '/data/x.conf'] }),
      ['requireAuthentication spec.args[0]', 'requireTLS spec.args[0]', 'requirePersistence spec.args[0]']);
    assert.equal(check(rules, { tls: { enabled: true }, engine: 'dragonfly', args: ['--flagfile=/data/f'] }).length, 3);
  });
});

describe('requireRestrictedPods', () => {
  it('passes the defaulted security contexts, and those with one field changed within the profile', () => {
    assert.deepEqual(check({ requireRestrictedPods: true }, {}), []);
    assert.deepEqual(check({ requireRestrictedPods: true }, { containerSecurityContext: { readOnlyRootFilesystem: false } }), []);
    assert.deepEqual(check({ requireRestrictedPods: true }, { containerSecurityContext: { capabilities: { add: ['NET_BIND_SERVICE'] } } }), []);
  });

  it('denies each field beyond the restricted profile (the issue\'s store)', () => {
    const spec: KVStoreSpec = {
      podSecurityContext: { runAsUser: 0, seccompProfile: { type: 'Unconfined' } },
      containerSecurityContext: { privileged: true, capabilities: { add: ['SYS_ADMIN'] } },
    };
    assert.deepEqual(check({ requireRestrictedPods: true }, spec).map((v) => `${v.rule} ${v.field}`), [
      'requireRestrictedPods spec.podSecurityContext.runAsUser',
      'requireRestrictedPods spec.podSecurityContext.seccompProfile.type',
      'requireRestrictedPods spec.containerSecurityContext.privileged',
      'requireRestrictedPods spec.containerSecurityContext.allowPrivilegeEscalation',
      'requireRestrictedPods spec.containerSecurityContext.capabilities.add',
      'requireRestrictedPods spec.podSecurityContext.runAsNonRoot',
    ]);
    assert.deepEqual(check({}, spec), [], 'only when the rule is set');
  });
});
