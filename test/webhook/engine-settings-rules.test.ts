/**
 * Issue 12: spec.args could set what spec.config may not (`--requirepass ""`, `--port`, `--save ""`...). Every owned
 * setting, in spec.config and in each spelling of spec.args, for each engine family, through validateKVStore.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { findIgnoredConfigKeys } from '../../reconciler/desired/engine-settings.js';
import { ownedSetting, ownedSettingNames } from '../../shared/owned-settings.js';
import type { Engine, KVStoreSpec } from '../../shared/schema/kvstore.js';
import { validateKVStore } from '../../webhook/validate-kvstore.js';
import { validateKVPolicy } from '../../webhook/validate-kvpolicy.js';
import { createPolicyEngine } from '../../policy/engine.js';

function errorsOf(spec: KVStoreSpec): Array<{ field: string; message: string }> {
  return validateKVStore({ operation: 'CREATE', object: { metadata: { name: 'cache' }, spec } }).errors;
}

/** One concrete key per owned name (a prefix stands for a key of its family). */
function ownedKeys(engine: Engine): string[] {
  const { keys, prefixes } = ownedSettingNames(engine);
  return [...keys, ...prefixes.map((prefix) => (prefix.endsWith('_') ? `${prefix}cert_file` : `${prefix}cert-file`))];
}

const REDIS_SPELLINGS: ReadonlyArray<(key: string) => string[]> = [
  (key) => ['--hz', '10', `--${key}`, 'v'],
  (key) => ['--hz', '10', `--${key} v`],
  (key) => ['--hz', '10', `--${key.toUpperCase()}`, 'v'],
  (key) => ['--hz', '10', `--"${key}"`, 'v'],
  (key) => ['--hz', '10', `--"\\x${key.charCodeAt(0).toString(16)}${key.slice(1)}"`, 'v'],
  (key) => ['--hz', '10', `--${key}=v`],
];
const DRAGONFLY_SPELLINGS: ReadonlyArray<(key: string) => string[]> = [
  (key) => ['--hz=10', `--${key}=v`],
  (key) => ['--hz=10', `--${key}`, 'v'],
  (key) => ['--hz=10', `-${key}=v`],
  (key) => ['--hz=10', `--${key.replaceAll('_', '-')}=v`],
  (key) => ['--hz=10', `--no${key}`],
];

describe('owned settings: spec.config and spec.args, every spelling', () => {
  for (const [engine, spellings] of [['redis', REDIS_SPELLINGS], ['valkey', REDIS_SPELLINGS], ['dragonfly', DRAGONFLY_SPELLINGS]] as const) {
    it(`${engine}: each owned key is refused in spec.config and in every spelling of spec.args, naming the field`, () => {
      for (const key of ownedKeys(engine)) {
        const configErrors = errorsOf({ engine, config: { [key]: 'v' } });
        assert.deepEqual(configErrors.map((e) => e.field), [`spec.config.${key}`], `${engine} config ${key}`);
        const unsupported = ownedSetting(engine, key)?.unsupportedMode === true;
        const expected = unsupported ? /mode is not supported: .+; remove it$/ : /which the operator owns \(.+\); remove it$/;
        assert.match(configErrors[0]!.message, unsupported ? expected : /^is set by the operator and may not be set here \(.+\)$/);
        for (const spelling of spellings) {
          const args = spelling(key);
          const errors = errorsOf({ engine, args });
          assert.ok(errors.some((e) => /^spec\.args\[[12]\]$/.test(e.field) && expected.test(e.message)),
            `${engine} ${JSON.stringify(args)}: ${JSON.stringify(errors)}`);
        }
      }
    });
  }

  it('names the issue\'s cases, with what to do', () => {
    const errors = errorsOf({ args: ['--maxmemory-policy', 'allkeys-lru', '--requirepass', '', '--appendonly', 'no', '--save', ''] });
    assert.deepEqual(errors.map((e) => `${e.field}: ${e.message}`), [
      'spec.args[2]: sets "requirepass", which the operator owns (the password comes from spec.authentication.passwordFromSecret); remove it',
      'spec.args[4]: sets "appendonly", which the operator owns (use spec.persistence (enabled, mode)); remove it',
      'spec.args[6]: sets "save", which the operator owns (use spec.persistence (enabled, mode)); remove it',
    ]);
    for (const args of [['--port', '6380'], ['--tls-port', '0'], ['--dir', '/tmp'], ['--dbfilename', 'x.rdb'], ['--replicaof', '10.0.0.1', '6379'],
      ['--masterauth', 'x'], ['--tls-cert-file', '/x'], ['--slaveof', 'h', '1'], ['--include', '/etc/x.conf'], ['--user', 'default', 'on', 'nopass']]) {
      assert.equal(errorsOf({ args }).length, 1, JSON.stringify(args));
    }
  });

  it('refuses arguments the engine would misread: a leading value, a newline, standard input', () => {
    assert.match(errorsOf({ args: ['+@all'] })[0]!.message, /must start with "--"/);
    const injected = errorsOf({ args: ['--maxmemory-policy allkeys-lru\nrequirepass ""'] });
    assert.deepEqual(injected.map((e) => e.field), ['spec.args[0]', 'spec.args[0]']);
    assert.ok(injected.some((e) => /control character/.test(e.message)) && injected.some((e) => /"requirepass"/.test(e.message)));
    assert.match(errorsOf({ args: ['--hz', '10', '-'] })[0]!.message, /standard input/);
  });

  it('admits settings users own, in config and args', () => {
    assert.deepEqual(errorsOf({
      config: { 'maxmemory-policy': 'allkeys-lru', 'notify-keyspace-events': 'Ex', 'min-replicas-max-lag': '5' },
      args: ['--hz', '20', '--save-not', 'x', '--io-threads', '2', '--tcp-keepalive 60'],
    }), []);
    assert.deepEqual(errorsOf({ engine: 'dragonfly', args: ['--proactor_threads=2', '--cache_mode', '--notify_keyspace_events=Ex'] }), []);
  });

  it('ratchets on UPDATE: unchanged config and args admitted before are not judged again (new defaults, finalizers)', () => {
    const old: KVStoreSpec = { engine: 'redis', args: ['--requirepass', ''], config: { include: '/x' }, containerSecurityContext: { readOnlyRootFilesystem: false } };
    const update = (spec: KVStoreSpec) => validateKVStore({
      operation: 'UPDATE', object: { metadata: { name: 'cache' }, spec }, oldObject: { metadata: { name: 'cache' }, spec: old },
    }).errors.map((e) => e.field);
    assert.deepEqual(update({ ...old, containerSecurityContext: { readOnlyRootFilesystem: false, allowPrivilegeEscalation: false } }), []);
    assert.deepEqual(update({ ...old, args: ['--requirepass', '', '--hz', '10'] }), ['spec.config.include', 'spec.args[0]']);
  });

  it('judges a KVPolicy\'s defaults as every engine would read them', () => {
    const policy = (defaults: unknown) => validateKVPolicy({ metadata: { name: 'p' }, spec: { defaults } }, createPolicyEngine());
    assert.deepEqual(policy({ args: ['--admin_port=9999'] }).map((e) => e.field), ['spec.defaults.args[0]'], 'a Dragonfly flag, on an unknown engine');
    assert.deepEqual(policy({ args: ['--"requirepass"', ''] }).map((e) => e.field), ['spec.defaults.args[0]']);
    assert.deepEqual(policy({ engine: 'redis', args: ['--admin_port=9999'] }), [], 'not a Redis setting');
  });

  it('the reconciler drops from spec.config exactly what the webhook refuses (one list)', () => {
    for (const engine of ['redis', 'dragonfly'] as const) {
      const keys = [...ownedKeys(engine), 'maxmemory-policy', 'hz', 'proactor_threads'];
      const config = Object.fromEntries(keys.map((key) => [key, 'v']));
      const dropped = findIgnoredConfigKeys(engine, config).map((ignored) => ignored.key).sort();
      assert.deepEqual(dropped, keys.filter((key) => ownedSetting(engine, key)).sort(), engine);
      assert.deepEqual(dropped, ownedKeys(engine).sort());
    }
  });
});

describe('unsupported modes: refused saying the mode is unsupported, never "set by the operator"', () => {
  const cases: Array<[Engine, KVStoreSpec, string]> = [
    ['redis', { engine: 'redis', config: { 'cluster-enabled': 'yes' } }, 'spec.config.cluster-enabled'],
    ['valkey', { engine: 'valkey', args: ['--cluster-enabled', 'yes'] }, 'spec.args[0]'],
    ['dragonfly', { engine: 'dragonfly', args: ['--cluster_mode=emulated'] }, 'spec.args[0]'],
    ['redis', { engine: 'redis', config: { sentinel: 'monitor m 127.0.0.1 6379 2' } }, 'spec.config.sentinel'],
  ];
  for (const [engine, spec, field] of cases) {
    it(`${engine}: ${field}`, () => {
      const error = errorsOf(spec).find((each) => each.field === field);
      assert.ok(error, `${field} refused; got ${JSON.stringify(errorsOf(spec))}`);
      assert.match(error.message, /(cluster|sentinel) mode is not supported: .*; remove it$/);
      assert.doesNotMatch(error.message, /set by the operator|which the operator owns/);
    });
  }
});
