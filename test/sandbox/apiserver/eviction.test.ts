// pods/eviction against PodDisruptionBudgets, as kube-apiserver v1.32's EvictionREST answers
// (pkg/registry/core/pod/storage/eviction.go). Budget statuses are written through /status here, as the
// disruption controller would, so each rule is checked on its own.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import type { V1Condition, V1PodCondition } from '@kubernetes/client-node';
import { startTestServer, type TestServer } from './helpers.js';

const ns = '/api/v1/namespaces/default';
const pdbs = '/apis/policy/v1/namespaces/default/poddisruptionbudgets';
const VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget.";

describe('pods/eviction with PodDisruptionBudgets', () => {
  let t: TestServer;
  before(async () => { t = await startTestServer(); });
  after(async () => { await t?.close(); });

  async function pod(name: string, labels: Record<string, string>, phase: string, ready: boolean): Promise<void> {
    const created = await t.request('POST', `${ns}/pods`, { body: { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels }, spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'redis:7' }] } } });
    assert.equal(created.status, 201, created.text);
    const conditions = [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: '2026-01-01T00:00:00Z' }];
    const patched = await t.request('PATCH', `${ns}/pods/${name}/status`, { body: { status: { phase, conditions } }, contentType: 'application/merge-patch+json' });
    assert.equal(patched.status, 200, patched.text);
  }

  async function budget(name: string, app: string, status: Record<string, unknown> | undefined, spec: Record<string, unknown> = { minAvailable: 1 }): Promise<void> {
    const created = await t.request('POST', pdbs, { body: { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name }, spec: { ...spec, selector: { matchLabels: { app } } } } });
    assert.equal(created.status, 201, created.text);
    if (!status) return;
    const patched = await t.request('PATCH', `${pdbs}/${name}/status`, { body: { status: { observedGeneration: 1, ...status } }, contentType: 'application/merge-patch+json' });
    assert.equal(patched.status, 200, patched.text);
  }

  const evict = (name: string, query = '', body: Record<string, unknown> = {}) => t.request('POST', `${ns}/pods/${name}/eviction${query}`, { body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name }, ...body } });

  function disruptionTarget(body: { status?: { conditions?: V1PodCondition[] } }): V1PodCondition | undefined {
    return (body.status?.conditions ?? []).find((c) => c.type === 'DisruptionTarget');
  }

  it('without a budget: 201 Success, DisruptionTarget condition, graceful delete', async () => {
    await pod('free', { app: 'none' }, 'Running', true);
    const res = await evict('free');
    assert.equal(res.status, 201);
    assert.deepEqual(res.body, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
    const after = await t.request('GET', `${ns}/pods/free`);
    assert.ok(after.body.metadata.deletionTimestamp, 'a scheduled pod is deleted gracefully');
    const condition = disruptionTarget(after.body);
    assert.equal(condition?.status, 'True');
    assert.equal(condition?.reason, 'EvictionByEvictionAPI');
    assert.equal(condition?.message, 'Eviction API: evicting');
  });

  it('a budget not yet processed by the controller: 429 with Retry-After 10', async () => {
    await pod('fresh-0', { app: 'fresh' }, 'Running', true);
    await budget('fresh', 'fresh', undefined);
    const res = await evict('fresh-0');
    assert.equal(res.status, 429);
    assert.equal(res.headers['retry-after'], '10');
    assert.deepEqual(res.body, {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: VIOLATION, reason: 'TooManyRequests',
      details: { causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget fresh is still being processed by the server.' }], retryAfterSeconds: 10 },
      code: 429,
    });
    assert.equal((await t.request('GET', `${ns}/pods/fresh-0`)).body.metadata.deletionTimestamp, undefined);
  });

  it('no disruption allowed: 429 naming desired and current healthy; nothing changes', async () => {
    await pod('tight-0', { app: 'tight' }, 'Running', true);
    await budget('tight', 'tight', { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1 });
    const res = await evict('tight-0');
    assert.equal(res.status, 429);
    assert.equal(res.headers['retry-after'], undefined);
    assert.equal(res.body.message, VIOLATION);
    assert.equal(res.body.reason, 'TooManyRequests');
    assert.deepEqual(res.body.details, { causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget tight needs 1 healthy pods and has 1 currently' }] });
    const after = await t.request('GET', `${ns}/pods/tight-0`);
    assert.equal(after.body.metadata.deletionTimestamp, undefined);
    assert.equal(disruptionTarget(after.body), undefined);
  });

  it('an allowed disruption is spent: disruptionsAllowed - 1, disruptedPods, DisruptionAllowed False; dryRun changes nothing', async () => {
    await pod('room-0', { app: 'room' }, 'Running', true);
    await pod('room-1', { app: 'room' }, 'Running', true);
    await budget('room', 'room', { disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1, expectedPods: 2 });
    const before = await t.request('GET', `${pdbs}/room`);

    const dry = await evict('room-0', '?dryRun=All');
    assert.equal(dry.status, 201);
    const afterDry = await t.request('GET', `${pdbs}/room`);
    assert.equal(afterDry.body.metadata.resourceVersion, before.body.metadata.resourceVersion, 'dry run leaves the budget');
    const podAfterDry = await t.request('GET', `${ns}/pods/room-0`);
    assert.equal(podAfterDry.body.metadata.deletionTimestamp, undefined);
    assert.equal(disruptionTarget(podAfterDry.body), undefined);

    const res = await evict('room-0');
    assert.equal(res.status, 201, res.text);
    const spent = await t.request('GET', `${pdbs}/room`);
    assert.equal(spent.body.status.disruptionsAllowed, 0);
    assert.deepEqual(Object.keys(spent.body.status.disruptedPods), ['room-0']);
    const condition = (spent.body.status.conditions as V1Condition[]).find((c) => c.type === 'DisruptionAllowed');
    assert.equal(condition?.status, 'False');
    assert.equal(condition?.reason, 'InsufficientPods');
    assert.equal(condition?.observedGeneration, 1);
    assert.ok((await t.request('GET', `${ns}/pods/room-0`)).body.metadata.deletionTimestamp);

    const second = await evict('room-1');
    assert.equal(second.status, 429);
    assert.equal(second.body.details.causes[0].message, 'The disruption budget room needs 1 healthy pods and has 2 currently');
  });

  it('a pod selected by two budgets: 500 with kube-apiserver message', async () => {
    await pod('double-0', { app: 'double' }, 'Running', true);
    await budget('double-a', 'double', { disruptionsAllowed: 1, currentHealthy: 1, desiredHealthy: 0, expectedPods: 1 });
    await budget('double-b', 'double', { disruptionsAllowed: 1, currentHealthy: 1, desiredHealthy: 0, expectedPods: 1 });
    const res = await evict('double-0');
    assert.equal(res.status, 500);
    assert.deepEqual(res.body, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.', code: 500 });
    assert.equal((await t.request('GET', `${ns}/pods/double-0`)).body.metadata.deletionTimestamp, undefined);
  });

  it('pods that are not running ignore budgets', async () => {
    await budget('idle', 'idle', { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 5, expectedPods: 2 });
    await pod('idle-pending', { app: 'idle' }, 'Pending', false);
    await pod('idle-done', { app: 'idle' }, 'Succeeded', false);
    assert.equal((await evict('idle-pending')).status, 201);
    assert.equal((await evict('idle-done')).status, 201);
    // a Succeeded pod is not graceful: it is gone at once
    assert.equal((await t.request('GET', `${ns}/pods/idle-done`)).status, 404);
    assert.equal((await t.request('GET', `${pdbs}/idle`)).body.status.disruptedPods, undefined, 'nothing was spent');
  });

  it('an unready pod: IfHealthyBudget evicts it without spending while the budget is met, refuses otherwise', async () => {
    await pod('met-ok', { app: 'met' }, 'Running', true);
    await pod('met-sick', { app: 'met' }, 'Running', false);
    await budget('met', 'met', { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1, expectedPods: 2 });
    assert.equal((await evict('met-sick')).status, 201);
    assert.equal((await t.request('GET', `${pdbs}/met`)).body.status.disruptedPods, undefined);

    await pod('short-sick', { app: 'short' }, 'Running', false);
    await budget('short', 'short', { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 1, expectedPods: 1 });
    const refused = await evict('short-sick');
    assert.equal(refused.status, 429);
    assert.equal(refused.body.details.causes[0].message, 'The disruption budget short needs 1 healthy pods and has 0 currently');
  });

  it('an unready pod under unhealthyPodEvictionPolicy AlwaysAllow is evicted even when the budget is not met', async () => {
    await pod('always-sick', { app: 'always' }, 'Running', false);
    await budget('always', 'always', { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 1, expectedPods: 1 }, { minAvailable: 1, unhealthyPodEvictionPolicy: 'AlwaysAllow' });
    assert.equal((await evict('always-sick')).status, 201);
    assert.ok((await t.request('GET', `${ns}/pods/always-sick`)).body.metadata.deletionTimestamp);
  });

  it('a name that differs from the URL is a 400; an unknown pod a 404', async () => {
    await pod('named', { app: 'none' }, 'Running', true);
    const res = await t.request('POST', `${ns}/pods/named/eviction`, { body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'other' } } });
    assert.equal(res.status, 400);
    assert.equal(res.body.message, 'name in URL does not match name in Eviction object');
    const missing = await evict('missing');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.message, 'pods "missing" not found');
  });
});
