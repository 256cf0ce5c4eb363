/**
 * Issue 12, point 3, end to end: the real `redwing webhook` with a policy whose CEL would have blocked the event loop
 * for minutes (`replace("", s)` on a 30,000-character string). The review is denied at once with a message naming
 * the policy and the expression, /healthz keeps answering meanwhile, and SIGTERM still stops the process.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCli, type RunningCli } from './cli-process.js';

const HUGE = 'r'.repeat(30_000);

function review(uid: string): unknown {
  return {
    apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview',
    request: {
      uid, kind: { group: 'redwing.dev', version: 'v1alpha1', kind: 'KVStore' },
      resource: { group: 'redwing.dev', version: 'v1alpha1', resource: 'kvstores' },
      name: 'cache', namespace: 'prod', operation: 'CREATE', userInfo: { username: 'alice', groups: ['system:authenticated'] },
      object: {
        apiVersion: 'redwing.dev/v1alpha1', kind: 'KVStore',
        metadata: { name: 'cache', namespace: 'prod', annotations: { note: HUGE } },
        spec: { args: Array.from({ length: 1_000 }, (_, i) => `--a${i}`) },
      },
      oldObject: null, dryRun: false,
    },
  };
}

function postReview(port: number, ca: string, body: unknown): Promise<{ status: number; json: Record<string, unknown>; ms: number }> {
  const started = performance.now();
  const text = JSON.stringify(body);
  return new Promise((resolveReview, reject) => {
    const req = httpsRequest({
      host: '127.0.0.1', port, path: '/validate/kvstore', method: 'POST', ca, servername: 'localhost',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) },
    }, (res) => {
      let data = '';
      res.on('data', (chunk: Buffer) => { data += chunk.toString(); });
      res.on('end', () => resolveReview({ status: res.statusCode ?? 0, json: JSON.parse(data) as Record<string, unknown>, ms: performance.now() - started }));
    });
    req.on('error', reject);
    req.end(text);
  });
}

function healthz(port: number): Promise<number> {
  const started = performance.now();
  return new Promise((resolveHealth, reject) => {
    httpRequest({ host: '127.0.0.1', port, path: '/healthz', agent: false }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolveHealth(performance.now() - started) : reject(new Error(`healthz ${res.statusCode}`))));
    }).on('error', reject).end();
  });
}

describe('redwing webhook: expensive CEL is bounded', () => {
  const dir = mkdtempSync(join(tmpdir(), 'redwing-cel-bounds-'));
  let webhook: RunningCli;
  let port = 0;
  let metricsPort = 0;
  let ca = '';
  before(async () => {
    const policyFile = join(dir, 'policy.json');
    writeFileSync(policyFile, JSON.stringify({
      apiVersion: 'redwing.dev/v1alpha1', kind: 'KVPolicy', metadata: { name: 'expensive' },
      spec: {
        rules: {
          expressions: [
            { expression: '!has(object.metadata.annotations) || object.metadata.annotations["note"].replace("", object.metadata.annotations["note"]) != "x"' },
            { expression: '!has(object.spec.args) || object.spec.args.join(object.metadata.annotations["note"]) != "x"' },
          ],
        },
      },
    }));
    webhook = startCli(['webhook', '--cert-dir', join(dir, 'certs'), '--policy', policyFile, '--port', '0', '--metrics-port', '0']);
    const serving = await webhook.waitForLog('webhook serving', 60_000);
    port = Number(serving.port);
    metricsPort = Number(serving.metricsPort);
    ca = readFileSync(join(dir, 'certs', 'ca.crt'), 'utf8');
  });
  after(async () => {
    if (webhook.child.exitCode === null) webhook.child.kill('SIGKILL');
    await webhook.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  it('denies with the policy and expression named, while /healthz keeps answering', async () => {
    const healthLatencies: number[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        healthLatencies.push(await healthz(metricsPort));
        await new Promise((resolveWait) => setTimeout(resolveWait, 20));
      }
    })();
    const answers = await Promise.all([1, 2, 3].map((n) => postReview(port, ca, review(`uid-${n}`))));
    polling = false;
    await poller;
    for (const answer of answers) {
      const response = answer.json.response as { allowed: boolean; status?: { code: number; message: string } };
      assert.equal(response.allowed, false);
      assert.equal(response.status?.code, 403);
      assert.match(response.status!.message, /KVPolicy "expensive": spec\.rules\.expressions\[0\] \(!has\(object\.metadata\.annotations\) \|\| object\.metadata\.annotations\["note"\]\.replac.*could not be evaluated: exceeded the cost budget of 50000: replace\(\) would cost/);
      assert.match(response.status!.message, /spec\.rules\.expressions\[1\].*join\(\) would cost/);
      assert.ok(answer.ms < 10_000, `answered in ${Math.round(answer.ms)} ms`);
    }
    assert.ok(healthLatencies.length > 0);
    assert.ok(Math.max(...healthLatencies) < 3_000, `slowest /healthz: ${Math.round(Math.max(...healthLatencies))} ms`);
  });

  it('stops on SIGTERM while such reviews arrive', async () => {
    const inFlight = [1, 2].map((n) => postReview(port, ca, review(`term-${n}`)).catch(() => undefined));
    webhook.child.kill('SIGTERM');
    const exit = await Promise.race([webhook.exited, new Promise<undefined>((resolveWait) => setTimeout(() => resolveWait(undefined), 15_000))]);
    assert.ok(exit, 'the webhook exited within 15 s of SIGTERM');
    assert.equal(exit.code, 0, exit.stderr);
    await Promise.all(inFlight);
  });
});
