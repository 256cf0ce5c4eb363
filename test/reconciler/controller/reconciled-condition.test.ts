import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { KubeClient } from '../../../kube/client.js';
import { ApiStatusError } from '../../../kube/errors.js';
import type { ObservedPod } from '../../../reconciler/controller/observed.js';
import { planTopology } from '../../../reconciler/controller/plan-topology.js';
import {
  failedReason, reconcileFailedCondition, reconciledConditionOf, withReportedFailure, writeReconcileFailed,
} from '../../../reconciler/controller/reconciled-condition.js';
import { computeStatus } from '../../../reconciler/controller/status.js';
import type { Condition, KVStore, KVStoreStatus } from '../../../shared/schema/kvstore.js';

const T0 = new Date('2026-01-01T00:00:00Z');
const T1 = new Date('2026-01-01T00:01:00Z');
const T2 = new Date('2026-01-01T00:02:00Z');
const logger = pino({ level: 'silent' });

function master(): ObservedPod {
  return { name: 's-0', ordinal: 0, ip: '127.0.0.10', phase: 'Running', ready: true, terminating: false, roleLabel: 'master', engine: { role: 'master', replicationOffset: 10 } };
}

function succeeded(previous: KVStoreStatus | undefined, now: Date): KVStoreStatus {
  const pods = [master()];
  const plan = planTopology({ pods, knownMaster: previous?.master, masterDownConfirmed: false, failoverEnabled: true, port: 6379 });
  return computeStatus({ generation: 4, desiredReplicas: 1, selector: 'x', pods, plan, previous, now });
}

interface Call { method: string; path: string; body?: unknown; timeoutMs?: number }

/** A client whose answers are scripted per request, recording what was sent. */
function scriptedClient(answers: Array<(call: Call) => unknown>): { client: KubeClient; calls: Call[] } {
  const calls: Call[] = [];
  const client = {
    request: async (method: string, path: string, body?: unknown, _type?: string, timeoutMs?: number) => {
      const call = { method, path, body, timeoutMs };
      calls.push(call);
      const answer = answers.shift();
      if (!answer) throw new Error(`unexpected ${method} ${path}`);
      return answer(call);
    },
  };
  return { client: client as unknown as KubeClient, calls };
}

function store(status?: KVStoreStatus, resourceVersion = '7'): KVStore {
  return { apiVersion: 'redwing.dev/v1alpha1', kind: 'KVStore', metadata: { name: 's', namespace: 'ns', generation: 4, resourceVersion }, spec: {}, status } as KVStore;
}

describe('Reconciled condition', () => {
  it('names the failed phase in a CamelCase reason', () => {
    assert.equal(failedReason('secrets'), 'SecretsFailed');
    assert.equal(failedReason('operations'), 'OperationsFailed');
    assert.equal(failedReason(undefined), 'ReconcileFailed');
    assert.equal(failedReason(''), 'ReconcileFailed');
  });

  it('is False with the error, keeping its transition time while it stays False; observedGeneration set', () => {
    const first = reconcileFailedCondition({ phase: 'secrets', message: 'secrets phase failed: forbidden; retrying' }, undefined, 4, T0);
    assert.deepEqual(first, {
      type: 'Reconciled', status: 'False', reason: 'SecretsFailed', message: 'secrets phase failed: forbidden; retrying',
      lastTransitionTime: '2026-01-01T00:00:00Z', observedGeneration: 4,
    });
    const again = reconcileFailedCondition({ phase: 'apply', message: 'apply phase failed: boom; retrying' }, first, 4, T1);
    assert.equal(again.lastTransitionTime, first.lastTransitionTime, 'still False: no transition');
    assert.equal(again.reason, 'ApplyFailed');
    const long = reconcileFailedCondition({ message: 'x'.repeat(5000) }, undefined, undefined, T0);
    assert.equal(long.message.length, 1024);
    assert.equal(long.observedGeneration, undefined);
  });

  it('turns True on the next successful status, with a new transition time; an unchanged True keeps it', () => {
    const ok = succeeded(undefined, T0);
    assert.equal(reconciledConditionOf(ok)?.status, 'True');
    assert.equal(reconciledConditionOf(ok)?.reason, 'ReconcileSucceeded');
    const failed = reconcileFailedCondition({ phase: 'apply', message: 'boom' }, reconciledConditionOf(ok), 4, T1);
    const previous = withReportedFailure(ok, failed);
    assert.equal(reconciledConditionOf(previous)?.status, 'False');
    const recovered = succeeded(previous, T2);
    assert.deepEqual(reconciledConditionOf(recovered), {
      type: 'Reconciled', status: 'True', reason: 'ReconcileSucceeded', message: 'every phase of the last reconcile succeeded',
      lastTransitionTime: '2026-01-01T00:02:00Z', observedGeneration: 4,
    });
    assert.equal(reconciledConditionOf(succeeded(recovered, new Date('2026-01-01T00:03:00Z')))?.lastTransitionTime, '2026-01-01T00:02:00Z');
  });

  it('overlays the failure this process wrote only when the read status does not show it yet', () => {
    const failed: Condition = reconcileFailedCondition({ phase: 'apply', message: 'boom' }, undefined, 4, T0);
    const stale = succeeded(undefined, T0);
    const overlaid = withReportedFailure(stale, failed)!;
    assert.deepEqual(overlaid.conditions!.filter((entry) => entry.type === 'Reconciled'), [failed]);
    assert.equal(overlaid.conditions!.length, stale.conditions!.length, 'replaced, not added');
    assert.equal(withReportedFailure(overlaid, failed), overlaid);
    assert.equal(withReportedFailure(stale, undefined), stale);
  });

  it('writes the condition with a guarded JSON patch, bounded per request', async () => {
    const { client, calls } = scriptedClient([() => ({})]);
    const written = await writeReconcileFailed({ client, logger, store: store(succeeded(undefined, T0)), failure: { key: 'ns/s', phase: 'secrets', message: 'forbidden' }, now: () => T1 });
    assert.equal(written?.reason, 'SecretsFailed');
    assert.equal(calls.length, 1);
    assert.equal(calls[0]!.path, '/apis/redwing.dev/v1alpha1/namespaces/ns/kvstores/s/status');
    assert.ok((calls[0]!.timeoutMs ?? Infinity) <= 5_000);
    const ops = calls[0]!.body as Array<{ op: string; path: string; value: unknown }>;
    assert.deepEqual(ops.map((op) => op.op), ['test', 'replace'], 'the existing Reconciled entry is replaced in place');
    assert.deepEqual(ops[1]!.value, written);
  });

  it('writes nothing when the store already says the same', async () => {
    const failed = reconcileFailedCondition({ phase: 'secrets', message: 'forbidden' }, undefined, 4, T0);
    const { client, calls } = scriptedClient([]);
    const written = await writeReconcileFailed({ client, logger, store: store({ conditions: [failed] }), failure: { key: 'ns/s', phase: 'secrets', message: 'forbidden' }, now: () => T1 });
    assert.deepEqual(written, failed);
    assert.equal(calls.length, 0);
  });

  it('reads the store again after a concurrent write, and gives up after three attempts without throwing', async () => {
    const refused = () => { throw new ApiStatusError(422, 'Invalid', 'test operation failed'); };
    const fresh = () => store(undefined, '9');
    const { client, calls } = scriptedClient([refused, fresh, () => ({})]);
    const written = await writeReconcileFailed({ client, logger, store: store(undefined, '7'), failure: { key: 'ns/s', message: 'boom' }, now: () => T1 });
    assert.equal(written?.reason, 'ReconcileFailed');
    assert.deepEqual(calls.map((call) => call.method), ['PATCH', 'GET', 'PATCH']);
    assert.deepEqual((calls[2]!.body as unknown[])[0], { op: 'test', path: '/metadata/resourceVersion', value: '9' });

    const always = scriptedClient([refused, fresh, refused, fresh, refused, fresh]);
    assert.equal(await writeReconcileFailed({ client: always.client, logger, store: store(), failure: { key: 'ns/s', message: 'boom' } }), undefined);
    assert.deepEqual(always.calls.map((call) => call.method), ['PATCH', 'GET', 'PATCH', 'GET', 'PATCH']);

    const down = scriptedClient([() => { throw new Error('connect ECONNREFUSED'); }]);
    assert.equal(await writeReconcileFailed({ client: down.client, logger, store: store(), failure: { key: 'ns/s', message: 'boom' } }), undefined);
    assert.equal(down.calls.length, 1, 'other errors are not retried here (the reconcile is)');
  });
});
