import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyKVStoreDefaults } from '../../shared/defaulting.js';
import { cronProblem } from '../../webhook/kvstore-rules.js';
import { validateKVStore } from '../../webhook/validate-kvstore.js';
import type { Json } from './helpers.js';

function store(spec: unknown, name = 'cache'): Json {
  const object: Json = { apiVersion: 'redwing.dev/v1alpha1', kind: 'KVStore', metadata: { name, namespace: 'default' } };
  if (spec !== undefined) object.spec = spec;
  return object;
}

function create(spec: unknown, name?: string) {
  return validateKVStore({ operation: 'CREATE', object: store(spec, name) });
}

function update(oldSpec: unknown, spec: unknown, metadata: Json = {}) {
  const object = store(spec);
  object.metadata = { ...(object.metadata as Json), ...metadata };
  return validateKVStore({ operation: 'UPDATE', object, oldObject: store(oldSpec) });
}

/** Fields of the errors, for compact assertions. */
function fields(result: { errors: Array<{ field: string }> }): string[] {
  return result.errors.map((error) => error.field);
}

describe('validateKVStore: schema', () => {
  it('accepts the three-line store and its defaulted form without warnings', () => {
    const defaulted = applyKVStoreDefaults(undefined, 'cache');
    assert.deepEqual(create(undefined), { errors: [], warnings: [], effectiveSpec: defaulted });
    assert.deepEqual(create(defaulted), { errors: [], warnings: [], effectiveSpec: defaulted }, 'the defaulted spec is its own effective spec');
  });

  it('reports one error per failing field path', () => {
    const result = create({ replicas: 40, engine: 'memcached', persistence: { size: 'big' }, replica: 3 });
    assert.deepEqual(fields(result).sort(), ['spec.engine', 'spec.persistence.size', 'spec.replica', 'spec.replicas']);
    assert.match(result.errors.find((e) => e.field === 'spec.replica')!.message, /unknown field/);
  });

  it('refuses a spec that is not an object', () => {
    assert.deepEqual(fields(create('yes')), ['spec']);
  });
});

describe('validateKVStore: semantic rules', () => {
  const cases: Array<[string, unknown, string, RegExp]> = [
    ['cron that does not parse', { snapshot: { cron: '61 * * * *' } }, 'spec.snapshot.cron', /minute/],
    ['cron with six fields', { snapshot: { cron: '0 0 * * * *' } }, 'spec.snapshot.cron', /5 parts/],
    ['cron that never fires', { snapshot: { cron: '0 0 30 2 *' } }, 'spec.snapshot.cron', /never fires/],
    ['s3 dir without a bucket', { snapshot: { dir: 's3://' } }, 'spec.snapshot.dir', /s3:\/\/bucket\/prefix/],
    ['s3 bucket with capitals', { snapshot: { dir: 's3://My_Bucket/x' } }, 'spec.snapshot.dir', /s3:\/\/bucket/],
    ['relative snapshot dir', { snapshot: { dir: 'data' } }, 'spec.snapshot.dir', /absolute path/],
    ['client CA without TLS', { tls: { clientCaSecretName: 'ca' } }, 'spec.tls.clientCaSecretName', /tls.enabled/],
    ['both pdb fields', { pdb: { maxUnavailable: 1, minAvailable: 1 } }, 'spec.pdb', /not both/],
    ['pdb string that is no percentage', { pdb: { minAvailable: 'half' } }, 'spec.pdb.minAvailable', /percentage/],
    ['operator-owned config key', { config: { port: '7000' } }, 'spec.config.port', /operator/],
    ['operator-owned tls-* config key', { config: { 'TLS-port': '1' } }, 'spec.config.TLS-port', /operator/],
    ['operator-owned pod label', { podMetadata: { labels: { 'app.kubernetes.io/instance': 'x' } } }, 'spec.podMetadata.labels.app.kubernetes.io/instance', /label the operator owns/],
    ['redwing.dev pod label', { podMetadata: { labels: { 'redwing.dev/role': 'master' } } }, 'spec.podMetadata.labels.redwing.dev/role', /label/],
    ['operator-owned pod annotation', { podMetadata: { annotations: { 'redwing.dev/config-hash': 'x' } } }, 'spec.podMetadata.annotations.redwing.dev/config-hash', /annotation/],
    ['maxmemory above the memory limit', { resources: { limits: { memory: '512Mi' } }, config: { maxmemory: '1gb' } }, 'spec.config.maxmemory', /exceed the memory limit/],
    ['maxmemory that is no size', { config: { maxmemory: 'lots' } }, 'spec.config.maxmemory', /memory size/],
    ['request above limit', { resources: { requests: { memory: '1Gi' }, limits: { memory: '512Mi' } } }, 'spec.resources.requests.memory', /exceed/],
    ['snapshot cron without persistence', { persistence: { enabled: false }, snapshot: { cron: '0 * * * *' } }, 'spec.snapshot.cron', /persistence/],
    ['dragonfly with aof', { engine: 'dragonfly', persistence: { mode: 'aof' } }, 'spec.persistence.mode', /rdb/],
    ['minReplicasToWrite not below replicas', { replicas: 2, replication: { minReplicasToWrite: 2 } }, 'spec.replication.minReplicasToWrite', /below/],
  ];
  for (const [title, spec, field, message] of cases) {
    it(`refuses ${title}`, () => {
      const result = create(spec);
      assert.deepEqual(fields(result), [field], JSON.stringify(result.errors));
      assert.match(result.errors[0]!.message, message);
    });
  }

  it('accepts the legal neighbours of those cases', () => {
    for (const spec of [
      { snapshot: { cron: '0 */6 * * *', dir: 's3://backups/redis/cache' } },
      { persistence: { enabled: false }, snapshot: { cron: '0 * * * *', dir: 's3://backups' } },
      { tls: { enabled: true, clientCaSecretName: 'ca' } },
      { pdb: { minAvailable: '50%' } },
      { config: { maxmemory: '400mb', 'maxmemory-policy': 'allkeys-lru' }, resources: { limits: { memory: '512Mi' } } },
      { podMetadata: { labels: { team: 'a' }, annotations: { 'example.com/x': 'y' } } },
      { engine: 'dragonfly' },
      { replicas: 3, replication: { minReplicasToWrite: 2 } },
    ]) {
      assert.deepEqual(create(spec).errors, [], JSON.stringify(spec));
    }
  });

  it('limits the store name so derived names fit, and keeps it a DNS label', () => {
    assert.deepEqual(create({}, 'a'.repeat(52)).errors, []);
    const long = create({}, 'a'.repeat(53));
    assert.deepEqual(fields(long), ['metadata.name']);
    assert.match(long.errors[0]!.message, /at most 52/);
    assert.deepEqual(fields(create({}, '1cache')), ['metadata.name']);
    assert.deepEqual(fields(validateKVStore({ operation: 'CREATE', object: { metadata: { generateName: 'c-' }, spec: {} } })), ['metadata.name']);
  });

  it('parses cron expressions with croner in five-field mode', () => {
    assert.equal(cronProblem('*/5 * * * *'), undefined);
    assert.ok(cronProblem('bogus'));
  });
});

describe('validateKVStore: UPDATE', () => {
  it('keeps engine and storageClassName immutable', () => {
    assert.deepEqual(fields(update({ engine: 'redis' }, { engine: 'valkey' })), ['spec.engine']);
    assert.deepEqual(fields(update({}, { engine: 'valkey' })), ['spec.engine']);
    assert.deepEqual(update({}, { engine: 'redis' }).errors, []);
    assert.deepEqual(fields(update({ persistence: { storageClassName: 'fast' } }, { persistence: { storageClassName: 'slow' } })), ['spec.persistence.storageClassName']);
    assert.deepEqual(fields(update({}, { persistence: { storageClassName: 'fast' } })), ['spec.persistence.storageClassName']);
  });

  it('lets persistence.size grow but not shrink', () => {
    assert.deepEqual(update({ persistence: { size: '1Gi' } }, { persistence: { size: '2Gi' } }).errors, []);
    const shrink = update({ persistence: { size: '2Gi' } }, { persistence: { size: '1500Mi' } });
    assert.deepEqual(fields(shrink), ['spec.persistence.size']);
    assert.match(shrink.errors[0]!.message, /not shrink/);
    assert.deepEqual(fields(update({}, { persistence: { size: '512Mi' } })), ['spec.persistence.size']);
  });

  it('refuses persistence.enabled true -> false, allows false -> true', () => {
    assert.deepEqual(fields(update({ persistence: { enabled: true } }, { persistence: { enabled: false } })), ['spec.persistence.enabled']);
    assert.deepEqual(fields(update({}, { persistence: { enabled: false } })), ['spec.persistence.enabled']);
    assert.deepEqual(update({ persistence: { enabled: false } }, { persistence: { enabled: true } }).errors, []);
  });

  it('ratchets: an UPDATE that leaves the spec alone is not refused by semantic rules', () => {
    const legacy = { config: { maxmemory: 'lots' } };
    assert.deepEqual(update(legacy, legacy, { finalizers: ['redwing.dev/pvc-retention'] }).errors, []);
    assert.deepEqual(fields(update(legacy, { ...legacy, replicas: 2 })), ['spec.config.maxmemory']);
    assert.deepEqual(fields(update({ replicas: 99 }, { replicas: 99 })), ['spec.replicas']);
  });
});

describe('validateKVStore: S3 snapshots and restore', () => {
  const s3 = { endpoint: 'http://minio.storage:9000', region: 'eu-west-1', forcePathStyle: true, credentialsSecret: { name: 'backup-keys' } };
  it('accepts an s3:// dir with its settings and keep, and a restore by backup or URL', () => {
    assert.deepEqual(create({ snapshot: { dir: 's3://backups/team', s3, keep: 7, cron: '0 * * * *' } }).errors, []);
    assert.deepEqual(create({ restore: { backup: 'nightly' } }).errors, []);
    assert.deepEqual(create({ restore: { url: 's3://backups/team/default/cache/20261207T071530123Z.rdb' }, snapshot: { s3 } }).errors, []);
  });

  it('names the field of each bad S3 setting', () => {
    const bad = create({ snapshot: { dir: 's3://backups/team', s3: { endpoint: 'http://', region: 'EU West', credentialsSecret: { name: 'Keys_1' } } } });
    assert.deepEqual(fields(bad).sort(), ['spec.snapshot.s3.credentialsSecret.name', 'spec.snapshot.s3.endpoint', 'spec.snapshot.s3.region']);
    assert.deepEqual(fields(create({ snapshot: { keep: 3 } })), ['spec.snapshot.keep']);
    assert.deepEqual(fields(create({ snapshot: { s3 } })), ['spec.snapshot.s3']);
    assert.deepEqual(fields(create({ restore: { url: 's3://backups/team/' }, snapshot: { s3 } })), ['spec.restore.url']);
    const dragonfly = create({ engine: 'dragonfly', restore: { backup: 'nightly' } });
    assert.ok(fields(dragonfly).includes('spec.restore'), JSON.stringify(dragonfly.errors));
    assert.deepEqual(create({ restore: { backup: 'nightly' }, tls: { enabled: true } }).errors, []);
    assert.ok(fields(create({ engine: 'dragonfly', snapshot: { dir: 's3://backups/team' } })).includes('spec.snapshot.dir'));
  });

  it('refuses a restore added to or changed on an existing store; keeping or removing it is fine', () => {
    const added = update({}, { restore: { backup: 'nightly' } });
    assert.deepEqual(fields(added), ['spec.restore']);
    assert.match(added.errors[0]!.message, /only be set when the store is created.*replace its data/);
    assert.deepEqual(fields(update({ restore: { backup: 'nightly' } }, { restore: { backup: 'other' } })), ['spec.restore']);
    assert.deepEqual(update({ restore: { backup: 'nightly' } }, { restore: { backup: 'nightly' } }).errors, []);
    assert.deepEqual(update({ restore: { backup: 'nightly' } }, {}).errors, []);
  });
});

describe('validateKVStore: warnings', () => {
  it('warns about risky but legal specs, each at most 120 characters', () => {
    const single = create({ replicas: 1, persistence: { enabled: false } }).warnings;
    assert.equal(single.length, 1);
    assert.match(single[0]!, /replicas is 1 and persistence is off/);
    assert.match(create({ authentication: { enabled: false } }).warnings.join('\n'), /authentication.enabled is false/);
    const unbounded = create({ resources: { requests: { memory: '1Gi' } } }).warnings;
    assert.deepEqual(unbounded.length, 1);
    assert.match(unbounded[0]!, /no maxmemory and no memory limit/);
    assert.deepEqual(create({ resources: { requests: { memory: '1Gi' } }, config: { maxmemory: '1gb' } }).warnings, []);
    assert.match(create({ failover: { enabled: false } }).warnings.join('\n'), /failover/);
    for (const warning of [...single, ...unbounded]) assert.ok(warning.length <= 120);
  });

  it('warns that a non-default snapshot path is not honoured (snapshots stay in /data); s3:// dirs upload without a warning', () => {
    const bounded = { resources: { limits: { memory: '1Gi' } } };
    assert.deepEqual(create({ ...bounded, snapshot: { dir: 's3://backups/cache' } }).warnings, []);
    const path = create({ ...bounded, snapshot: { dir: '/backups' } }).warnings;
    assert.equal(path.length, 1);
    assert.match(path[0]!, /spec\.snapshot\.dir other than \/data is not honoured/);
    assert.deepEqual(create({ ...bounded, snapshot: { dir: '/data' } }).warnings, []);
    for (const warning of path) assert.ok(warning.length <= 120, warning);
  });
});
