// Pure pieces of the kubelet: image mapping, environment, path rewriting, probes.
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { rewriteMountPaths } from '../../../sandbox/kubelet/container-process.js';
import { ConfigError, expandVars, resolveEnv, type DataSource } from '../../../sandbox/kubelet/env.js';
import { imageFamily, resolveEntrypoint } from '../../../sandbox/kubelet/images.js';
import { ProbeState, runProbe } from '../../../sandbox/kubelet/probes.js';

const PATH = process.env.PATH ?? '/usr/bin:/bin';

test('images map to families and entrypoints like the images themselves', () => {
  assert.equal(imageFamily('redis:7.2'), 'redis');
  assert.equal(imageFamily('docker.io/library/redis:7.2-alpine'), 'redis');
  assert.equal(imageFamily('valkey/valkey:8.0'), 'valkey');
  assert.equal(imageFamily('docker.dragonflydb.io/dragonflydb/dragonfly:v1.21.2'), 'dragonfly');
  assert.equal(imageFamily('busybox:1.36'), 'other');

  const plain = resolveEntrypoint('redis:7.2', undefined, undefined, PATH);
  assert.deepEqual(plain.runnable && plain.argv, ['redis-server']);
  const conf = resolveEntrypoint('redis:7.2', undefined, ['/etc/redis/redis.conf', '--port', '6379'], PATH);
  assert.deepEqual(conf.runnable && conf.argv, ['redis-server', '/etc/redis/redis.conf', '--port', '6379']);
  const cmd = resolveEntrypoint('redis:7.2', undefined, ['sh', '-c', 'exec redis-server'], PATH);
  assert.deepEqual(cmd.runnable && cmd.argv, ['sh', '-c', 'exec redis-server']);
  const explicit = resolveEntrypoint('redis:7.2', ['redis-server'], ['--appendonly', 'yes'], PATH);
  assert.deepEqual(explicit.runnable && explicit.argv, ['redis-server', '--appendonly', 'yes']);

  const unknown = resolveEntrypoint('nginx:1.27', undefined, undefined, PATH);
  assert.equal(unknown.runnable, false);
  assert.equal(!unknown.runnable && unknown.reason, 'ImageNotRunnable');
  const missing = resolveEntrypoint('busybox', ['no-such-program-here'], undefined, PATH);
  assert.match(!missing.runnable ? missing.message : '', /no-such-program-here/);
});

test('$(VAR) expansion: known names expand, $$ escapes, unknown references stay', () => {
  const vars = { A: 'x', B: 'y' };
  assert.equal(expandVars('$(A)-$(B)', vars), 'x-y');
  assert.equal(expandVars('$$(A)', vars), '$(A)');
  assert.equal(expandVars('$(C) $A', vars), '$(C) $A');
});

test('env: envFrom with prefix, valueFrom fieldRef/secretKeyRef/configMapKeyRef, ordering of $(VAR) references', async () => {
  const data: DataSource = {
    async configMap(_ns, name) { return name === 'cm' ? { mode: Buffer.from('fast') } : undefined; },
    async secret(_ns, name) { return name === 'sec' ? { password: Buffer.from('pw') } : undefined; },
  };
  const pod: V1Pod = {
    metadata: { name: 'p', namespace: 'n', labels: { role: 'master' } },
    spec: { containers: [] },
    status: { podIP: '127.0.0.9' },
  };
  const env = await resolveEnv(pod, {
    name: 'c',
    envFrom: [{ prefix: 'CM_', configMapRef: { name: 'cm' } }],
    env: [
      { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'ROLE', valueFrom: { fieldRef: { fieldPath: "metadata.labels['role']" } } },
      { name: 'PASS', valueFrom: { secretKeyRef: { name: 'sec', key: 'password' } } },
      { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'cm', key: 'mode' } } },
      { name: 'ADDR', value: '$(POD_IP):6379' },
      { name: 'OPT', valueFrom: { secretKeyRef: { name: 'absent', key: 'k', optional: true } } },
    ],
  }, data);
  assert.deepEqual(env, { CM_mode: 'fast', POD_IP: '127.0.0.9', ROLE: 'master', PASS: 'pw', MODE: 'fast', ADDR: '127.0.0.9:6379' });
  await assert.rejects(resolveEnv(pod, { name: 'c', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'absent', key: 'k' } } }] }, data), ConfigError);
});

test('without mount namespaces, container paths in arguments are rewritten to the volume directories', () => {
  const mounts = [
    { hostPath: '/sb/pvc-1', containerPath: '/data', readOnly: false },
    { hostPath: '/sb/cfg', containerPath: '/etc/redis', readOnly: true },
  ];
  assert.equal(rewriteMountPaths('/etc/redis/redis.conf', mounts), '/sb/cfg/redis.conf');
  assert.equal(rewriteMountPaths('dir /data\nappendfilename x', mounts), 'dir /sb/pvc-1\nappendfilename x');
  assert.equal(rewriteMountPaths('--dir=/data', mounts), '--dir=/sb/pvc-1');
  assert.equal(rewriteMountPaths('/database /data2 /var/data', mounts), '/database /data2 /var/data');
  // A host path put in for one mount is not rewritten again for another (sandbox dir under /tmp, volume at /tmp).
  const nested = [
    { hostPath: '/tmp/sb/pvc-1', containerPath: '/data', readOnly: false },
    { hostPath: '/tmp/sb/pod/tmp', containerPath: '/tmp', readOnly: false },
  ];
  assert.equal(rewriteMountPaths('--dir /data --conf /tmp/x.conf', nested), '--dir /tmp/sb/pvc-1 --conf /tmp/sb/pod/tmp/x.conf');
});

test('tcpSocket and httpGet probes succeed against a listener and fail without one; thresholds count consecutive results', async () => {
  const tcp = createServer((s) => s.end());
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', () => r()));
  const http = createHttpServer((req, res) => { res.statusCode = req.url === '/healthy' ? 200 : 503; res.end(); });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
  try {
    const container = { name: 'c', ports: [{ name: 'web', containerPort: (http.address() as AddressInfo).port }] };
    const target = { podIP: '127.0.0.1', container, exec: async () => ({ exitCode: 0, output: '', timedOut: false }) };
    const tcpPort = (tcp.address() as AddressInfo).port;
    assert.equal((await runProbe({ tcpSocket: { port: tcpPort } }, target)).ok, true);
    tcp.close();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal((await runProbe({ tcpSocket: { port: tcpPort } }, target)).ok, false);
    assert.equal((await runProbe({ httpGet: { path: '/healthy', port: 'web' } }, target)).ok, true);
    const failing = await runProbe({ httpGet: { path: '/sick', port: 'web' } }, target);
    assert.equal(failing.ok, false);
    assert.match(failing.message, /503/);
  } finally {
    http.close();
  }
  const state = new ProbeState({ failureThreshold: 2, successThreshold: 1 }, true);
  assert.equal(state.record(false), true);
  assert.equal(state.record(false), false);
  assert.equal(state.record(true), true);
});
