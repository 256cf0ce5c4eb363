// The kubelet's process runtime on its own (no API server): real redis-server processes.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { execFileSync } from 'node:child_process';
import type { V1Pod } from '@kubernetes/client-node';
import { pino } from 'pino';
import { PodWorker } from '../../../sandbox/kubelet/pod-worker.js';
import { installShims } from '../../../sandbox/kubelet/shims.js';
import { findOnPath } from '../../../sandbox/kubelet/images.js';
import { canUseMountNamespaces } from '../../../sandbox/kubelet/container-process.js';
import type { VolumeSource } from '../../../sandbox/kubelet/volumes.js';
import { waitFor } from '../../../harness/wait-for.js';

const dir = mkdtempSync(join(tmpdir(), 'redwing-kubelet-'));
const shims = installShims(join(dir, 'bin'));
const logger = pino({ level: 'silent' });
const workers: PodWorker[] = [];
after(async () => {
  await Promise.all(workers.map((w) => w.terminate(0)));
  rmSync(dir, { recursive: true, force: true });
});

const source: VolumeSource = {
  async configMap(_ns, name) {
    return name === 'redis-config' ? { 'redis.conf': Buffer.from('appendonly no\nsave ""\n') } : undefined;
  },
  async secret(_ns, name) {
    return name === 'redis-auth' ? { password: Buffer.from('s3cret') } : undefined;
  },
  async claimDir(_ns, claim) {
    return claim.startsWith('data-') ? join(dir, 'volumes', claim) : undefined;
  },
  serviceAccountToken: async () => 'token',
};

function redisPod(name: string, claim: string): V1Pod {
  return {
    metadata: { name, namespace: 'default', uid: `uid-${name}`, labels: { app: 'kv' } },
    spec: {
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 5,
      volumes: [
        { name: 'data', persistentVolumeClaim: { claimName: claim } },
        { name: 'config', configMap: { name: 'redis-config' } },
      ],
      containers: [{
        name: 'redis',
        image: 'redis:7.2',
        args: ['/etc/redis/redis.conf', '--requirepass', '$(PASSWORD)', '--dir', '/data'],
        env: [
          { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'redis-auth', key: 'password' } } },
          { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        ],
        volumeMounts: [{ name: 'data', mountPath: '/data' }, { name: 'config', mountPath: '/etc/redis' }],
        readinessProbe: { exec: { command: ['sh', '-c', 'redis-cli -a "$PASSWORD" --no-auth-warning ping | grep PONG'] }, periodSeconds: 1, timeoutSeconds: 2 },
      }],
    },
  };
}

function startWorker(pod: V1Pod, ip: string, mountNamespace = canUseMountNamespaces()): PodWorker {
  const worker = new PodWorker({
    pod, podIP: ip, podDir: join(dir, 'pods', pod.metadata!.name!), source, shims,
    mountNamespace, backoffBaseMs: 200, onChange: () => undefined, logger,
  });
  workers.push(worker);
  worker.start();
  return worker;
}

function cli(ip: string, ...args: string[]): string {
  return execFileSync('redis-cli', ['-h', ip, '-a', 's3cret', '--no-auth-warning', ...args], { encoding: 'utf8', timeout: 5000 }).trim();
}

const modes = canUseMountNamespaces() ? [true, false] : [false];
for (const mountNamespace of modes) {
test(`a redis pod runs on its own loopback address, becomes Ready through an exec probe, restarts after a crash, and keeps its PVC data (${mountNamespace ? 'mount namespace' : 'path rewriting'})`, async () => {
  const base = mountNamespace ? 200 : 210;
  const ip = `127.0.250.${base + 1}`;
  const worker = startWorker(redisPod(`kv-0-${base}`, `data-${base}`), ip, mountNamespace);
  await waitFor('Ready', () => worker.status().conditions?.find((c) => c.type === 'Ready')?.status === 'True');
  const status = worker.status();
  assert.equal(status.phase, 'Running');
  assert.equal(status.podIP, ip);
  assert.equal(status.containerStatuses?.[0]?.started, true);
  assert.equal(cli(ip, 'ping'), 'PONG');
  assert.equal(cli(ip, 'config', 'get', 'bind').split('\n')[1], ip);

  cli(ip, 'set', 'k', 'v1');
  cli(ip, 'save');
  const pid = worker.processes()[0]!.pid;
  process.kill(pid, 'SIGKILL');
  await waitFor('restart', () => worker.status().containerStatuses?.[0]?.restartCount === 1 && worker.status().containerStatuses?.[0]?.ready);
  const after = worker.status().containerStatuses![0]!;
  assert.equal(after.lastState?.terminated?.exitCode, 137);
  assert.notEqual(worker.processes()[0]!.pid, pid);
  assert.equal(cli(ip, 'get', 'k'), 'v1');

  await worker.terminate(5);
  assert.equal(worker.processes().length, 0);
  assert.equal(worker.status().containerStatuses?.[0]?.state?.terminated?.exitCode, 0);

  const ip2 = `127.0.250.${base + 2}`;
  const second = startWorker(redisPod(`kv-0-again-${base}`, `data-${base}`), ip2, mountNamespace);
  await waitFor('second Ready', () => second.status().conditions?.find((c) => c.type === 'Ready')?.status === 'True');
  assert.equal(cli(ip2, 'get', 'k'), 'v1');
  await second.terminate(5);
});
}

test('an image without a local program stays Waiting with ImageNotRunnable', { skip: process.env.REDWING_DRAGONFLY_BIN ? 'REDWING_DRAGONFLY_BIN is set: dragonfly runs here' : false }, async () => {
  const pod: V1Pod = {
    metadata: { name: 'df', namespace: 'default', uid: 'uid-df' },
    spec: { containers: [{ name: 'df', image: 'docker.dragonflydb.io/dragonflydb/dragonfly:v1.21' }] },
  };
  const worker = startWorker(pod, '127.0.250.220');
  const waiting = await waitFor('waiting', () => worker.status().containerStatuses?.[0]?.state?.waiting?.reason === 'ImageNotRunnable' && worker.status().containerStatuses![0]!.state!.waiting!);
  assert.match(waiting.message ?? '', /dragonfly/);
  assert.equal(worker.status().phase, 'Pending');
});

test('a failing liveness probe restarts the container (SIGTERM within the grace period), recorded in lastState', async () => {
  const claimDir = join(dir, 'volumes', 'data-live');
  const pod: V1Pod = {
    metadata: { name: 'live', namespace: 'default', uid: 'uid-live' },
    spec: {
      terminationGracePeriodSeconds: 5,
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data-live' } }],
      containers: [{
        name: 'redis', image: 'redis:7.2',
        volumeMounts: [{ name: 'data', mountPath: '/data' }],
        livenessProbe: { exec: { command: ['sh', '-c', 'test ! -f /data/sick'] }, periodSeconds: 1, failureThreshold: 2 },
      }],
    },
  };
  const worker = startWorker(pod, '127.0.250.230');
  await waitFor('running', () => worker.status().containerStatuses?.[0]?.state?.running);
  const { writeFileSync, rmSync: rm } = await import('node:fs');
  writeFileSync(join(claimDir, 'sick'), '');
  const restarted = await waitFor('restart', () => {
    const s = worker.status().containerStatuses?.[0];
    return s?.restartCount === 1 && s;
  });
  rm(join(claimDir, 'sick'));
  assert.match(restarted.lastState?.terminated?.message ?? '', /liveness/);
  // redis-server exits 0 on SIGTERM: the kubelet stopped it gracefully.
  assert.equal(restarted.lastState?.terminated?.exitCode, 0);
  await worker.terminate(5);
});

test('init containers run first and in order; emptyDir is shared; a startup probe gates started and readiness', async () => {
  const claimDir = join(dir, 'volumes', 'data-init');
  const pod: V1Pod = {
    metadata: { name: 'init', namespace: 'default', uid: 'uid-init' },
    spec: {
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data-init' } }, { name: 'work', emptyDir: {} }],
      initContainers: [
        { name: 'first', image: 'busybox', command: ['sh', '-c', 'echo "port 6380" > /work/extra.conf'], volumeMounts: [{ name: 'work', mountPath: '/work' }] },
        { name: 'second', image: 'busybox', command: ['sh', '-c', 'test -f /work/extra.conf && echo "appendonly no" >> /work/extra.conf'], volumeMounts: [{ name: 'work', mountPath: '/work' }] },
      ],
      containers: [{
        name: 'redis', image: 'redis:7.2', args: ['/work/extra.conf'],
        volumeMounts: [{ name: 'work', mountPath: '/work' }, { name: 'data', mountPath: '/data' }],
        startupProbe: { exec: { command: ['test', '-f', '/data/started'] }, periodSeconds: 1, failureThreshold: 600 },
        readinessProbe: { tcpSocket: { port: 6380 }, periodSeconds: 1 },
      }],
    },
  };
  const ip = '127.0.250.240';
  const worker = startWorker(pod, ip);
  await waitFor('initialized and running', () => worker.status().containerStatuses?.[0]?.state?.running);
  const status = worker.status();
  assert.deepEqual(status.initContainerStatuses?.map((s) => s.state?.terminated?.exitCode), [0, 0]);
  assert.equal(status.conditions?.find((c) => c.type === 'Initialized')?.status, 'True');
  // Port 6380 comes from the config the init containers wrote.
  await waitFor('PONG on 6380', () => {
    try { return execFileSync('redis-cli', ['-h', ip, '-p', '6380', 'ping'], { encoding: 'utf8', timeout: 5000 }).trim() === 'PONG'; } catch { return false; }
  });
  assert.equal(status.containerStatuses?.[0]?.started, false, 'not started while the startup probe fails');
  assert.equal(status.containerStatuses?.[0]?.ready, false);
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(claimDir, 'started'), '');
  await waitFor('started and ready', () => worker.status().containerStatuses?.[0]?.started && worker.status().containerStatuses?.[0]?.ready);
  await worker.terminate(5);
});

test('volumes: secret items with modes, downwardAPI, projected, subPath and readOnly mounts as the container sees them', { skip: !canUseMountNamespaces() && 'needs root for mount namespaces' }, async () => {
  const pod: V1Pod = {
    metadata: { name: 'vols', namespace: 'default', uid: 'uid-vols', labels: { role: 'master' } },
    spec: {
      restartPolicy: 'Never',
      volumes: [
        { name: 'auth', secret: { secretName: 'redis-auth', items: [{ key: 'password', path: 'pw/file', mode: 0o400 }] } },
        { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
        { name: 'all', projected: { sources: [{ configMap: { name: 'redis-config' } }, { serviceAccountToken: { path: 'token' } }] } },
        { name: 'conf', configMap: { name: 'redis-config' } },
      ],
      containers: [{
        name: 'check', image: 'busybox',
        command: ['sh', '-c', [
          'test "$(cat /auth/pw/file)" = s3cret',
          'test "$(stat -c %a /auth/pw/file)" = 400',
          'grep -q \'role="master"\' /info/labels',
          'test -f /all/redis.conf && test "$(cat /all/token)" = token',
          'grep -q appendonly /etc/only.conf',
          '! touch /auth/new 2>/dev/null',
        ].join(' && ')],
        volumeMounts: [
          { name: 'auth', mountPath: '/auth', readOnly: true },
          { name: 'info', mountPath: '/info' },
          { name: 'all', mountPath: '/all' },
          { name: 'conf', mountPath: '/etc/only.conf', subPath: 'redis.conf' },
        ],
      }],
    },
  };
  const worker = startWorker(pod, '127.0.250.242');
  const done = await waitFor('finished', () => worker.status().containerStatuses?.[0]?.state?.terminated);
  assert.equal(done.exitCode, 0, readFileSync(join(dir, 'pods', 'vols', 'containers', 'check', '0.log'), 'utf8'));
  assert.equal(worker.status().phase, 'Succeeded');
});

test('restart policies: Always backs off (CrashLoopBackOff), Never ends Failed with the exit code', async () => {
  const crashing: V1Pod = {
    metadata: { name: 'crashy', namespace: 'default', uid: 'uid-crashy' },
    spec: { restartPolicy: 'Always', containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'exit 3'] }] },
  };
  const always = startWorker(crashing, '127.0.250.243');
  const backoff = await waitFor('CrashLoopBackOff', () => {
    const s = always.status().containerStatuses?.[0];
    return s?.state?.waiting?.reason === 'CrashLoopBackOff' && s;
  });
  assert.ok((backoff.restartCount ?? 0) >= 1);
  assert.equal(backoff.lastState?.terminated?.exitCode, 3);
  assert.equal(always.status().phase, 'Running');
  await always.terminate(0);

  const never = startWorker({ ...crashing, metadata: { name: 'once', namespace: 'default', uid: 'uid-once' }, spec: { ...crashing.spec!, restartPolicy: 'Never' } }, '127.0.250.244');
  const failed = await waitFor('Failed', () => never.status().phase === 'Failed' && never.status());
  assert.equal(failed.containerStatuses?.[0]?.state?.terminated?.exitCode, 3);
  assert.equal(failed.containerStatuses?.[0]?.restartCount, 0);
});

test('a valkey image runs valkey-server itself (INFO server says valkey 8)', { skip: !findOnPath('valkey-server', process.env.PATH ?? '') && 'valkey-server is not installed (scripts/ensure-deps.mjs as root)' }, async () => {
  const pod: V1Pod = {
    metadata: { name: 'vk', namespace: 'default', uid: 'uid-vk' },
    spec: { containers: [{ name: 'valkey', image: 'valkey/valkey:8.0', readinessProbe: { exec: { command: ['valkey-cli', 'ping'] }, periodSeconds: 1 } }] },
  };
  const ip = '127.0.250.245';
  const worker = startWorker(pod, ip);
  await waitFor('valkey Ready', () => worker.status().containerStatuses?.[0]?.ready);
  const info = execFileSync('redis-cli', ['-h', ip, 'info', 'server'], { encoding: 'utf8', timeout: 5000 });
  assert.match(info, /^server_name:valkey\r?$/m);
  assert.match(info, /^valkey_version:8\./m);
  await worker.terminate(5);
});

test('a volume mounted over /tmp does not hide the other volumes (the sandbox dir lives under /tmp here)', { skip: !canUseMountNamespaces() && 'needs root for mount namespaces' }, async () => {
  const pod: V1Pod = {
    metadata: { name: 'shadow', namespace: 'default', uid: 'uid-shadow' },
    spec: {
      restartPolicy: 'Never',
      volumes: [{ name: 'tmp', emptyDir: {} }, { name: 'data', persistentVolumeClaim: { claimName: 'data-shadow' } }],
      containers: [{
        name: 'c', image: 'busybox', command: ['sh', '-c', 'echo kept > /data/file && touch /tmp/scratch'],
        volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }, { name: 'data', mountPath: '/data' }],
      }],
    },
  };
  const worker = startWorker(pod, '127.0.250.246');
  const done = await waitFor('finished', () => worker.status().containerStatuses?.[0]?.state?.terminated);
  assert.equal(done.exitCode, 0);
  assert.equal(readFileSync(join(dir, 'volumes', 'data-shadow', 'file'), 'utf8'), 'kept\n');
});

test('the wrappers stay on PATH when a volume covers the sandbox dir: redis binds its pod IP despite "bind 0.0.0.0"', { skip: !canUseMountNamespaces() && 'needs root for mount namespaces' }, async () => {
  const pod: V1Pod = {
    metadata: { name: 'wrapped', namespace: 'default', uid: 'uid-wrapped' },
    spec: {
      volumes: [{ name: 'tmp', emptyDir: {} }],
      initContainers: [{ name: 'conf', image: 'busybox', command: ['sh', '-c', 'echo "bind 0.0.0.0" > /tmp/redis.conf'], volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }] }],
      containers: [{
        name: 'redis', image: 'redis:7.2', args: ['/tmp/redis.conf'],
        volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
        readinessProbe: { exec: { command: ['redis-cli', 'ping'] }, periodSeconds: 1 },
      }],
    },
  };
  const ip = '127.0.250.247';
  const worker = startWorker(pod, ip);
  await waitFor('Ready', () => worker.status().containerStatuses?.[0]?.ready);
  assert.equal(execFileSync('redis-cli', ['-h', ip, 'config', 'get', 'bind'], { encoding: 'utf8', timeout: 5000 }).split('\n')[1], ip);
  await worker.terminate(5);
});

test('containers start in order, each after the postStart hook of the one before (holdApplicationUntilProxyStarts); a failing hook restarts its container', async () => {
  const pod: V1Pod = {
    metadata: { name: 'hooks', namespace: 'default', uid: 'uid-hooks' },
    spec: {
      volumes: [{ name: 'work', emptyDir: {} }],
      containers: [
        {
          // The hook takes a while and leaves a mark; the next container looks for it as it starts.
          name: 'proxy', image: 'busybox', command: ['sh', '-c', 'exec sleep 60'],
          volumeMounts: [{ name: 'work', mountPath: '/work' }],
          lifecycle: { postStart: { exec: { command: ['sh', '-c', 'sleep 1; touch /work/proxy-ready'] } } },
        },
        {
          name: 'app', image: 'busybox', command: ['sh', '-c', 'if test -f /work/proxy-ready; then echo held > /work/app; else echo early > /work/app; fi; exec sleep 60'],
          volumeMounts: [{ name: 'work', mountPath: '/work' }],
        },
        {
          name: 'broken-hook', image: 'busybox', command: ['sh', '-c', 'exec sleep 60'],
          lifecycle: { postStart: { exec: { command: ['sh', '-c', 'echo no proxy here; exit 3'] } } },
        },
      ],
    },
  };
  const events: string[] = [];
  const worker = new PodWorker({
    pod, podIP: '127.0.250.239', podDir: join(dir, 'pods', 'hooks'), source, shims, mountNamespace: canUseMountNamespaces(),
    backoffBaseMs: 200, onChange: () => undefined, logger, onEvent: (type, reason, message, container) => events.push(`${container} ${type} ${reason} ${message}`),
  });
  workers.push(worker);
  worker.start();
  const appState = () => worker.status().containerStatuses?.find((s) => s.name === 'app')?.state;
  assert.ok(!appState()?.running, 'the app waits while the hook runs');
  await waitFor('the app running', () => appState()?.running, 10_000);
  await waitFor('the broken hook restarted its container', () => (worker.status().containerStatuses?.find((s) => s.name === 'broken-hook')?.restartCount ?? 0) >= 1, 10_000);
  const appFile = join(dir, 'pods', 'hooks', 'volumes', 'work', 'app');
  await waitFor('the app wrote what it saw', () => { try { return readFileSync(appFile, 'utf8').trim(); } catch { return undefined; } }, 5_000);
  assert.equal(readFileSync(appFile, 'utf8').trim(), 'held', 'the app started after the proxy\'s hook finished');
  assert.ok(events.some((e) => e.startsWith('broken-hook Warning FailedPostStartHook') && e.includes('exit code 3') && e.includes('no proxy here')), events.join('\n'));
  await worker.terminate(1);
});
