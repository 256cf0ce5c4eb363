import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KVStore, KVStoreSpec } from '../../../shared/schema/kvstore.js';
import {
  buildStatefulSet, classifyConfigChange, classifySpecChange, findIgnoredConfigKeys, parseEngineConfig,
  renderEngineConfig, restartConfigHash,
} from '../../../reconciler/desired/index.js';
import { maximalStore, minimalStore } from './stores.js';

function withSpec(store: KVStore, spec: Partial<KVStoreSpec>): KVStore {
  return { ...store, spec: { ...store.spec, ...spec } };
}

function lines(config: string): string[] {
  return config.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
}

describe('renderEngineConfig: redis and valkey', () => {
  it('boots fenced, read-only, with rdb+aof persistence and no password in the file', () => {
    const config = renderEngineConfig(minimalStore('redis'));
    const set = lines(config);
    for (const expected of [
      'port 6379', 'bind 0.0.0.0', 'dir /data', 'dbfilename dump.rdb', 'save 3600 1', 'save 300 100', 'save 60 10000',
      'appendonly yes', 'replicaof 127.0.0.1 1', 'replica-read-only yes', 'min-replicas-to-write 0', 'maxmemory 429496729',
    ]) assert.ok(set.includes(expected), `missing "${expected}"`);
    assert.ok(!set.some((line) => /^(requirepass|masterauth)\b/.test(line)), 'no password setting');
  });

  it('follows persistence.mode, and saves nothing when persistence is off', () => {
    const rdb = lines(renderEngineConfig(withSpec(minimalStore('valkey'), { persistence: { mode: 'rdb' } })));
    assert.ok(rdb.includes('appendonly no') && rdb.includes('save 3600 1'));
    const aof = lines(renderEngineConfig(withSpec(minimalStore('valkey'), { persistence: { mode: 'aof' } })));
    assert.ok(aof.includes('appendonly yes') && aof.includes('save ""'));
    const off = lines(renderEngineConfig(withSpec(minimalStore('redis'), { persistence: { enabled: false } })));
    assert.ok(off.includes('appendonly no') && off.includes('save ""'));
  });

  it('min-replicas-to-write from the spec, max lag from spec.config when set', () => {
    const set = lines(renderEngineConfig(maximalStore('redis')));
    assert.ok(set.includes('min-replicas-to-write 1'));
    assert.deepEqual(set.filter((l) => l.startsWith('min-replicas-max-lag')), ['min-replicas-max-lag 5']);
  });

  it('TLS only on 6379 when enabled; client certificates when a client CA is given', () => {
    const set = lines(renderEngineConfig(maximalStore('redis')));
    for (const expected of [
      'port 0', 'tls-port 6379', 'tls-cert-file /etc/redis-tls/tls.crt', 'tls-key-file /etc/redis-tls/tls.key',
      'tls-ca-cert-file /etc/redis-client-ca/ca.crt', 'tls-auth-clients yes', 'tls-replication yes',
    ]) assert.ok(set.includes(expected), `missing "${expected}"`);
    const serverOnly = lines(renderEngineConfig(withSpec(minimalStore('redis'), { tls: { enabled: true } })));
    assert.ok(serverOnly.includes('tls-auth-clients no') && serverOnly.includes('tls-ca-cert-file /etc/redis-tls/ca.crt'));
  });

  it('drops settings the operator owns or that would inject lines, and reports them', () => {
    const config = {
      requirepass: 'x', REPLICAOF: 'evil 6379', include: '/etc/passwd', 'replica-read-only': 'no', 'tls-port': '1',
      'notify-keyspace-events': 'Ex\nreplicaof evil 6379', 'bad key': '1', 'maxmemory-policy': 'allkeys-lru',
    };
    const store = withSpec(minimalStore('redis'), { config });
    const rendered = renderEngineConfig(store);
    assert.doesNotMatch(lines(rendered).join('\n'), /evil|passwd|requirepass|replica-read-only no|tls-port/);
    assert.ok(lines(rendered).includes('maxmemory-policy allkeys-lru'));
    assert.deepEqual(findIgnoredConfigKeys('redis', config).map((i) => i.key).sort(),
      ['REPLICAOF', 'bad key', 'include', 'notify-keyspace-events', 'replica-read-only', 'requirepass', 'tls-port']);
  });
});

describe('memory settings', () => {
  it('renders Kubernetes suffixes as bytes, and leaves engine units alone', () => {
    const set = lines(renderEngineConfig(withSpec(minimalStore('redis'), { config: { maxmemory: '256Mi', 'repl-backlog-size': '64mb' } })));
    assert.ok(set.includes('maxmemory 268435456'));
    assert.ok(set.includes('repl-backlog-size 64mb'));
    assert.ok(lines(renderEngineConfig(withSpec(minimalStore('dragonfly'), { config: { maxmemory: '1Gi' } }))).includes('--maxmemory=1073741824'));
  });
});

describe('renderEngineConfig: dragonfly', () => {
  it('writes an abseil flag file: snapshot only, no --replicaof (it would skip loading the snapshot), TLS flags', () => {
    const set = lines(renderEngineConfig(maximalStore('dragonfly')));
    for (const expected of [
      '--port=6379', '--dir=/data', '--dbfilename=dump', '--break_replication_on_master_restart=true',
      '--tls=true', '--tls_cert_file=/etc/redis-tls/tls.crt', '--tls_replication=true', '--tls_ca_cert_file=/etc/redis-client-ca/ca.crt',
      '--maxmemory=1500mb', '--proactor_threads=2',
    ]) assert.ok(set.includes(expected), `missing "${expected}"`);
    assert.ok(set.every((line) => line.startsWith('--')), 'only flags and comments');
    assert.equal(set.filter((line) => line.startsWith('--proactor_threads')).length, 1, 'the user value, once');
    assert.doesNotMatch(renderEngineConfig(maximalStore('dragonfly')), /appendonly|requirepass/);
    assert.ok(!set.some((line) => line.startsWith('--replicaof')), 'dragonfly is fenced by readiness instead');
  });
});

describe('dragonfly proactor threads', () => {
  it('caps the threads by CPU and by 256 MiB of maxmemory each, unless spec.config sets them', () => {
    const flags = (spec: Partial<KVStoreSpec>) => lines(renderEngineConfig(withSpec(minimalStore('dragonfly'), spec)));
    assert.ok(flags({}).includes('--proactor_threads=1'), 'default 512Mi limit: maxmemory 409.6Mi feeds one thread');
    assert.ok(flags({ resources: { limits: { cpu: '8', memory: '4Gi' } } }).includes('--proactor_threads=8'));
    assert.ok(flags({ resources: { limits: { cpu: '8', memory: '1Gi' } } }).includes('--proactor_threads=3'));
    assert.ok(flags({ resources: { requests: { cpu: '1500m', memory: '8Gi' } } }).includes('--proactor_threads=2'));
  });
});

describe('parseEngineConfig and restartConfigHash', () => {
  it('parses a rendered config back, joining save points', () => {
    const parsed = parseEngineConfig('redis', renderEngineConfig(minimalStore('redis')));
    assert.equal(parsed.get('save'), '3600 1 300 100 60 10000');
    assert.equal(parsed.get('replicaof'), '127.0.0.1 1');
    const off = parseEngineConfig('redis', renderEngineConfig(withSpec(minimalStore('redis'), { persistence: { mode: 'aof' } })));
    assert.equal(off.get('save'), '');
    assert.equal(parseEngineConfig('dragonfly', renderEngineConfig(minimalStore('dragonfly'))).get('dbfilename'), 'dump');
  });

  it('changes with restart-only settings, not with live ones', () => {
    const base = renderEngineConfig(minimalStore('redis'));
    const live = renderEngineConfig(withSpec(minimalStore('redis'), { config: { maxmemory: '100mb', 'maxmemory-policy': 'allkeys-lru' } }));
    const restart = renderEngineConfig(withSpec(minimalStore('redis'), { config: { databases: '32' } }));
    assert.equal(restartConfigHash('redis', base), restartConfigHash('redis', live));
    assert.notEqual(restartConfigHash('redis', base), restartConfigHash('redis', restart));
    const template = (store: KVStore) => JSON.stringify(buildStatefulSet(store).spec?.template);
    assert.equal(template(minimalStore('redis')), template(withSpec(minimalStore('redis'), { config: { maxmemory: '100mb' } })),
      'a live-only change leaves the StatefulSet revision alone');
  });
});

describe('classifyConfigChange / classifySpecChange', () => {
  it('splits live settings from restart-only ones, and lists dropped settings', () => {
    const before = renderEngineConfig(withSpec(minimalStore('redis'), { config: { 'maxmemory-policy': 'allkeys-lru', databases: '16' } }));
    const after = renderEngineConfig(withSpec(minimalStore('redis'), {
      config: { maxmemory: '200mb', databases: '32' }, persistence: { mode: 'rdb' }, replication: { minReplicasToWrite: 1 },
    }));
    const change = classifyConfigChange('redis', before, after);
    assert.deepEqual(change.live.map((s) => `${s.key}=${s.value}`).sort(), ['appendonly=no', 'maxmemory=200mb', 'min-replicas-to-write=1']);
    assert.deepEqual(change.restart, ['setting databases changed and only takes effect after a restart']);
    assert.deepEqual(change.revertOnRestart, ['maxmemory-policy']);
  });

  it('dragonfly: only its mutable flags are live', () => {
    const change = classifyConfigChange('dragonfly',
      renderEngineConfig(minimalStore('dragonfly')),
      renderEngineConfig(withSpec(minimalStore('dragonfly'), { config: { maxmemory: '1gb', proactor_threads: '4' } })));
    assert.deepEqual(change.live, [{ key: 'maxmemory', value: '1gb' }]);
    assert.equal(change.restart.length, 1);
    assert.match(change.restart[0]!, /proactor_threads/);
  });

  it('image, resources and args need a restart; a maxmemory change does not', () => {
    const base = minimalStore('redis');
    assert.deepEqual(classifySpecChange(base, withSpec(base, { image: 'redis:7.4.2' })).restart, ['image changed']);
    assert.deepEqual(classifySpecChange(base, withSpec(base, { args: ['--hz', '50'] })).restart, ['args changed']);
    const resources = classifySpecChange(base, withSpec(base, { resources: { requests: { cpu: '1' }, limits: { memory: '512Mi' } } }));
    assert.ok(resources.restart.includes('resources changed'));
    const live = classifySpecChange(base, withSpec(base, { config: { maxmemory: '100mb' } }));
    assert.deepEqual(live.restart, []);
    assert.deepEqual(live.live, [{ key: 'maxmemory', value: '100mb' }]);
    const labels = classifySpecChange(base, withSpec(base, { podMetadata: { labels: { team: 'x' } } }));
    assert.deepEqual(labels.restart, ['pod template changed']);
  });
});
