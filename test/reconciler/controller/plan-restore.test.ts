import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planRestore, RESTORE_UNSUPPORTED_MESSAGE } from '../../../reconciler/controller/plan-restore.js';
import type { ObservedPod } from '../../../reconciler/controller/observed.js';

const pod = (ordinal: number, engine?: Partial<NonNullable<ObservedPod['engine']>>): ObservedPod => ({
  name: `r-${ordinal}`, ordinal, phase: 'Running', ready: false, terminating: false, ip: `127.0.0.${ordinal + 2}`,
  engine: engine ? { role: 'replica', replicationOffset: 0, ...engine } as NonNullable<ObservedPod['engine']> : undefined,
});
const spec = { engine: 'redis' as const, restore: { backup: 'nightly' } };

describe('planRestore', () => {
  it('nothing to do without spec.restore, after a success, or once the store has a master', () => {
    assert.equal(planRestore({ spec: { engine: 'redis' }, status: undefined, storeName: 'r', pods: [pod(0, {})] }).kind, 'none');
    assert.equal(planRestore({ spec, status: { restore: { url: 's3://b/k', result: 'Succeeded', time: 't' } }, storeName: 'r', pods: [pod(0, {})] }).kind, 'none');
    assert.equal(planRestore({ spec, status: { master: 'r-1' }, storeName: 'r', pods: [pod(0, {})] }).kind, 'none');
  });

  it('waits for the first pod to answer as a replica that is not loading; then runs there', () => {
    assert.match((planRestore({ spec, status: undefined, storeName: 'r', pods: [pod(1, {})] }) as { message: string }).message, /waiting for r-0 to answer/);
    assert.match((planRestore({ spec, status: undefined, storeName: 'r', pods: [pod(0)] }) as { message: string }).message, /waiting for r-0/);
    assert.match((planRestore({ spec, status: undefined, storeName: 'r', pods: [pod(0, { loading: true })] }) as { message: string }).message, /loading/);
    const run = planRestore({ spec, status: { restore: { url: 's3://b/k', result: 'Failed', time: 't' } }, storeName: 'r', pods: [pod(1, {}), pod(0, {})] });
    assert.equal(run.kind, 'run');
    assert.equal((run as { pod: ObservedPod }).pod.name, 'r-0');
  });

  it('never overwrites a pod that is already a master', () => {
    const decision = planRestore({ spec, status: undefined, storeName: 'r', pods: [pod(0, { role: 'master' })] });
    assert.equal(decision.kind, 'wait');
    assert.match((decision as { message: string }).message, /refusing to overwrite/);
  });

  it('dragonfly: unsupported once, then the store goes on', () => {
    assert.deepEqual(planRestore({ spec: { ...spec, engine: 'dragonfly' }, status: undefined, storeName: 'r', pods: [] }), { kind: 'unsupported', message: RESTORE_UNSUPPORTED_MESSAGE });
    assert.equal(planRestore({ spec: { ...spec, engine: 'dragonfly' }, status: { restore: { url: 'x', result: 'Failed', time: 't' } }, storeName: 'r', pods: [] }).kind, 'none');
    assert.equal(planRestore({ spec: { ...spec, tls: { enabled: true, secretName: 'mine' } }, status: undefined, storeName: 'r', pods: [] }).kind, 'unsupported');
    assert.equal(planRestore({ spec: { ...spec, tls: { enabled: true } }, status: undefined, storeName: 'r', pods: [] }).kind, 'wait');
    assert.equal(planRestore({ spec: { ...spec, tls: { enabled: true, secretName: 'r-tls' } }, status: undefined, storeName: 'r', pods: [] }).kind, 'wait');
    assert.equal(planRestore({ spec: { ...spec, tls: { enabled: true, secretName: 'mine', clientCaSecretName: 'ca' } }, status: undefined, storeName: 'r', pods: [] }).kind, 'wait');
  });
});
