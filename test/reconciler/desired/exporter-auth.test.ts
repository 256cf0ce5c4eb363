// The exporter's own ACL user: the Secret, the engine command line and the containers' environment, the StatefulSet
// change it makes for existing stores, and the user's rights on a real redis-server.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { V1Container, V1EnvVar, V1StatefulSet } from '@kubernetes/client-node';
import { storeLabels } from '../../../shared/labels.js';
import { planStatefulSetChange } from '../../../reconciler/apply/index.js';
import {
  buildConfigMap, buildDesiredObjects, buildExporterSecret, ENGINE_CONTAINER_NAME, EXPORTER_CONTAINER_NAME,
  EXPORTER_USER, exporterSecretName,
} from '../../../reconciler/desired/index.js';
import { maximalStore, minimalStore } from './stores.js';
import { validateKubernetesObject } from './schema-validation.js';
import { cli, removeDir, startRedis, type RedisProcess } from './redis-process.js';
import type { Engine, KVStore } from '../../../shared/schema/kvstore.js';

function exporterStore(engine: Engine, authentication = true): KVStore {
  const store = minimalStore(engine);
  store.spec = { ...store.spec, exporter: { enabled: true }, authentication: { enabled: authentication } };
  return store;
}

function container(sts: V1StatefulSet, name: string): V1Container {
  const found = sts.spec?.template.spec?.containers.find((c) => c.name === name);
  assert.ok(found, name);
  return found;
}

function envOf(c: V1Container): Record<string, V1EnvVar> {
  return Object.fromEntries((c.env ?? []).map((e) => [e.name, e]));
}

const USER_ARGS = [
  '--user', 'redwing-exporter', 'reset', 'on', '>$(REDWING_EXPORTER_PASSWORD)', 'resetchannels',
  '-@all', '+ping', '+info', '+client|setname', '+slowlog|get', '+slowlog|len', '+latency|latest', '+latency|histogram',
];

describe('exporter ACL user: desired objects', () => {
  for (const engine of ['redis', 'valkey'] as const) {
    it(`${engine}: the engine defines the user after the passwords and before spec.args; the exporter logs in as it`, () => {
      const { statefulSet } = buildDesiredObjects(maximalStore(engine));
      const engineContainer = container(statefulSet, ENGINE_CONTAINER_NAME);
      const args = engineContainer.args ?? [];
      const at = args.indexOf('--user');
      assert.deepEqual(args.slice(at, at + USER_ARGS.length), USER_ARGS);
      assert.ok(at > args.indexOf('--masterauth'), 'after the store passwords');
      assert.deepEqual(args.slice(at + USER_ARGS.length), ['--loglevel', 'verbose'], 'spec.args still come last and win');
      assert.deepEqual(envOf(engineContainer).REDWING_EXPORTER_PASSWORD?.valueFrom?.secretKeyRef, { name: 'sessions-exporter-auth', key: 'password' });
      assert.deepEqual(envOf(engineContainer).REDIS_PASSWORD?.valueFrom?.secretKeyRef, { name: 'sessions-password', key: 'secret' }, 'the store password is unchanged');

      const exporterEnv = envOf(container(statefulSet, EXPORTER_CONTAINER_NAME));
      assert.equal(exporterEnv.REDIS_USER?.value, EXPORTER_USER);
      assert.deepEqual(exporterEnv.REDIS_PASSWORD?.valueFrom?.secretKeyRef, { name: 'sessions-exporter-auth', key: 'password' });
      assert.equal(exporterEnv.REDIS_EXPORTER_CONFIG_COMMAND?.value, '-', 'CONFIG GET would reveal requirepass; the user may not run it');
    });
  }

  it('dragonfly (no --user flag): the exporter keeps the store password, and no exporter Secret is made', () => {
    const { statefulSet } = buildDesiredObjects(maximalStore('dragonfly'));
    assert.ok(!(container(statefulSet, ENGINE_CONTAINER_NAME).args ?? []).some((a) => a.includes('redwing-exporter')));
    assert.equal(envOf(container(statefulSet, ENGINE_CONTAINER_NAME)).REDWING_EXPORTER_PASSWORD, undefined);
    const exporterEnv = envOf(container(statefulSet, EXPORTER_CONTAINER_NAME));
    assert.equal(exporterEnv.REDIS_USER, undefined);
    assert.deepEqual(exporterEnv.REDIS_PASSWORD?.valueFrom?.secretKeyRef, { name: 'sessions-password', key: 'secret' });
    assert.equal(buildExporterSecret(maximalStore('dragonfly')), undefined);
  });

  it('no user without authentication or without the exporter', () => {
    for (const store of [exporterStore('redis', false), minimalStore('redis')]) {
      const { statefulSet } = buildDesiredObjects(store);
      const engineContainer = container(statefulSet, ENGINE_CONTAINER_NAME);
      assert.ok(!(engineContainer.args ?? []).includes('--user'));
      assert.equal(envOf(engineContainer).REDWING_EXPORTER_PASSWORD, undefined);
      assert.equal(buildExporterSecret(store), undefined);
    }
    const exporterEnv = envOf(container(buildDesiredObjects(exporterStore('redis', false)).statefulSet, EXPORTER_CONTAINER_NAME));
    assert.equal(exporterEnv.REDIS_USER, undefined);
    assert.equal(exporterEnv.REDIS_PASSWORD, undefined);
  });

  it('the Secret: <store>-exporter-auth, key password, random, labelled and owned by the store', () => {
    const store = exporterStore('redis');
    const secret = buildExporterSecret(store, {}, 'fixed-password');
    assert.ok(secret);
    validateKubernetesObject(secret);
    assert.equal(secret.metadata?.name, exporterSecretName('cache'));
    assert.equal(secret.metadata?.name, 'cache-exporter-auth');
    assert.equal(secret.metadata?.namespace, 'shop');
    assert.deepEqual(secret.metadata?.labels, storeLabels('cache'));
    assert.deepEqual(secret.metadata?.ownerReferences?.map((r) => [r.kind, r.name, r.uid, r.controller]), [['KVStore', 'cache', store.metadata.uid, true]]);
    assert.equal(Buffer.from(secret.data!.password!, 'base64').toString(), 'fixed-password');
    const first = Buffer.from(buildExporterSecret(store)!.data!.password!, 'base64').toString();
    const second = Buffer.from(buildExporterSecret(store)!.data!.password!, 'base64').toString();
    assert.match(first, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(first, second);
  });

  it('an existing store\'s StatefulSet is re-applied (a new pod template, rolled out like any other), not blocked', () => {
    const desired = buildDesiredObjects(exporterStore('redis')).statefulSet;
    // The template as it was before the exporter user: no --user, the exporter on the store password.
    const live = structuredClone(desired);
    const liveEngine = container(live, ENGINE_CONTAINER_NAME);
    liveEngine.args = liveEngine.args!.slice(0, liveEngine.args!.indexOf('--user'));
    liveEngine.env = liveEngine.env!.filter((e) => e.name !== 'REDWING_EXPORTER_PASSWORD');
    const liveExporter = container(live, EXPORTER_CONTAINER_NAME);
    liveExporter.env = [liveExporter.env![0]!, { name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: 'cache-auth', key: 'password' } } }];
    const plan = planStatefulSetChange(desired, live);
    assert.equal(plan.apply, true);
    assert.match(plan.applyReason ?? '', /template/);
    assert.equal(plan.blocked, undefined);
    assert.equal(planStatefulSetChange(desired, structuredClone(desired)).apply, false, 'and only once');
  });
});

describe('exporter ACL user on redis-server', () => {
  const store = exporterStore('redis');
  const config = buildConfigMap(store).data!['redis.conf']!;
  const engineArgs = container(buildDesiredObjects(store).statefulSet, ENGINE_CONTAINER_NAME).args!;
  const processes: RedisProcess[] = [];
  after(async () => {
    for (const p of processes) {
      await p.stop('SIGKILL');
      removeDir(p.dir);
    }
  });

  it('reads INFO, cannot touch keys or read the config, and keeps its password through a store password rotation', async () => {
    // The engine's command line as the kubelet expands it, minus the config path and the pod-specific announce IP.
    const vars: Record<string, string> = { REDIS_PASSWORD: 'store-old', REDWING_EXPORTER_PASSWORD: 'exporter-pw', POD_IP: '127.0.0.1' };
    const expanded = engineArgs.slice(1).map((a) => a.replace(/\$\(([A-Z_]+)\)/g, (_, name: string) => vars[name] ?? ''));
    const engine = await startRedis(config, [...expanded, '--replicaof', 'no', 'one']);
    processes.push(engine);
    const asExporter = (...args: string[]) => cli(engine.port, args, 'exporter-pw', ['--user', EXPORTER_USER]).out;

    assert.match(asExporter('INFO', 'server'), /redis_version/);
    assert.equal(asExporter('PING'), 'PONG');
    assert.match(asExporter('SET', 'k', 'v'), /NOPERM/);
    assert.match(asExporter('GET', 'k'), /NOPERM/);
    assert.match(asExporter('CONFIG', 'GET', 'requirepass'), /NOPERM/);
    assert.match(asExporter('SUBSCRIBE', 'news'), /NOPERM/);

    // The live rotation the reconciler does (live-config.ts) leaves the exporter's login alone.
    assert.equal(cli(engine.port, ['CONFIG', 'SET', 'requirepass', 'store-new'], 'store-old').out, 'OK');
    assert.match(cli(engine.port, ['PING'], 'store-old').out, /WRONGPASS|NOAUTH|invalid/i);
    assert.match(asExporter('INFO', 'replication'), /role:/);
  });
});
