// Per-engine admission: settings an engine does not have are refused (or, for Redis, warned about), naming the field.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { KVStoreSpec } from '../../shared/schema/kvstore.js';
import { validateKVStore } from '../../webhook/validate-kvstore.js';

function validate(spec: KVStoreSpec) {
  return validateKVStore({ operation: 'CREATE', object: { metadata: { name: 'cache' }, spec } });
}

const fieldsOf = (spec: KVStoreSpec) => validate(spec).errors.map((error) => error.field);

describe('per-engine admission', () => {
  it('dragonfly: persistence.mode aof or rdb+aof is refused on the field', () => {
    for (const mode of ['aof', 'rdb+aof'] as const) {
      const errors = validate({ engine: 'dragonfly', persistence: { mode } }).errors;
      assert.deepEqual(errors.map((error) => error.field), ['spec.persistence.mode']);
      assert.match(errors[0]!.message, /rdb snapshots only/);
    }
    assert.deepEqual(fieldsOf({ engine: 'dragonfly', persistence: { mode: 'rdb' } }), []);
  });

  it('dragonfly: Redis settings it lacks are refused in spec.config and spec.args, in either spelling, saying what to use', () => {
    const config = validate({ engine: 'dragonfly', config: { 'maxmemory-policy': 'allkeys-lru', repl_ping_replica_period: '1' } }).errors;
    assert.deepEqual(config.map((error) => error.field).sort(), ['spec.config.maxmemory-policy', 'spec.config.repl_ping_replica_period']);
    assert.match(config.find((error) => error.field === 'spec.config.maxmemory-policy')!.message, /dragonfly has no "maxmemory-policy": .*cache_mode/);
    const args = validate({ engine: 'dragonfly', args: ['--cache_mode=true', '--maxmemory_policy=allkeys-lru'] }).errors;
    assert.deepEqual(args.map((error) => error.field), ['spec.args[1]']);
  });

  it('dragonfly: the same keys are fine on redis and valkey; Dragonfly\'s own flags are fine on dragonfly', () => {
    assert.deepEqual(fieldsOf({ engine: 'redis', config: { 'maxmemory-policy': 'allkeys-lru' } }), []);
    assert.deepEqual(fieldsOf({ engine: 'valkey', config: { 'maxmemory-policy': 'allkeys-lru' } }), []);
    assert.deepEqual(fieldsOf({ engine: 'dragonfly', config: { cache_mode: 'true', tcp_keepalive: '60' } }), []);
  });

  it('dragonfly: replication.minReplicasToWrite above 0 is refused (no min-replicas-to-write, no WAIT)', () => {
    const errors = validate({ engine: 'dragonfly', replicas: 3, replication: { minReplicasToWrite: 1 } }).errors;
    assert.deepEqual(errors.map((error) => error.field), ['spec.replication.minReplicasToWrite']);
    assert.match(errors[0]!.message, /WAIT/);
    assert.deepEqual(fieldsOf({ engine: 'redis', replicas: 3, replication: { minReplicasToWrite: 1 } }), []);
  });

  it('valkey: a Redis 7.0 setting Valkey 8 removed is refused; on redis it is fine', () => {
    assert.deepEqual(fieldsOf({ engine: 'valkey', config: { 'aof-disable-auto-gc': 'yes' } }), ['spec.config.aof-disable-auto-gc']);
    assert.deepEqual(fieldsOf({ engine: 'redis', config: { 'aof-disable-auto-gc': 'yes' } }), []);
  });

  it('redis: a Valkey-only setting is admitted with a warning naming the field (newer Redis versions have some)', () => {
    const result = validate({ engine: 'redis', config: { 'dual-channel-replication-enabled': 'yes' } });
    assert.deepEqual(result.errors, []);
    const warning = result.warnings.find((text) => text.startsWith('spec.config.dual-channel-replication-enabled:'));
    assert.ok(warning, result.warnings.join('\n'));
    assert.ok(warning.length <= 120);
    assert.deepEqual(validate({ engine: 'valkey', config: { 'dual-channel-replication-enabled': 'yes' } }).warnings.filter((text) => text.includes('Valkey setting')), []);
  });
});
