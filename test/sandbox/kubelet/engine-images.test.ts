// Engine images in the sandbox: each engine's image runs that engine's own binary, or its pod is ImageNotRunnable
// with a reason that names what is missing. Never another server under an engine's name.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { findOnPath, resolveEntrypoint } from '../../../sandbox/kubelet/images.js';
import { DRAGONFLY_SANDBOX_THREADS, installShims, POD_IP_ENV } from '../../../sandbox/kubelet/shims.js';

const dir = mkdtempSync(join(tmpdir(), 'redwing-engine-images-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A host PATH holding only the named real programs of this machine (symlinked), so "missing" can be arranged. */
function hostPathWith(name: string, programs: string[]): string {
  const bin = join(dir, name);
  mkdirSync(bin, { recursive: true });
  for (const program of programs) {
    const real = findOnPath(program, process.env.PATH ?? '');
    if (real) symlinkSync(real, join(bin, program));
  }
  return bin;
}

/** A stand-in dragonfly that prints its arguments, one per line. */
function fakeDragonfly(): string {
  const file = join(dir, 'fake-dragonfly');
  writeFileSync(file, '#!/bin/sh\nfor a do echo "$a"; done\n');
  chmodSync(file, 0o755);
  return file;
}

test('a valkey image on a host without valkey-server is ImageNotRunnable naming valkey-server, even with redis-server there', { skip: !findOnPath('redis-server', process.env.PATH ?? '') && 'redis-server is not installed (scripts/ensure-deps.mjs)' }, () => {
  const shims = installShims(join(dir, 'shims-no-valkey'), hostPathWith('host-redis-only', ['redis-server', 'redis-cli']));
  assert.equal(existsSync(join(shims.dir, 'valkey-server')), false, 'no valkey-server shim without valkey');
  for (const [command, args] of [[['valkey-server'], ['/etc/redis/redis.conf']], [undefined, ['--port', '6379']]] as const) {
    const entry = resolveEntrypoint('valkey/valkey:8.0', command ? [...command] : undefined, [...args], shims.path);
    assert.equal(entry.runnable, false);
    assert.equal(!entry.runnable && entry.reason, 'ImageNotRunnable');
    assert.match(!entry.runnable ? entry.message : '', /needs "valkey-server".*bookworm-backports/);
  }
  const redis = resolveEntrypoint('redis:7.4', ['redis-server'], ['/etc/redis/redis.conf'], shims.path);
  assert.equal(redis.runnable, true);
});

test('a valkey image runs the valkey-server shim, which wraps valkey-server itself', { skip: !findOnPath('valkey-server', process.env.PATH ?? '') && 'valkey-server is not installed (scripts/ensure-deps.mjs as root)' }, () => {
  const shims = installShims(join(dir, 'shims-valkey'));
  const entry = resolveEntrypoint('valkey/valkey:8.0', ['valkey-server'], ['/etc/redis/redis.conf'], shims.path);
  assert.deepEqual(entry.runnable && entry.argv, ['valkey-server', '/etc/redis/redis.conf']);
  const version = spawnSync(join(shims.dir, 'valkey-server'), ['--version'], { encoding: 'utf8' });
  assert.match(version.stdout, /^Valkey server v=8\./);
});

test('a dragonfly image without REDWING_DRAGONFLY_BIN is ImageNotRunnable naming the variable, whatever else the host has', () => {
  const shims = installShims(join(dir, 'shims-no-dragonfly'), process.env.PATH, undefined);
  assert.equal(existsSync(join(shims.dir, 'dragonfly')), false);
  const entry = resolveEntrypoint('docker.dragonflydb.io/dragonflydb/dragonfly:v1.34.1', ['dragonfly'], ['--flagfile=/etc/redis/dragonfly.flags'], shims.path);
  assert.equal(!entry.runnable && entry.reason, 'ImageNotRunnable');
  assert.match(!entry.runnable ? entry.message : '', /REDWING_DRAGONFLY_BIN/);
});

test('with REDWING_DRAGONFLY_BIN a dragonfly image runs that binary on the pod IP with a bounded thread count and no version check', () => {
  const shims = installShims(join(dir, 'shims-dragonfly'), process.env.PATH, fakeDragonfly());
  const entry = resolveEntrypoint('docker.dragonflydb.io/dragonflydb/dragonfly:v1.34.1', ['dragonfly'], ['--flagfile=/etc/redis/dragonfly.flags', '--proactor_threads=8'], shims.path);
  assert.deepEqual(entry.runnable && entry.argv, ['dragonfly', '--flagfile=/etc/redis/dragonfly.flags', '--proactor_threads=8']);
  const run = spawnSync(join(shims.dir, 'dragonfly'), ['--flagfile=/etc/redis/dragonfly.flags', '--proactor_threads=8'], {
    encoding: 'utf8', env: { PATH: shims.path, [POD_IP_ENV]: '127.0.250.7' },
  });
  const args = run.stdout.trim().split('\n');
  // Abseil takes the last occurrence of a flag: the shim's bounds come after everything the pod asked for.
  assert.deepEqual(args, [
    '--flagfile=/etc/redis/dragonfly.flags', '--proactor_threads=8', '--bind', '127.0.250.7',
    `--proactor_threads=${DRAGONFLY_SANDBOX_THREADS}`, '--version_check=false',
  ]);
});
