// The redis_exporter image in the sandbox: its mapping to the host's prometheus-redis-exporter, and the shim that
// makes it serve on the pod's own address and scrape its own pod's engine.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { findOnPath, imageFamily, resolveEntrypoint } from '../../../sandbox/kubelet/images.js';
import { installShims, POD_IP_ENV } from '../../../sandbox/kubelet/shims.js';
import { waitFor } from '../../../harness/wait-for.js';
import { exporterScratch } from './exporter-scratch.js';

const { dir, children, pool } = exporterScratch('exporter-image');

/** A stand-in for the Debian program that prints what it was started with, so the shim's rewriting can be read back. */
function fakeHostPath(): string {
  const bin = join(dir, 'fake-host-bin');
  mkdirSync(bin, { recursive: true });
  const file = join(bin, 'prometheus-redis-exporter');
  writeFileSync(file, '#!/bin/sh\necho "REDIS_ADDR=$REDIS_ADDR"\nfor a do echo "ARG=$a"; done\n');
  chmodSync(file, 0o755);
  return `${bin}:/usr/bin:/bin`;
}

test('redis_exporter images are the exporter, not redis, and run the exporter shim with their args', () => {
  assert.equal(imageFamily('oliver006/redis_exporter:v1.67.0'), 'redis-exporter');
  assert.equal(imageFamily('quay.io/oliver006/redis_exporter@sha256:abc'), 'redis-exporter');
  assert.equal(imageFamily('docker.io/bitnami/redis:7.2'), 'redis');
  assert.equal(imageFamily('redis:7.4'), 'redis');

  const shims = installShims(join(dir, 'bin-fake'), fakeHostPath());
  const entry = resolveEntrypoint('oliver006/redis_exporter:v1.67.0', undefined, ['--redis.addr', 'redis://localhost:6379'], shims.path);
  assert.deepEqual(entry.runnable && entry.argv, ['redis_exporter', '--redis.addr', 'redis://localhost:6379']);
  const noArgs = resolveEntrypoint('oliver006/redis_exporter:v1.67.0', undefined, undefined, shims.path);
  assert.deepEqual(noArgs.runnable && noArgs.argv, ['redis_exporter']);
  const absolute = resolveEntrypoint('oliver006/redis_exporter:v1.67.0', ['/redis_exporter'], ['-debug'], shims.path);
  assert.deepEqual(absolute.runnable && absolute.argv, ['redis_exporter', '-debug']);
});

test('without prometheus-redis-exporter on the host the image is ImageNotRunnable, naming the package', () => {
  const empty = join(dir, 'empty-host-bin');
  mkdirSync(empty, { recursive: true });
  const shims = installShims(join(dir, 'bin-missing'), empty);
  const entry = resolveEntrypoint('oliver006/redis_exporter:v1.67.0', undefined, undefined, shims.path);
  assert.equal(entry.runnable, false);
  assert.equal(!entry.runnable && entry.reason, 'ImageNotRunnable');
  assert.match(!entry.runnable ? entry.message : '', /prometheus-redis-exporter/);
});

test('the shim listens on the pod IP:9121 (port kept from the env) and points localhost addresses at the pod', () => {
  const shims = installShims(join(dir, 'bin-rewrite'), fakeHostPath());
  const run = (env: Record<string, string>, args: string[]) => {
    const result = spawnSync(join(shims.dir, 'redis_exporter'), args, { env: { PATH: shims.path, [POD_IP_ENV]: '127.0.0.77', ...env }, encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    const lines = result.stdout.trim().split('\n');
    return { addr: lines[0]!.replace(/^REDIS_ADDR=/, ''), args: lines.slice(1).map((line) => line.replace(/^ARG=/, '')) };
  };
  const plain = run({ REDIS_ADDR: 'redis://localhost:6379' }, []);
  assert.equal(plain.addr, 'redis://127.0.0.77:6379');
  assert.deepEqual(plain.args, ['--web.listen-address', '127.0.0.77:9121']);

  // TLS keeps the name it dials (a loopback forwarder's port instead of the pod's address): exporter-tls-loopback.test.ts.
  assert.match(run({ REDIS_ADDR: 'rediss://127.0.0.1:6379' }, []).addr, /^rediss:\/\/127\.0\.0\.1:[1-9][0-9]*$/);
  assert.equal(run({ REDIS_ADDR: 'redis://user:pw@localhost:6379/0' }, []).addr, 'redis://user:pw@127.0.0.77:6379/0');
  assert.equal(run({ REDIS_ADDR: 'redis://other-host:6379' }, []).addr, 'redis://other-host:6379');
  assert.equal(run({}, []).addr, 'redis://127.0.0.77:6379', 'the exporter default (localhost:6379) is the pod too');

  const flags = run({ REDIS_EXPORTER_WEB_LISTEN_ADDRESS: '0.0.0.0:9500' }, ['--redis.addr', 'redis://localhost:7000', '--redis.addr=localhost:7001', '-debug']);
  assert.deepEqual(flags.args, ['--redis.addr', 'redis://127.0.0.77:7000', '--redis.addr=127.0.0.77:7001', '-debug', '--web.listen-address', '127.0.0.77:9500']);
});

test('the real exporter, through the shim, scrapes its pod\'s redis-server as an ACL user and serves redis_up 1 on the pod IP', { skip: !findOnPath('prometheus-redis-exporter', process.env.PATH ?? '') && 'prometheus-redis-exporter is not installed (scripts/ensure-deps.mjs)' }, async () => {
  const shims = installShims(join(dir, 'bin-real'));
  const ip = pool.allocate('exporter-image-test');
  const redis = spawn('redis-server', ['--bind', ip, '--port', '6379', '--save', '', '--appendonly', 'no', '--dir', dir,
    '--requirepass', 'store-pw', '--user', 'metrics', 'on', '>metrics-pw', 'resetchannels', '-@all', '+ping', '+info', '+client|setname',
    '+slowlog|get', '+slowlog|len', '+latency|latest'], { stdio: 'ignore' });
  children.push(redis);
  const exporter = spawn(join(shims.dir, 'redis_exporter'), [], {
    env: { PATH: shims.path, [POD_IP_ENV]: ip, REDIS_ADDR: 'redis://localhost:6379', REDIS_USER: 'metrics', REDIS_PASSWORD: 'metrics-pw', REDIS_EXPORTER_CONFIG_COMMAND: '-' },
    stdio: 'ignore',
  });
  children.push(exporter);
  const metrics = await waitFor('redis_up 1 from the exporter on the pod IP', async () => {
    const text = await (await fetch(`http://${ip}:9121/metrics`)).text();
    return /^redis_up 1$/m.test(text) ? text : undefined;
  }, 20_000);
  assert.match(metrics, /^redis_exporter_last_scrape_error\{err=""\} 0$/m);
});
