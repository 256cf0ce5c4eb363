import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { trimPod } from '../../../reconciler/controller/cache-trims.js';
import type { KubeObject } from '../../../kube/client.js';
import { engineDied, isPodTerminating, observePods, restartBackOff } from '../../../reconciler/controller/observed.js';

function pod(status: V1Pod['status'], metadata: V1Pod['metadata'] = { name: 's-0' }): V1Pod {
  return { metadata, status };
}

function container(name: string, restartCount: number, running: boolean): V1ContainerStatus {
  return {
    name, restartCount, ready: running, image: name, imageID: '',
    state: running ? { running: { startedAt: new Date() } } : { waiting: { reason: 'CrashLoopBackOff' } },
  };
}

const withContainers = (...statuses: V1ContainerStatus[]) => pod({ phase: 'Running', containerStatuses: statuses });

describe('observed pods', () => {
  it('sees the engine process die: stopped running, or restarted between two observations', () => {
    const running = withContainers(container('engine', 2, true), container('exporter', 0, true));
    assert.equal(engineDied(running, withContainers(container('engine', 2, false), container('exporter', 0, true))), true, 'stopped running');
    assert.equal(engineDied(running, withContainers(container('engine', 3, true), container('exporter', 0, true))), true, 'restarted unseen');
    assert.equal(engineDied(running, withContainers(container('engine', 2, true), container('exporter', 4, false))), false, 'an exporter restart is not the engine dying');
    assert.equal(engineDied(running, running), false);
    assert.equal(engineDied(pod({ phase: 'Pending' }), running), false, 'first start');
    // What the informer cache keeps of a pod is enough to tell.
    const trim = (object: V1Pod) => trimPod(object as KubeObject) as V1Pod;
    assert.equal(engineDied(trim(running), trim(withContainers(container('engine', 2, false)))), true, 'seen through the trimmed cache');
  });

  it('treats deletion, a lost node (Unknown) and DisruptionTarget as terminating', () => {
    assert.equal(isPodTerminating(pod({ phase: 'Running' })), false);
    assert.equal(isPodTerminating(pod({ phase: 'Running' }, { name: 's-0', deletionTimestamp: new Date() })), true);
    assert.equal(isPodTerminating(pod({ phase: 'Unknown' })), true);
    assert.equal(isPodTerminating(pod({ phase: 'Running', conditions: [{ type: 'DisruptionTarget', status: 'True' }] })), true);
  });

  it('reads the engine restart back-off, how long the engine last ran and how it ended, through the trimmed cache', () => {
    const engine = (state: V1ContainerStatus['state'], lastState?: V1ContainerStatus['lastState']): V1ContainerStatus => ({
      name: 'engine', restartCount: 2, ready: false, image: 'redis', imageID: '', state, lastState,
    });
    // The wire carries RFC 3339 strings, which the cache keeps as they are.
    const killed = { terminated: { exitCode: 137, startedAt: '2026-12-07T06:00:00Z', finishedAt: '2026-12-07T06:00:42Z' } } as unknown as V1ContainerStatus['lastState'];
    const trim = (object: V1Pod) => trimPod(object as KubeObject) as V1Pod;
    assert.deepEqual(restartBackOff(trim(withContainers(engine({ waiting: { reason: 'CrashLoopBackOff' } }, killed)))), { lastRunMs: 42_000, lastExitCode: 137 });
    assert.deepEqual(restartBackOff(withContainers(engine({ waiting: { reason: 'CrashLoopBackOff' } }))), {}, 'the kubelet said nothing of the last run');
    assert.equal(restartBackOff(trim(withContainers(engine({ waiting: { reason: 'ContainerCreating' } }, killed)))), undefined, 'not a back-off');
    assert.equal(restartBackOff(trim(withContainers(engine({ running: { startedAt: new Date() } }, killed)))), undefined, 'running again');
  });

  it('keeps what status needs to tell a starting pod from a stuck one, through the trimmed cache', () => {
    const trim = (object: V1Pod) => trimPod(object as KubeObject) as V1Pod;
    const running = { name: 'engine', restartCount: 1, ready: false, image: 'redis', imageID: '', state: { running: { startedAt: '2026-12-07T06:00:00Z' } } } as unknown as V1ContainerStatus;
    const stuck: V1ContainerStatus = { name: 'engine', restartCount: 0, ready: false, image: 'redis:nope', imageID: '', state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "redis:nope"' } } };
    const unscheduled = pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available' }] }, { name: 's-2' });
    const [first, second, third] = observePods('s', [
      trim(pod({ phase: 'Running', containerStatuses: [running], conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: '2026-12-07T06:01:00Z' as unknown as Date }] }, { name: 's-0' })),
      trim(pod({ phase: 'Pending', containerStatuses: [stuck] }, { name: 's-1' })),
      trim(unscheduled),
    ]);
    assert.deepEqual(first!.container, { restarts: 1, runningSince: '2026-12-07T06:00:00Z' });
    assert.equal(first!.notReadySince, '2026-12-07T06:01:00Z');
    assert.deepEqual(second!.container, { restarts: 0, waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "redis:nope"' } });
    assert.equal(third!.unschedulable, '0/3 nodes are available');
  });
});
