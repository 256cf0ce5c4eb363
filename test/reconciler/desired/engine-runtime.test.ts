// The rendered config and probe script against real redis-server processes: boot fencing, the readiness rules,
// password handling during a rotation, and the preStop save.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ASSIGNED_MARK_USER, buildConfigMap } from '../../../reconciler/desired/index.js';
import { minimalStore } from './stores.js';
import { cli, removeDir, runProbe, startProbe, startRedis, type RedisProcess } from './redis-process.js';
import { waitFor } from '../../../harness/wait-for.js';

const PASSWORD = 'old-password';
const configMap = buildConfigMap(minimalStore('redis'));
const config = configMap.data!['redis.conf']!;
const script = configMap.data!['probe.sh']!;

describe('rendered redis.conf and probe.sh on redis-server', () => {
  const processes: RedisProcess[] = [];
  const dirs: string[] = [];
  const secretDir = mkdtempSync(join(tmpdir(), 'redwing-secret-'));
  const passwordFile = join(secretDir, 'password');
  // A single verdict per run: the quiet wait of a starting pod is tested on its own below.
  const env = { POD_NAMESPACE: 'test', POD_NAME: `probe-${randomUUID()}`, REDIS_PASSWORD: PASSWORD, REDWING_PROBE_STARTUP_WAIT_SECONDS: '0' };
  let first: RedisProcess;
  let second: RedisProcess;

  const start = async (dir?: string): Promise<RedisProcess> => {
    const started = await startRedis(config, ['--requirepass', PASSWORD, '--masterauth', PASSWORD], dir);
    processes.push(started);
    if (!dir) dirs.push(started.dir);
    return started;
  };
  const probe = (mode: string, target: RedisProcess, podEnv = env) => runProbe(script, mode, target.port, podEnv, passwordFile);

  before(async () => {
    writeFileSync(passwordFile, PASSWORD);
    first = await start();
    second = await start();
  });

  after(async () => {
    for (const p of processes) await p.stop('SIGKILL');
    for (const dir of [...dirs, secretDir]) removeDir(dir);
    removeDir(`/tmp/redwing-ready-${env.POD_NAMESPACE}-${env.POD_NAME}`);
  });

  it('a booted pod is fenced: a replica of the placeholder, read-only, alive but not ready', () => {
    const info = cli(first.port, ['INFO', 'replication'], PASSWORD).out;
    assert.match(info, /role:slave/);
    assert.match(info, /master_host:127\.0\.0\.1/);
    assert.match(info, /master_port:1\r?\n/);
    assert.match(cli(first.port, ['SET', 'k', 'v'], PASSWORD).out, /READONLY/);
    const readiness = probe('readiness', first);
    assert.equal(readiness.code, 1);
    assert.match(readiness.out, /fenced/);
    assert.equal(probe('liveness', first).code, 0);
  });

  it('a promoted master is ready and takes writes; a replica becomes ready once in sync', async () => {
    assert.equal(cli(first.port, ['REPLICAOF', 'NO', 'ONE'], PASSWORD).out, 'OK');
    assert.equal(probe('readiness', first).code, 0);
    assert.equal(cli(first.port, ['SET', 'k', 'v1'], PASSWORD).out, 'OK');
    assert.equal(cli(second.port, ['REPLICAOF', '127.0.0.1', String(first.port)], PASSWORD).out, 'OK');
    await waitFor('the replica to be ready', () => probe('readiness', second).code === 0);
    assert.equal(cli(second.port, ['GET', 'k'], PASSWORD).out, 'v1');
  });

  it('a replica that was in sync stays ready right after its master is lost', async () => {
    await first.stop('SIGKILL');
    await waitFor('the link to drop', () => /master_link_status:down/.test(cli(second.port, ['INFO', 'replication'], PASSWORD).out));
    const readiness = probe('readiness', second);
    assert.equal(readiness.code, 0, readiness.out);
    // a replica that never was ready gets no grace
    const fresh = probe('readiness', second, { ...env, POD_NAME: `never-ready-${randomUUID()}` });
    assert.equal(fresh.code, 1);
    assert.match(fresh.out, /master link down/);
  });

  it('a restarted master comes back fenced with its data', async () => {
    const restarted = await start(first.dir);
    await waitFor('the data to be loaded', () => cli(restarted.port, ['GET', 'k'], PASSWORD).out === 'v1');
    assert.match(cli(restarted.port, ['INFO', 'replication'], PASSWORD).out, /master_port:1\r?\n/);
    assert.match(cli(restarted.port, ['SET', 'k', 'v2'], PASSWORD).out, /READONLY/);
    assert.match(probe('readiness', restarted).out, /fenced/);
  });

  it('password rotation: probes follow the mounted file, and keep their last result while neither password works', () => {
    assert.equal(cli(second.port, ['REPLICAOF', 'NO', 'ONE'], PASSWORD).out, 'OK');
    assert.equal(probe('readiness', second).code, 0);
    writeFileSync(passwordFile, 'new-password'); // the kubelet refreshed the Secret volume; the engine is still old
    assert.equal(probe('readiness', second).code, 0, 'falls back to the environment');
    assert.equal(cli(second.port, ['CONFIG', 'SET', 'requirepass', 'new-password'], PASSWORD).out, 'OK');
    assert.equal(probe('readiness', second).code, 0, 'uses the mounted file');
    writeFileSync(passwordFile, 'stale-password'); // neither matches
    const readiness = probe('readiness', second);
    assert.equal(readiness.code, 0);
    assert.match(readiness.out, /rotation/);
    assert.equal(probe('liveness', second).code, 0, 'an auth error still proves the process is alive');
    const unknownPod = probe('readiness', second, { ...env, POD_NAME: `other-${randomUUID()}` });
    assert.equal(unknownPod.code, 1, 'no last result to keep');
    writeFileSync(passwordFile, 'new-password');
  });

  it('pre-stop saves a snapshot and stops the engine', async () => {
    assert.equal(cli(second.port, ['SET', 'last-write', 'kept'], 'new-password').out, 'OK');
    const snapshot = join(second.dir, 'dump.rdb');
    removeDir(snapshot);
    assert.equal(probe('pre-stop', second).code, 0);
    await waitFor('the engine to stop', () => second.child.exitCode !== null);
    assert.ok(existsSync(snapshot));
    const restarted = await start(second.dir);
    // started again with the Secret's password as the pod would be (the rotation above was live only)
    await waitFor('the saved write to load', () => cli(restarted.port, ['GET', 'last-write'], PASSWORD).out === 'kept');
  });
});

describe('probe.sh without authentication', () => {
  it('checks the engine with no password at all', async () => {
    const store = minimalStore('redis');
    store.spec = { authentication: { enabled: false } };
    const map = buildConfigMap(store);
    const engine = await startRedis(map.data!['redis.conf']!, []);
    try {
      const env = { POD_NAMESPACE: 'test', POD_NAME: `noauth-${randomUUID()}`, REDWING_PROBE_STARTUP_WAIT_SECONDS: '0' };
      assert.match(runProbe(map.data!['probe.sh']!, 'readiness', engine.port, env, '/nonexistent').out, /fenced/);
      cli(engine.port, ['REPLICAOF', 'NO', 'ONE']);
      assert.equal(runProbe(map.data!['probe.sh']!, 'readiness', engine.port, env, '/nonexistent').code, 0);
      assert.equal(runProbe(map.data!['probe.sh']!, 'liveness', engine.port, env, '/nonexistent').code, 0);
      removeDir(`/tmp/redwing-ready-test-${env.POD_NAME}`);
    } finally {
      await engine.stop('SIGKILL');
      removeDir(engine.dir);
    }
  });
});

describe('dragonfly readiness gate (its probe script, run against redis-server: same INFO and ACL commands)', () => {
  it('keeps a master out of the Services until the reconciler marked it, and again after a restart', async () => {
    const dragonflyScript = buildConfigMap(minimalStore('dragonfly')).data!['probe.sh']!;
    const env = { POD_NAMESPACE: 'test', POD_NAME: `dragonfly-${randomUUID()}`, REDIS_PASSWORD: PASSWORD, REDWING_PROBE_STARTUP_WAIT_SECONDS: '0' };
    const secretDir = mkdtempSync(join(tmpdir(), 'redwing-df-'));
    const passwordFile = join(secretDir, 'password');
    writeFileSync(passwordFile, PASSWORD);
    const args = ['--requirepass', PASSWORD];
    let engine = await startRedis(config, args);
    const dataDir = engine.dir;
    try {
      cli(engine.port, ['REPLICAOF', 'NO', 'ONE'], PASSWORD); // dragonfly boots as a master
      const unmarked = runProbe(dragonflyScript, 'readiness', engine.port, env, passwordFile);
      assert.equal(unmarked.code, 1);
      assert.match(unmarked.out, /not assigned a role/);
      assert.equal(cli(engine.port, ['ACL', 'SETUSER', ASSIGNED_MARK_USER, 'off'], PASSWORD).out, 'OK');
      assert.equal(runProbe(dragonflyScript, 'readiness', engine.port, env, passwordFile).code, 0);
      assert.doesNotMatch(cli(engine.port, ['PING'], undefined, ['--user', ASSIGNED_MARK_USER, '--pass', 'x']).out, /PONG/, 'the mark cannot log in');
      await engine.stop('SIGKILL');
      engine = await startRedis(config, args, dataDir);
      cli(engine.port, ['REPLICAOF', 'NO', 'ONE'], PASSWORD);
      assert.match(runProbe(dragonflyScript, 'readiness', engine.port, env, passwordFile).out, /not assigned a role/);
    } finally {
      await engine.stop('SIGKILL');
      removeDir(dataDir);
      removeDir(secretDir);
      removeDir(`/tmp/redwing-ready-${env.POD_NAMESPACE}-${env.POD_NAME}`);
    }
  });
});

describe('readiness of a starting pod: waits quietly instead of failing (issue 18: no Warning in a healthy start)', () => {
  it('a fenced pod given its role during the run reports ready, never "fenced"; a pod that was ready fails at once', async () => {
    const engine = await startRedis(config, ['--requirepass', PASSWORD, '--masterauth', PASSWORD]);
    const secretDir = mkdtempSync(join(tmpdir(), 'redwing-secret-'));
    const passwordFile = join(secretDir, 'password');
    writeFileSync(passwordFile, PASSWORD);
    const env = { POD_NAMESPACE: 'test', POD_NAME: `starting-${randomUUID()}`, REDIS_PASSWORD: PASSWORD };
    try {
      const running = startProbe(script, 'readiness', engine.port, env, passwordFile);
      // the reconciler's first assignment, while the probe runs
      await new Promise((resolve) => setTimeout(resolve, 1000));
      assert.equal(cli(engine.port, ['REPLICAOF', 'NO', 'ONE'], PASSWORD).out, 'OK');
      const verdict = await running;
      assert.equal(verdict.code, 0, verdict.out);
      assert.doesNotMatch(verdict.out, /fenced/);
      // now ready once: fenced again (a failover demoted it), it leaves its Services on this very run
      assert.equal(cli(engine.port, ['REPLICAOF', '127.0.0.1', '1'], PASSWORD).out, 'OK');
      const startedAt = Date.now();
      const demoted = await startProbe(script, 'readiness', engine.port, env, passwordFile);
      assert.equal(demoted.code, 1);
      assert.match(demoted.out, /fenced/);
      assert.ok(Date.now() - startedAt < 5000, 'no quiet wait for a pod that was ready');
    } finally {
      await engine.stop('SIGKILL');
      removeDir(engine.dir);
      removeDir(secretDir);
      removeDir(`/tmp/redwing-ready-${env.POD_NAMESPACE}-${env.POD_NAME}`);
    }
  });

  it('a fenced pod nobody assigns still fails, once its wait is over', async () => {
    const engine = await startRedis(config, ['--requirepass', PASSWORD, '--masterauth', PASSWORD]);
    const env = { POD_NAMESPACE: 'test', POD_NAME: `stuck-${randomUUID()}`, REDIS_PASSWORD: PASSWORD, REDWING_PROBE_STARTUP_WAIT_SECONDS: '1' };
    try {
      const verdict = await startProbe(script, 'readiness', engine.port, env, '/nonexistent');
      assert.equal(verdict.code, 1);
      assert.match(verdict.out, /fenced/);
    } finally {
      await engine.stop('SIGKILL');
      removeDir(engine.dir);
    }
  });
});
