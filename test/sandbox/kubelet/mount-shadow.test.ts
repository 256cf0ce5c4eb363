// Mount points missing on the host are made inside the container's mount namespace only: pods see their volumes at
// the paths they asked for, and nothing appears on the host outside the sandbox dir.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { pino } from 'pino';
import { canUseMountNamespaces } from '../../../sandbox/kubelet/container-process.js';
import { planShadows, withShadows, type HostView } from '../../../sandbox/kubelet/mount-shadow.js';
import { PodWorker } from '../../../sandbox/kubelet/pod-worker.js';
import { installShims } from '../../../sandbox/kubelet/shims.js';
import type { VolumeSource } from '../../../sandbox/kubelet/volumes.js';
import { waitFor } from '../../../harness/wait-for.js';

test('planShadows: the deepest existing ancestor of each missing mount point outside other volumes, outer first', () => {
  const existing = new Set(['/', '/etc', '/data', '/srv']);
  const host: HostView = { exists: (p) => existing.has(p), realpath: (p) => (p === '/srv' ? '/var/srv' : p), isFile: (p) => p.endsWith('.conf') };
  const mount = (containerPath: string, hostPath = '/sandbox/vol') => ({ containerPath, hostPath, readOnly: false });
  const plans = planShadows([
    mount('/etc/only.conf', '/sandbox/redis.conf'), mount('/auth'), mount('/auth/nested'), mount('/data'), mount('/info/'),
    mount('/srv/a/b'),
  ], host);
  assert.deepEqual(plans, [
    { target: '/', missing: [{ relative: 'auth', file: false }, { relative: 'info', file: false }] },
    { target: '/etc', missing: [{ relative: 'only.conf', file: true }] },
    { target: '/var/srv', missing: [{ relative: 'a/b', file: false }] },
  ]);
  assert.deepEqual(planShadows([mount('/data')], host), [], 'existing mount points need no shadow');
  const etcOnly = withShadows([plans[1]!], '/sandbox/c/mount-shadows', ['exec "$@"']);
  assert.match(etcOnly, /mount --move '\/sandbox\/c\/mount-shadows\/1' '\/etc'/);
  assert.ok(etcOnly.endsWith('exec "$@"') && !etcOnly.includes('chroot'));
  const script = withShadows(plans, '/sandbox/c/mount-shadows', ['exec "$@"']);
  assert.match(script, /exec chroot \. \/bin\/sh -c '/, 'a shadowed root runs the rest chrooted');
  assert.equal(withShadows([], '/x', ['a', 'b']), 'a\nb');
});

test('an entry that leaves the shadowed directory while the shadow is built is skipped, not a failed container start', () => {
  // /run and /tmp change under a running machine. `mount` is replaced by a fake that removes the entry, as if it went
  // away between the script's glob and its bind mount, so this runs without root.
  const root = mkdtempSync(join(tmpdir(), 'redwing-shadow-race-'));
  try {
    const target = join(root, 'host');
    const fakes = join(root, 'bin');
    for (const path of [join(target, 'stays'), fakes]) mkdirSync(path, { recursive: true });
    writeFileSync(join(target, 'vanishing'), '');
    writeFileSync(join(fakes, 'mount'), `#!/bin/sh\ncase "$*" in *vanishing*) rm -f '${target}/vanishing'; exit 32;; esac\nexit 0\n`, { mode: 0o755 });
    const stage = join(root, 'stage');
    const script = withShadows([{ target, missing: [{ relative: 'made', file: false }] }], stage, ['echo reached']);
    const out = execFileSync('/bin/sh', ['-c', script], { env: { PATH: `${fakes}:/usr/bin:/bin` }, encoding: 'utf8' });
    assert.equal(out.trim(), 'reached');
    assert.deepEqual(readdirSync(join(stage, '1')).sort(), ['made', 'stays'], 'no placeholder is left for the entry that went away');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

const dir = mkdtempSync(join(tmpdir(), 'redwing-kubelet-shadow-'));
const workers: PodWorker[] = [];
after(async () => {
  await Promise.all(workers.map((w) => w.terminate(0)));
  rmSync(dir, { recursive: true, force: true });
});

const source: VolumeSource = {
  async configMap() { return { 'redis.conf': Buffer.from('appendonly no\n') }; },
  async secret() { return { password: Buffer.from('s3cret') }; },
  async claimDir() { return undefined; },
  serviceAccountToken: async () => 'token',
};

function findFile(root: string, name: string): string | undefined {
  for (const entry of readdirSync(root)) {
    const path = join(root, entry);
    if (entry === name && statSync(path).isFile()) return path;
    if (statSync(path).isDirectory()) {
      const found = findFile(path, name);
      if (found) return found;
    }
  }
  return undefined;
}

test('volumes at paths missing on the host: the pod sees them (command and exec probe), the host gets nothing', { skip: !canUseMountNamespaces() && 'needs root for mount namespaces' }, async () => {
  const tag = `redwing-shadow-${randomBytes(4).toString('hex')}`;
  const hostPaths = [`/${tag}`, `/etc/${tag}.conf`, `/run/${tag}`];
  const pod: V1Pod = {
    metadata: { name: 'shadow', namespace: 'default', uid: 'uid-shadow' },
    spec: {
      restartPolicy: 'Never',
      volumes: [
        { name: 'auth', secret: { secretName: 'auth', items: [{ key: 'password', path: 'pw/file' }] } },
        { name: 'conf', configMap: { name: 'conf' } },
        { name: 'scratch', emptyDir: {} },
        { name: 'data', emptyDir: {} },
      ],
      containers: [{
        name: 'check', image: 'busybox',
        command: ['sh', '-c', [
          `test "$(cat /${tag}/auth/pw/file)" = s3cret`,
          `grep -q appendonly /etc/${tag}.conf`,
          'test -e /etc/passwd && test -d /proc/self',
          `echo written > /run/${tag}/deep/scratch/out`,
          `! touch /${tag}/auth/new 2>/dev/null`,
          'echo checked',
          'exec sleep 1000',
        ].join(' && ')],
        readinessProbe: { exec: { command: ['test', '-f', `/run/${tag}/deep/scratch/out`] }, periodSeconds: 1 },
        volumeMounts: [
          { name: 'auth', mountPath: `/${tag}/auth`, readOnly: true },
          { name: 'conf', mountPath: `/etc/${tag}.conf`, subPath: 'redis.conf' },
          { name: 'scratch', mountPath: `/run/${tag}/deep/scratch` },
        ],
      }, {
        // a datastore chrooted into the shadowed root: its probe goes through the kubelet's wrappers
        name: 'redis', image: 'redis:7.2', args: ['--dir', `/${tag}-data`, '--save', ''],
        readinessProbe: { exec: { command: ['redis-cli', 'ping'] }, periodSeconds: 1 },
        volumeMounts: [{ name: 'data', mountPath: `/${tag}-data` }],
      }],
    },
  };
  hostPaths.push(`/${tag}-data`);
  const podDir = join(dir, 'pods', 'shadow');
  const worker = new PodWorker({
    pod, podIP: '127.0.251.10', podDir, source, shims: installShims(join(dir, 'bin')),
    mountNamespace: true, backoffBaseMs: 200, onChange: () => undefined, logger: pino({ level: 'silent' }),
  });
  workers.push(worker);
  worker.start();
  const log = () => { try { return readFileSync(join(podDir, 'containers', 'check', '0.log'), 'utf8'); } catch { return ''; } };
  await waitFor('Ready through the exec probe', () => worker.status().conditions?.find((c) => c.type === 'Ready')?.status === 'True' || worker.status().containerStatuses?.[0]?.state?.terminated);
  assert.equal(worker.status().containerStatuses?.[0]?.state?.terminated, undefined, log());
  assert.match(log(), /checked/);
  const out = findFile(join(podDir, 'volumes'), 'out');
  assert.ok(out, 'the emptyDir write landed in the pod directory');
  assert.equal(readFileSync(out, 'utf8'), 'written\n');
  const cli = (...args: string[]) => execFileSync('redis-cli', ['-h', '127.0.251.10', ...args], { encoding: 'utf8', timeout: 5000 }).trim();
  assert.equal(cli('config', 'get', 'dir').split('\n')[1], `/${tag}-data`);
  assert.equal(cli('save'), 'OK');
  assert.ok(findFile(join(podDir, 'volumes'), 'dump.rdb'), 'redis wrote into its emptyDir');
  for (const path of hostPaths) assert.equal(existsSync(path), false, `${path} was created on the host`);
  await worker.terminate(0);
  for (const path of hostPaths) assert.equal(existsSync(path), false, `${path} exists after the pod`);
});
