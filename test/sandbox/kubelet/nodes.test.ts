// The kubelet's Node heartbeats: a status report refreshes every condition's lastHeartbeatTime and keeps its
// lastTransitionTime, which only a change of state (a lost node) moves.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import { pino } from 'pino';
import { sandboxClient } from '../../../sandbox/controllers/kube-io.js';
import { NodeRegistry } from '../../../sandbox/kubelet/nodes.js';
import { useTestApiServer } from '../../helpers/api-server.js';
import { setTimeout as sleep } from 'node:timers/promises';


describe('node heartbeats', () => {
  const api = useTestApiServer({ dirPrefix: 'redwing-nodes-', strict: true });

  it('report keeps lastTransitionTime and moves lastHeartbeatTime; a state change moves both', async () => {
    const core = api.kubeConfig.makeApiClient(CoreV1Api);
    const registry = new NodeRegistry(core, sandboxClient(api.kubeConfig), ['hb-node'], () => false, pino({ level: 'silent' }));
    await registry.register('hb-node', 0, 10250);
    const ready = async () => (await core.readNode({ name: 'hb-node' })).status!.conditions!.find((c) => c.type === 'Ready')!;
    const first = await ready();
    await sleep(1100); // RFC 3339 seconds
    await registry.reportStatus();
    const second = await ready();
    assert.equal(second.status, 'True');
    assert.equal(String(second.lastTransitionTime), String(first.lastTransitionTime));
    assert.ok(new Date(second.lastHeartbeatTime!).getTime() > new Date(first.lastHeartbeatTime!).getTime());
    await sleep(1100);
    await registry.setReady('hb-node', 'Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.', true);
    const lost = await ready();
    assert.equal(lost.status, 'Unknown');
    assert.ok(new Date(lost.lastTransitionTime!).getTime() > new Date(first.lastTransitionTime!).getTime());
    await registry.setReady('hb-node', 'True', 'KubeletReady', 'kubelet is posting ready status', false);
    assert.equal((await core.readNode({ name: 'hb-node' })).spec?.taints ?? null, null, 'the unreachable taints are gone again');
    registry.stop();
  });
});
