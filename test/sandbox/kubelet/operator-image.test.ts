// The operator's image in the sandbox: which names map to this checkout, the image's entrypoint, and the node shim
// that keeps a pod's servers on the pod's own address.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { imageFamily, resolveEntrypoint } from '../../../sandbox/kubelet/images.js';
import { OPERATOR_IMAGE_ENV, isOperatorImage, operatorArgv, operatorFilesystem } from '../../../sandbox/kubelet/operator-image.js';
import { installShims } from '../../../sandbox/kubelet/shims.js';

describe('the operator image', () => {
  it('is the manifests\' repository at any tag or digest, plus the names REDWING_OPERATOR_IMAGE lists', () => {
    assert.equal(isOperatorImage('ghcr.io/redwing-dev/redwing:0.1.0', {}), true);
    assert.equal(isOperatorImage('ghcr.io/redwing-dev/redwing:0.1.1', {}), true);
    assert.equal(isOperatorImage('ghcr.io/redwing-dev/redwing@sha256:abc', {}), true);
    assert.equal(isOperatorImage('registry.example.com:5000/platform/redwing:1.0', {}), false);
    assert.equal(isOperatorImage('registry.example.com:5000/platform/redwing:1.0', { [OPERATOR_IMAGE_ENV]: 'x/y, registry.example.com:5000/platform/redwing:0.1.0' }), true);
    assert.equal(imageFamily('ghcr.io/redwing-dev/redwing:0.1.0'), 'redwing-operator');
    assert.equal(imageFamily('redis:7.4'), 'redis');
  });

  it('runs the Dockerfile\'s ENTRYPOINT and CMD unless the container sets a command', () => {
    assert.deepEqual(operatorArgv(undefined, undefined), ['node', '/app/bin/redwing.js', '--help']);
    assert.deepEqual(operatorArgv(undefined, ['webhook']), ['node', '/app/bin/redwing.js', 'webhook']);
    assert.deepEqual(operatorArgv(['node', '--max-old-space-size=128', 'bin/redwing.js'], ['webhook']), ['node', '--max-old-space-size=128', 'bin/redwing.js', 'webhook']);
  });

  it('mounts this checkout (or an assembled image folder) read-only at /app as its working directory', () => {
    const checkout = operatorFilesystem({});
    assert.ok(existsSync(join(checkout.hostRoot, 'bin', 'redwing.js')), checkout.hostRoot);
    assert.equal(checkout.mountPath, '/app');
    assert.equal(checkout.workingDir, '/app');
    assert.equal(checkout.env.REDWING_RUN_FROM, undefined, 'the checkout may run its sources');
    const assembled = operatorFilesystem({ REDWING_OPERATOR_IMAGE_DIR: '/tmp/redwing-image' });
    assert.equal(assembled.hostRoot, '/tmp/redwing-image');
    assert.equal(assembled.env.REDWING_RUN_FROM, 'dist', 'as the Dockerfile sets it');
    const entry = resolveEntrypoint('ghcr.io/redwing-dev/redwing:0.1.0', ['node', 'bin/redwing.js'], ['reconciler'], process.env.PATH ?? '');
    assert.ok(entry.runnable && entry.filesystem?.mountPath === '/app');
  });
});

describe('the node shim', () => {
  it('makes a server that listens on every address listen on the pod\'s address, and leaves a named host alone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'redwing-node-shim-'));
    try {
      const shims = installShims(dir);
      const script = `
        const net = require('node:net');
        const show = (s) => s.address().address;
        const a = net.createServer().listen(0, () => {
          const b = net.createServer().listen({ port: 0 }, () => {
            const c = net.createServer().listen(0, '127.0.0.1', () => {
              console.log([show(a), show(b), show(c)].join(' '));
              a.close(); b.close(); c.close();
            });
          });
        });`;
      const out = execFileSync(join(shims.dir, 'node'), ['-e', script], { env: { PATH: shims.path, SANDBOX_POD_IP: '127.0.0.77' }, encoding: 'utf8', timeout: 10_000 });
      assert.equal(out.trim(), '127.0.0.77 127.0.0.77 127.0.0.1');
      const outside = execFileSync(join(shims.dir, 'node'), ['-e', script], { env: { PATH: shims.path }, encoding: 'utf8', timeout: 10_000 });
      assert.equal(outside.trim().split(' ')[0], '::', 'outside a pod node is itself');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
