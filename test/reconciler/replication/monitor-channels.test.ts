// The health monitor's ping against real redis-server processes: ROLE gives the master's offset and each replica's
// acknowledged offset, which data-bounds.ts turns into bounds on the data of replicas that leave.
import { strict as assert } from 'node:assert';
import { after, describe, it } from 'node:test';
import { openPingChannel, parseMasterRole } from '../../../reconciler/replication/monitor-channels.js';
import { waitFor } from '../../../harness/wait-for.js';
import { command, loopbackHosts, RedisFleet } from '../../../harness/redis-processes.js';

describe('parseMasterRole', () => {
  it('reads the offset and the replicas of a master\'s ROLE reply', () => {
    assert.deepEqual(parseMasterRole(['master', 3129659, [['127.0.0.3', '6379', '3129242'], ['127.0.0.4', '6379', '0']]]), {
      connectedReplicas: 2, offset: 3129659,
      replicas: [{ host: '127.0.0.3', port: 6379, offset: 3129242 }, { host: '127.0.0.4', port: 6379, offset: 0 }],
    });
    assert.deepEqual(parseMasterRole(['master', 0, []]), { connectedReplicas: 0, offset: 0, replicas: [] });
  });
});

describe('openPingChannel on redis-server', () => {
  const fleet = new RedisFleet();
  after(() => fleet.stopAll());

  it('reports the replica leaving with the master\'s offset moving on', async () => {
    const [masterHost, replicaHost] = loopbackHosts(2);
    const master = await fleet.start({ host: masterHost! });
    const replica = await fleet.start({ host: replicaHost!, replicaOf: master });
    const channel = openPingChannel({ host: master.host, port: master.port }, 1000);
    try {
      await command(master, 'SET', 'k', 'v');
      const linked = await waitFor('the replica to acknowledge', async () => {
        const answer = await channel.ping();
        return answer.replicas[0]?.offset ? answer : undefined;
      });
      assert.equal(linked.replicas[0]!.host, replica.host);
      assert.ok(linked.offset >= linked.replicas[0]!.offset);
      await fleet.kill(replica);
      await command(master, 'SET', 'k2', 'v2');
      const left = await waitFor('the replica to leave the list', async () => {
        const answer = await channel.ping();
        return answer.replicas.length === 0 ? answer : undefined;
      });
      assert.ok(left.offset > linked.offset, 'the master kept writing');
    } finally {
      channel.close();
    }
  });
});
