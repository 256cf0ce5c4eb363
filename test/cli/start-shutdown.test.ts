/**
 * Issue 18: Ctrl-C on `redwing start` took 40–45 s with no output. It stops everything, saying what it stops, and the
 * pods get their grace periods (capped) in parallel, so a pod asking for 30 s does not hold the exit.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { waitFor } from '../../harness/wait-for.js';
import { startCli } from './cli-process.js';

describe('redwing start: Ctrl-C', () => {
  const dir = mkdtempSync(join(tmpdir(), 'redwing-start-stop-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('stops the reconciler, the webhook and the sandbox with its pods, naming each, in under 3 s', async (t) => {
    const sandboxDir = join(dir, 'sandbox');
    const cli = startCli(['start', '--dir', sandboxDir, '--port', '0', '--webhook-metrics-port', '0', '--reconciler-metrics-port', '0'], { REDWING_LOG_FORMAT: 'json' });
    t.after(() => { if (cli.child.exitCode === null) cli.child.kill('SIGKILL'); });
    await cli.waitForLog('reconciler started', 90_000);
    const kc = new KubeConfig();
    kc.loadFromFile(join(sandboxDir, 'kubeconfig'));
    const core = kc.makeApiClient(CoreV1Api);
    // A long grace period, as a datastore pod asks for: the stop must not wait for all of it.
    await core.createNamespacedPod({
      namespace: 'default',
      body: { metadata: { name: 'slow-to-stop' }, spec: { terminationGracePeriodSeconds: 30, containers: [{ name: 'sh', image: 'busybox', command: ['sh', '-c', 'trap "" TERM; while true; do sleep 0.2; done'] }] } },
    });
    await waitFor('the pod running', async () => (await core.readNamespacedPod({ namespace: 'default', name: 'slow-to-stop' })).status?.phase === 'Running', 60_000);

    const signalledAt = performance.now();
    cli.child.kill('SIGINT');
    const result = await cli.exited;
    const stopMs = performance.now() - signalledAt;
    assert.equal(result.code, 0, result.stderr);
    const messages = result.stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => String((JSON.parse(line) as { msg?: unknown }).msg));
    const order = ['stopping reconciler', 'stopping webhook', 'stopping sandbox', 'everything stopped'].map((msg) => messages.indexOf(msg));
    assert.ok(order.every((index, i) => index >= 0 && (i === 0 || index > order[i - 1]!)), `stop messages in order: ${JSON.stringify(messages.slice(-12))}`);
    // The one timing this test asserts is the promise; the pod's 30 s grace period alone would break it.
    assert.ok(stopMs < 3000, `stopped in ${Math.round(stopMs)} ms`);
  });
});
