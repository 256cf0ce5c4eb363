// pods/log as kube-apiserver v1.32 serves it (pkg/registry/core/pod/rest/log.go, pod.LogLocation): container choice and
// its errors, PodLogOptions validation, 204 for an unscheduled pod, kubelet errors through GenericHttpResponseChecker,
// and the proxied log itself, plain and streamed, over HTTP and through the real kubectl binary.
import { strict as assert } from 'node:assert';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { V1APIResource } from '@kubernetes/client-node';
import { startLogServer, type LogLookup } from '../../../sandbox/kubelet/log-server.js';
import { startTestSandbox, waitFor as waitForValue, type TestSandbox } from '../helpers.js';
import { startTestServer, type TestServer } from './helpers.js';

const run = promisify(execFile);
const KUBECTL = '/usr/bin/kubectl';
const ns = '/api/v1/namespaces/default';

describe('pods/log in the API server (no kubelet)', () => {
  let t: TestServer;
  let kubelet: { port: number; stop(): Promise<void> };
  const answers = new Map<string, LogLookup>();
  before(async () => {
    t = await startTestServer();
    kubelet = await startLogServer({ logFile: (_ns, pod) => answers.get(pod) ?? { code: 404, message: `pod "${pod}" does not exist` } });
    const node = await t.request('POST', '/api/v1/nodes', { body: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'fake-node' } } });
    assert.equal(node.status, 201, node.text);
    const status = await t.request('PATCH', '/api/v1/nodes/fake-node/status', {
      body: { status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: kubelet.port } } } },
      contentType: 'application/merge-patch+json',
    });
    assert.equal(status.status, 200, status.text);
  });
  after(async () => {
    await kubelet?.stop();
    await t?.close();
  });

  const pod = async (name: string, containers: string[], nodeName?: string, initContainers: string[] = []) => {
    const spec: Record<string, unknown> = { containers: containers.map((c) => ({ name: c, image: 'redis:7' })) };
    if (initContainers.length > 0) spec.initContainers = initContainers.map((c) => ({ name: c, image: 'redis:7' }));
    if (nodeName) spec.nodeName = nodeName;
    const res = await t.request('POST', `${ns}/pods`, { body: { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec } });
    assert.equal(res.status, 201, res.text);
  };

  it('is listed in discovery as pods/log with verb get', async () => {
    const res = await t.request('GET', '/api/v1');
    const entry = (res.body.resources as V1APIResource[]).find((r) => r.name === 'pods/log');
    assert.deepEqual(entry, { name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] });
  });

  it('container errors are 400s worded as pod.ValidateContainer words them', async () => {
    await pod('multi', ['a', 'b'], undefined, ['setup']);
    const none = await t.request('GET', `${ns}/pods/multi/log`);
    assert.equal(none.status, 400);
    assert.equal(none.body.reason, 'BadRequest');
    assert.equal(none.body.message, 'a container name must be specified for pod multi, choose one of: [setup a b]');
    const wrong = await t.request('GET', `${ns}/pods/multi/log?container=c`);
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.message, 'container c is not valid for pod multi');
    const missing = await t.request('GET', `${ns}/pods/nothing/log`);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.message, 'pods "nothing" not found');
  });

  it('PodLogOptions are validated (422) and an unscheduled pod answers 204 with no body', async () => {
    await pod('waiting', ['only']);
    const negative = await t.request('GET', `${ns}/pods/waiting/log?tailLines=-1`);
    assert.equal(negative.status, 422);
    assert.equal(negative.body.message, 'PodLogOptions "waiting" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0');
    const zero = await t.request('GET', `${ns}/pods/waiting/log?limitBytes=0`);
    assert.equal(zero.status, 422);
    assert.equal(zero.body.details.causes[0].field, 'limitBytes');
    const unscheduled = await t.request('GET', `${ns}/pods/waiting/log`);
    assert.equal(unscheduled.status, 204);
    assert.equal(unscheduled.text, '');
  });

  it('kubelet errors: 404 becomes NotFound "( pods/log <name>)", 400 passes its message through', async () => {
    await pod('unknown-to-kubelet', ['c'], 'fake-node');
    const notFound = await t.request('GET', `${ns}/pods/unknown-to-kubelet/log`);
    assert.equal(notFound.status, 404);
    assert.equal(notFound.body.message, 'the server could not find the requested resource ( pods/log unknown-to-kubelet)');
    assert.deepEqual(notFound.body.details, { name: 'unknown-to-kubelet', kind: 'pods/log' });
    answers.set('starting', { code: 400, message: 'container "c" in pod "starting" is waiting to start: ContainerCreating' });
    await pod('starting', ['c'], 'fake-node');
    const waiting = await t.request('GET', `${ns}/pods/starting/log`);
    assert.equal(waiting.status, 400);
    assert.equal(waiting.body.message, 'container "c" in pod "starting" is waiting to start: ContainerCreating');
  });
});

describe('pods/log through the sandbox kubelet', () => {
  let t: TestSandbox;
  before(async () => { t = await startTestSandbox(); });
  after(async () => { await t?.stop(); });

  const ticker = { name: 'ticker', image: 'busybox', command: ['sh', '-c', 'i=0; while true; do echo tick-$i; i=$((i+1)); sleep 0.2; done'] };
  const lines = { name: 'lines', image: 'busybox', command: ['sh', '-c', 'echo first; echo second; echo third; exec sleep 1000'] };

  function get(path: string): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const cluster = t.kc.getCurrentCluster()!;
      const req = httpsRequest(`${cluster.server}${path}`, { headers: { authorization: `Bearer ${t.kc.getCurrentUser()!.token}` }, ca: Buffer.from(cluster.caData!, 'base64') }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  /** Reads a follow stream until `until` matches what arrived, then closes it. */
  function follow(path: string, until: RegExp): Promise<string> {
    return new Promise((resolve, reject) => {
      const cluster = t.kc.getCurrentCluster()!;
      const req = httpsRequest(`${cluster.server}${path}`, { headers: { authorization: `Bearer ${t.kc.getCurrentUser()!.token}` }, ca: Buffer.from(cluster.caData!, 'base64') }, (res) => {
        let text = '';
        const timer = setTimeout(() => { req.destroy(); reject(new Error(`follow did not see ${until} in ${JSON.stringify(text)}`)); }, 20_000);
        res.on('data', (c: Buffer) => {
          text += c.toString('utf8');
          if (until.test(text)) {
            clearTimeout(timer);
            req.destroy();
            resolve(text);
          }
        });
      });
      req.on('error', (error) => { if (!(error as { code?: string }).code?.includes('ECONNRESET')) reject(error); });
      req.end();
    });
  }

  it('serves the container log, tailLines, limitBytes, and follows a running container', async () => {
    await t.core.createNamespacedPod({ namespace: 'default', body: { metadata: { name: 'talker' }, spec: { containers: [lines, ticker] } } });
    const full = await waitForValue('three lines logged', async () => {
      const r = await get(`${ns}/pods/talker/log?container=lines`);
      return r.status === 200 && r.text === 'first\nsecond\nthird\n' && r;
    });
    assert.equal(full.text, 'first\nsecond\nthird\n');
    assert.equal((await get(`${ns}/pods/talker/log?container=lines&tailLines=1`)).text, 'third\n');
    assert.equal((await get(`${ns}/pods/talker/log?container=lines&limitBytes=8`)).text, 'first\nse');
    const previous = await get(`${ns}/pods/talker/log?container=lines&previous=true`);
    assert.equal(previous.status, 400);
    assert.equal(JSON.parse(previous.text).message, 'previous terminated container "lines" in pod "talker" not found');

    const before = (await get(`${ns}/pods/talker/log?container=ticker`)).text;
    const lastSeen = Number(/tick-(\d+)\n$/.exec(before)?.[1] ?? -1);
    const streamed = await follow(`${ns}/pods/talker/log?container=ticker&follow=true`, new RegExp(`tick-${lastSeen + 3}\\n`));
    assert.ok(streamed.startsWith('tick-0\n'), 'follow starts with what was logged before');
  });

  it('kubectl logs: default container, -c, --tail, -f, and a server error', { skip: existsSync(KUBECTL) ? false : 'kubectl is not installed' }, async () => {
    const kubeconfig = t.sandbox.kubeconfigPath;
    await waitForValue('talker logged', async () => (await get(`${ns}/pods/talker/log?container=lines`)).text.includes('third'));
    const byName = await run(KUBECTL, ['--kubeconfig', kubeconfig, 'logs', 'talker', '-c', 'lines']);
    assert.equal(byName.stdout, 'first\nsecond\nthird\n');
    const defaulted = await run(KUBECTL, ['--kubeconfig', kubeconfig, 'logs', 'talker']);
    assert.equal(defaulted.stdout, 'first\nsecond\nthird\n', 'kubectl picks the first container');
    assert.match(defaulted.stderr, /Defaulted container "lines" out of: lines, ticker/);
    const tailed = await run(KUBECTL, ['--kubeconfig', kubeconfig, 'logs', 'talker', '-c', 'lines', '--tail=2']);
    assert.equal(tailed.stdout, 'second\nthird\n');
    const bad = await run(KUBECTL, ['--kubeconfig', kubeconfig, 'logs', 'talker', '-c', 'lines', '--previous']).then(() => undefined, (error: { stderr: string }) => error);
    assert.equal(bad?.stderr, 'Error from server (BadRequest): previous terminated container "lines" in pod "talker" not found\n');

    const child = spawn(KUBECTL, ['--kubeconfig', kubeconfig, 'logs', '-f', 'talker', '-c', 'ticker'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      child.stdout.on('data', (c: Buffer) => { out += c.toString('utf8'); });
      const initial = await waitForValue('kubectl -f prints the log', () => /tick-\d+\n/.test(out) && out.length);
      await waitForValue('kubectl -f keeps streaming', () => out.length > initial && /tick-\d+\n$/.test(out), 20_000);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
