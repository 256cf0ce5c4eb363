// The disruption controller against the sandbox API server: PodDisruptionBudget status as kube-controller-manager
// v1.32 computes it (golden 24 for the shape), for minAvailable and maxUnavailable, integers and percentages, and
// eviction entries in disruptedPods. Pods' statuses are written by the test (no kubelet), so every count is known.
import { strict as assert } from 'node:assert';
import { readFileSync, existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { V1Condition, V1Pod, V1PodDisruptionBudget, V1PodDisruptionBudgetStatus, V1StatefulSet } from '@kubernetes/client-node';
import pino from 'pino';
import type { CachedObject, Informer } from '../../../kube/informer.js';
import { sandboxClient, watchCache } from '../../../sandbox/controllers/kube-io.js';
import { DisruptionController } from '../../../sandbox/controllers/disruption-controller.js';
import { startTestServer, type TestServer } from '../apiserver/helpers.js';
import { waitFor } from '../../../harness/wait-for.js';
import { goldenSkip, readGolden } from '../../helpers/golden.js';

type BudgetStatus = Record<string, unknown> & { conditions?: Array<Record<string, unknown>> };

const ns = '/api/v1/namespaces/default';
const pdbs = '/apis/policy/v1/namespaces/default/poddisruptionbudgets';
const silent = pino({ level: 'silent' });

describe('disruption controller', () => {
  let t: TestServer;
  let informers: Array<Pick<Informer<CachedObject>, 'start' | 'stop'>>;
  let controller: DisruptionController;

  before(async () => {
    t = await startTestServer();
    const rest = sandboxClient(t.kc);
    const budgets = watchCache<V1PodDisruptionBudget>(rest, '/apis/policy/v1/poddisruptionbudgets', silent);
    const pods = watchCache<V1Pod>(rest, '/api/v1/pods', silent);
    const sets = watchCache<V1StatefulSet>(rest, '/apis/apps/v1/statefulsets', silent);
    informers = [budgets, pods, sets];
    controller = new DisruptionController(rest, budgets, pods, sets, silent, { disruptedPodTimeoutMs: 4000 });
    for (const informer of informers) await informer.start();
  });
  after(async () => {
    controller?.stop();
    for (const informer of informers ?? []) informer.stop();
    await t?.close();
  });

  async function setReady(name: string, ready: boolean, phase = 'Running'): Promise<void> {
    const conditions = [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: '2026-01-01T00:00:00Z' }];
    const res = await t.request('PATCH', `${ns}/pods/${name}/status`, { body: { status: { phase, conditions } }, contentType: 'application/merge-patch+json' });
    assert.equal(res.status, 200, res.text);
  }

  async function pod(name: string, labels: Record<string, string>, owner?: { kind: string; apiVersion: string; name: string; uid: string }, ready = true): Promise<void> {
    const metadata: Record<string, unknown> = { name, labels };
    if (owner) metadata.ownerReferences = [{ ...owner, controller: true }];
    const res = await t.request('POST', `${ns}/pods`, { body: { apiVersion: 'v1', kind: 'Pod', metadata, spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'redis:7' }] } } });
    assert.equal(res.status, 201, res.text);
    await setReady(name, ready);
  }

  async function statefulSet(name: string, replicas: number): Promise<{ kind: string; apiVersion: string; name: string; uid: string }> {
    const res = await t.request('POST', '/apis/apps/v1/namespaces/default/statefulsets', { body: {
      apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name },
      spec: { replicas, serviceName: name, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'redis:7' }] } } },
    } });
    assert.equal(res.status, 201, res.text);
    return { kind: 'StatefulSet', apiVersion: 'apps/v1', name, uid: res.body.metadata.uid };
  }

  async function budget(name: string, app: string, spec: Record<string, unknown>): Promise<void> {
    const res = await t.request('POST', pdbs, { body: { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name }, spec: { ...spec, selector: { matchLabels: { app } } } } });
    assert.equal(res.status, 201, res.text);
  }

  async function statusWhen(name: string, check: (status: V1PodDisruptionBudgetStatus) => boolean, what: string): Promise<V1PodDisruptionBudgetStatus> {
    let last: V1PodDisruptionBudgetStatus = { currentHealthy: 0, desiredHealthy: 0, disruptionsAllowed: 0, expectedPods: 0 };
    try {
      await waitFor(`${name}: ${what}`, async () => {
        last = (await t.request('GET', `${pdbs}/${name}`)).body.status;
        return check(last);
      }, 10_000);
    } catch (error: unknown) {
      // The last status read says why; the waiting message alone would not.
      throw new Error(`${name}: ${what}: not reached (last status ${JSON.stringify(last)})`, { cause: error });
    }
    return last;
  }

  const counts = (s: V1PodDisruptionBudgetStatus) => ({ expectedPods: s.expectedPods, desiredHealthy: s.desiredHealthy, currentHealthy: s.currentHealthy, disruptionsAllowed: s.disruptionsAllowed });
  const allowedCondition = (s: V1PodDisruptionBudgetStatus): V1Condition | undefined => (s.conditions ?? []).find((c) => c.type === 'DisruptionAllowed');

  it('matches golden 24: one pending pod, minAvailable 1 → InsufficientPods with the status kube-controller-manager wrote', { skip: goldenSkip }, async () => {
    const golden = readGolden<{ response: { body: { status: BudgetStatus } } }>('24-defaults-misc')[1]!.response.body.status;
    const created = await t.request('POST', `${ns}/pods`, { body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'kv-pending', labels: { app: 'kv' } }, spec: { containers: [{ name: 'c', image: 'redis:7' }] } } });
    assert.equal(created.status, 201);
    await budget('pdb', 'kv', { minAvailable: 1 });
    const status = await statusWhen('pdb', (s) => s.observedGeneration === 1, 'processed');
    const strip = (s: { conditions?: object[] }) => ({ ...s, conditions: (s.conditions ?? []).map((c) => ({ ...c, lastTransitionTime: 'T' })) });
    assert.deepEqual(strip(status), strip(golden));
    assert.deepEqual(Object.keys(status), Object.keys(golden), 'field order');
  });

  it('minAvailable as an integer counts matching pods; readiness moves currentHealthy and the condition', async () => {
    for (const i of [0, 1, 2]) await pod(`int-${i}`, { app: 'int' });
    await budget('int', 'int', { minAvailable: 2 });
    let status = await statusWhen('int', (s) => s.observedGeneration === 1 && s.currentHealthy === 3, 'three healthy');
    assert.deepEqual(counts(status), { expectedPods: 3, desiredHealthy: 2, currentHealthy: 3, disruptionsAllowed: 1 });
    assert.equal(allowedCondition(status)?.status, 'True');
    assert.equal(allowedCondition(status)?.reason, 'SufficientPods');
    await setReady('int-2', false);
    status = await statusWhen('int', (s) => s.currentHealthy === 2, 'an unready pod no longer counts');
    assert.deepEqual(counts(status), { expectedPods: 3, desiredHealthy: 2, currentHealthy: 2, disruptionsAllowed: 0 });
    assert.equal(allowedCondition(status)?.reason, 'InsufficientPods');
  });

  it('percentages and maxUnavailable take the StatefulSet scale through the pods\' controller reference', async () => {
    const owner = await statefulSet('pct', 4);
    for (const i of [0, 1, 2]) await pod(`pct-${i}`, { app: 'pct' }, owner);
    await budget('pct-min', 'pct', { minAvailable: '50%' });
    const min = await statusWhen('pct-min', (s) => s.observedGeneration === 1 && s.currentHealthy === 3, 'processed');
    assert.deepEqual(counts(min), { expectedPods: 4, desiredHealthy: 2, currentHealthy: 3, disruptionsAllowed: 1 });
    await budget('pct-max', 'pct', { maxUnavailable: '30%' });
    // 30% of 4 rounds up to 2 unavailable: desired 2
    const max = await statusWhen('pct-max', (s) => s.observedGeneration === 1 && s.currentHealthy === 3, 'processed');
    assert.deepEqual(counts(max), { expectedPods: 4, desiredHealthy: 2, currentHealthy: 3, disruptionsAllowed: 1 });

    const scaled = await t.request('PATCH', '/apis/apps/v1/namespaces/default/statefulsets/pct', { body: { spec: { replicas: 3 } }, contentType: 'application/merge-patch+json' });
    assert.equal(scaled.status, 200);
    const after = await statusWhen('pct-max', (s) => s.expectedPods === 3, 'the new scale');
    assert.deepEqual(counts(after), { expectedPods: 3, desiredHealthy: 2, currentHealthy: 3, disruptionsAllowed: 1 });
  });

  it('a pod whose controller is unknown fails the sync safe: SyncFailed, nothing allowed', async () => {
    await pod('orphan-0', { app: 'orphan' }, { kind: 'Widget', apiVersion: 'example.com/v1', name: 'w', uid: 'not-a-uid' });
    await budget('orphan', 'orphan', { maxUnavailable: 1 });
    const status = await statusWhen('orphan', (s) => allowedCondition(s)?.reason === 'SyncFailed', 'failsafe');
    assert.equal(status.disruptionsAllowed, 0);
    assert.equal(allowedCondition(status)?.status, 'False');
    assert.equal(allowedCondition(status)?.message, 'found no controllers for pod "orphan-0"');
  });

  it('eviction: the evicted pod leaves currentHealthy; a disruptedPods entry of a live pod is pruned after the timeout', async () => {
    for (const i of [0, 1, 2]) await pod(`ev-${i}`, { app: 'ev' });
    await budget('ev', 'ev', { maxUnavailable: 1 });
    await statusWhen('ev', (s) => s.observedGeneration === 1 && s.disruptionsAllowed === 0 && s.expectedPods === 0, 'pods without controllers expect nothing');

    await t.request('DELETE', pdbs + '/ev');
    await budget('ev', 'ev', { minAvailable: 1 });
    await statusWhen('ev', (s) => s.observedGeneration === 1 && s.disruptionsAllowed === 2, 'two disruptions allowed');
    const evicted = await t.request('POST', `${ns}/pods/ev-0/eviction`, { body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'ev-0' } } });
    assert.equal(evicted.status, 201, evicted.text);
    // ev-0 is terminating (no kubelet finishes it): it is no longer healthy and its entry is dropped
    const settled = await statusWhen('ev', (s) => s.currentHealthy === 2 && s.disruptedPods === undefined, 'the terminating pod counted out');
    assert.equal(settled.disruptionsAllowed, 1);

    // an eviction that never became a deletion: the entry holds the pod out until the timeout
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const current = (await t.request('GET', `${pdbs}/ev`)).body;
    const put = await t.request('PUT', `${pdbs}/ev/status`, { body: { ...current, status: { ...current.status, disruptedPods: { 'ev-1': now }, disruptionsAllowed: 0 } } });
    assert.equal(put.status, 200, put.text);
    const held = await statusWhen('ev', (s) => s.disruptedPods?.['ev-1'] !== undefined && s.currentHealthy === 1, 'ev-1 held out');
    assert.equal(held.disruptionsAllowed, 0);
    const released = await statusWhen('ev', (s) => s.disruptedPods === undefined && s.currentHealthy === 2, 'the entry pruned after the timeout');
    assert.equal(released.disruptionsAllowed, 1);
  });
});
