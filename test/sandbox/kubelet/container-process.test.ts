// What an exec probe sees of a container started in its own mount namespace: its volumes, from the first probe on,
// and its own working directory (the failures "cannot open /etc/redis/probe.sh" and "getcwd() failed" at pod start).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { canUseMountNamespaces, execInContainer, launchContainer, type ContainerProcess } from '../../../sandbox/kubelet/container-process.js';

const dir = mkdtempSync(join(tmpdir(), 'redwing-container-process-'));
const launched: ContainerProcess[] = [];
after(async () => {
  for (const proc of launched) {
    proc.signal('SIGKILL');
    await proc.exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

const skip = !canUseMountNamespaces() && 'needs root for mount namespaces';

test('exec probes run once the volumes are mounted, in the container\'s root and working directory', { skip }, async () => {
  // A top-level path missing on the host: the container runs chrooted into a shadow of `/` (mount-shadow.ts).
  const tag = `redwing-probe-${randomBytes(4).toString('hex')}`;
  const config = join(dir, 'config');
  mkdirSync(config);
  writeFileSync(join(config, 'probe.sh'), 'echo probe-ran\n');
  for (let attempt = 0; attempt < 5; attempt++) {
    const proc = launchContainer({
      argv: ['sleep', '30'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, workingDir: `/${tag}`,
      containerDir: join(dir, `container-${attempt}`), mounts: [{ hostPath: config, containerPath: `/${tag}`, readOnly: true }],
      mountNamespace: true,
    });
    launched.push(proc);
    await proc.running;
    const result = await execInContainer({
      argv: [], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, containerDir: join(dir, `container-${attempt}`), mounts: [], mountNamespace: true,
    }, proc, ['sh', '-c', `pwd && sh /${tag}/probe.sh`], 5000);
    assert.equal(result.exitCode, 0, result.output);
    assert.doesNotMatch(result.output, /getcwd|cannot open/);
    assert.equal(result.output.trim(), `/${tag}\nprobe-ran`);
  }
});

test('a container without a mount namespace runs at once', async () => {
  const proc = launchContainer({
    argv: ['sleep', '30'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, containerDir: join(dir, 'plain'), mounts: [], mountNamespace: false,
  });
  launched.push(proc);
  await proc.running;
  assert.equal(proc.exitInfo, undefined);
});
