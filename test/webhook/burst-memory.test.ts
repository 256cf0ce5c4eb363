/**
 * Issue 12, point 6: a burst of 16 and then 32 concurrent ~6 MiB UPDATE reviews keeps the webhook's memory bounded
 * (it grew by 355 MiB before, past the Deployment's 256Mi limit). The real `redwing webhook` with the Deployment's
 * node flags; RSS sampled from /proc during the burst (bench/webhook-burst.ts, also `npm run bench:webhook-burst`).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { largeUpdateReview, residentBytes, runBurst } from '../../bench/webhook-burst.js';
import { WEBHOOK_NODE_FLAGS } from '../../cli/webhook-node-flags.js';
import { startCli, type RunningCli } from '../cli/cli-process.js';

const MIB = 1024 * 1024;
/**
 * Growth allowed over the idle process: the compiled webhook idles at ~135 MiB (tsx here adds ~90 MiB more, which
 * does not grow), so this keeps the Deployment's process under 256Mi. Measured: +85 MiB with the fix, +355 before.
 */
const MAX_GROWTH_BYTES = 110 * MIB;

describe('webhook memory under a burst of large reviews', () => {
  const dir = mkdtempSync(join(tmpdir(), 'redwing-burst-memory-'));
  let webhook: RunningCli;
  let port = 0;
  let ca = '';
  before(async () => {
    webhook = startCli(['webhook', '--cert-dir', dir, '--port', '0', '--metrics-port', '0'], {}, WEBHOOK_NODE_FLAGS);
    port = Number((await webhook.waitForLog('webhook serving', 60_000)).port);
    ca = readFileSync(join(dir, 'ca.crt'), 'utf8');
  });
  after(async () => {
    webhook.child.kill('SIGKILL');
    await webhook.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  it('the Deployment runs the webhook with these node flags', () => {
    const documents = parseAllDocuments(readFileSync(new URL('../../manifests/webhook/deployment.yaml', import.meta.url), 'utf8')).map((doc) => doc.toJS() as { kind?: string; spec?: { template: { spec: { containers: Array<{ name: string; command?: string[] }> } } } });
    const deployment = documents.find((doc) => doc?.kind === 'Deployment');
    const container = deployment!.spec!.template.spec.containers.find((candidate) => candidate.name === 'webhook');
    assert.deepEqual(container?.command, ['node', ...WEBHOOK_NODE_FLAGS, 'bin/redwing.js']);
  });

  it('16 then 32 concurrent ~6 MiB UPDATE reviews: all answered, RSS growth bounded', async () => {
    const pid = webhook.child.pid!;
    const idle = residentBytes(pid);
    const body = largeUpdateReview('burst', 6);
    let peak = idle;
    for (const concurrency of [16, 32]) {
      const result = await runBurst({ pid, port, ca, path: '/validate/kvstore', body, concurrency });
      assert.deepEqual(new Set(result.outcomes), new Set([200]), `answers: ${result.outcomes.join(', ')}`);
      peak = Math.max(peak, result.rssPeakBytes);
    }
    assert.ok(peak - idle < MAX_GROWTH_BYTES, `grew from ${Math.round(idle / MIB)} to ${Math.round(peak / MIB)} MiB`);
  });
});
