// The engine layer against a server that answers what a real Dragonfly v1.34.1 answered, byte for byte
// (test/helpers/resp-replay-server.ts over ../shared/research/dragonfly): probe, the mark, REPLICAOF refused at once,
// REPLTAKEOVER ending the old master, CONFIG SET of what Dragonfly refuses, the health monitor's ping.
import { strict as assert } from 'node:assert';
import { after, describe, it } from 'node:test';
import { ASSIGNED_MARK_USER } from '../../../reconciler/desired/constants.js';
import { applyConfigLive } from '../../../reconciler/replication/live-config.js';
import { openPingChannel } from '../../../reconciler/replication/monitor-channels.js';
import { probeEngine } from '../../../reconciler/replication/probe.js';
import { promoteToMaster, replicateFrom } from '../../../reconciler/replication/promotion.js';
import { switchover } from '../../../reconciler/replication/switchover.js';
import {
  dragonflyRecordingsSkip, readRecordings, startRespReplayServer, type ReplayServer, type ReplaySource,
} from '../../helpers/resp-replay-server.js';

const recordings = readRecordings('transcripts.json');
/** The recorded password of every scenario. */
const PASSWORD = 'p';
/** INFO server/persistence/keyspace, CLIENT SETNAME: recorded on this node only; other nodes borrow them. */
const MASTER: ReplaySource = { scenario: 'master-rdb-format', node: 'master' };

const servers: ReplayServer[] = [];
after(async () => {
  for (const server of servers) await server.close();
});

/** ACL LIST as recorded, plus the mark line once a test's server received ACL SETUSER for it. */
function aclList(marked: boolean): string {
  const recorded = recordings.find((entry) => entry.scenario === MASTER.scenario && entry.node === MASTER.node && entry.command.join(' ') === 'ACL LIST');
  const lines = [...(recorded?.reply as string[]), ...(marked ? [`user ${ASSIGNED_MARK_USER} off resetchannels -@all $all`] : [])];
  return `*${lines.length}\r\n${lines.map((line) => `$${Buffer.byteLength(line)}\r\n${line}\r\n`).join('')}`;
}

function recordedRaw(scenario: string, node: string, command: string): string {
  const entry = recordings.find((e) => e.scenario === scenario && e.node === node && e.command.join(' ') === command);
  assert.ok(entry, `recorded: ${scenario}/${node} ${command}`);
  return entry.raw;
}

interface Node {
  server: ReplayServer;
  sources: ReplaySource[];
  marked(): boolean;
  endpoint: { host: string; port: number; password: string };
}

/** A replayed node; ACL SETUSER of the mark and ACL LIST are answered from its own state (set by the engine layer). */
async function node(sources: ReplaySource[], options: { marked?: boolean; respond?: (command: string[]) => string | undefined } = {}): Promise<Node> {
  let marked = options.marked ?? false;
  const mutableSources = [...sources, MASTER];
  const server = await startRespReplayServer({
    recordings,
    sources: mutableSources,
    respond(command) {
      const custom = options.respond?.(command);
      if (custom !== undefined) return custom;
      const words = command.map((word) => word.toUpperCase());
      if (words[0] === 'ACL' && words[1] === 'LIST') return aclList(marked);
      if (words[0] === 'ACL' && words[1] === 'SETUSER' && command[2] === ASSIGNED_MARK_USER) {
        marked = true;
        // The recorded reply to an ACL SETUSER that creates a user.
        return recordedRaw(MASTER.scenario, MASTER.node, 'ACL SETUSER exporter on >pw +info +ping');
      }
      return undefined;
    },
  });
  servers.push(server);
  return { server, sources: mutableSources, marked: () => marked, endpoint: { host: server.host, port: server.port, password: PASSWORD } };
}

const sent = (server: ReplayServer, ...words: string[]) => server.received.some((command) => words.every((word, index) => command[index]?.toUpperCase() === word.toUpperCase()));

describe('the Dragonfly engine layer against recorded replies', { skip: dragonflyRecordingsSkip }, () => {
  it('probes a Dragonfly master: engine, version and keys from INFO; fenced until the reconciler marked it', async () => {
    const master = await node([{ scenario: 'replicaof-no-one', node: 'former-replica' }]);
    const unmarked = await probeEngine(master.endpoint, 2000);
    assert.ok(unmarked.reachable, !unmarked.reachable ? unmarked.error : '');
    assert.equal(unmarked.state.engine, 'dragonfly');
    assert.equal(unmarked.state.version, 'df-v1.34.1');
    assert.equal(unmarked.state.keys, 1000);
    assert.equal(unmarked.state.fenced, true);
    const promoted = await promoteToMaster({ pod: 'df-0', endpoint: master.endpoint });
    assert.equal(promoted.outcome, 'done', promoted.detail);
    assert.equal(master.marked(), true);
    const marked = await probeEngine(master.endpoint, 2000);
    assert.ok(marked.reachable);
    assert.equal(marked.state.role, 'master');
    assert.equal(marked.state.fenced, false);
  });

  it('REPLICAOF to a master it cannot sync from fails at once (replication cancelled) and leaves the pod unmarked', async () => {
    const replica = await node([{ scenario: 'replica-of-dead-master', node: 'replica' }]);
    const step = await replicateFrom({ pod: 'df-1', endpoint: replica.endpoint }, { host: '127.0.0.1', port: 16499 });
    assert.equal(step.outcome, 'failed');
    assert.match(step.detail, /replication cancelled/);
    assert.equal(replica.marked(), false, 'still out of the Services');
  });

  it('REPLICAOF that Dragonfly accepts marks a restarted pod; a demoted master gets no CLIENT KILL TYPE (Dragonfly has none)', async () => {
    const restarted = await node([{ scenario: 'replication-main-port', node: 'replica' }]);
    const step = await replicateFrom({ pod: 'df-1', endpoint: restarted.endpoint }, { host: '127.0.0.1', port: 16400 });
    assert.equal(step.outcome, 'done', step.detail);
    assert.match(step.detail, /was fenced/);
    assert.equal(restarted.marked(), true);

    const master = await node([{ scenario: 'replicaof-no-one', node: 'former-replica' }, { scenario: 'replication-main-port', node: 'replica' }], { marked: true });
    const demoted = await replicateFrom({ pod: 'df-0', endpoint: master.endpoint }, { host: '127.0.0.1', port: 16400 });
    assert.equal(demoted.outcome, 'done', demoted.detail);
    assert.match(demoted.detail, /was master/);
    assert.ok(sent(master.server, 'REPLICAOF', '127.0.0.1', '16400'));
    assert.equal(sent(master.server, 'CLIENT', 'KILL'), false);
  });

  it('switchover by REPLTAKEOVER: the target takes over and the old master, whose process exits, is not waited for', async () => {
    const oldMaster = await node([{ scenario: 'repltakeover', node: 'master' }], { marked: true });
    const target: Node = await node([
      { scenario: 'repltakeover', node: 'replica' },
      { scenario: 'replication-main-port-stable', node: 'replica' },
    ], {
      marked: true,
      respond(command) {
        if (command[0]?.toUpperCase() !== 'REPLTAKEOVER') return undefined;
        // From here the node is the new master of the recording.
        target.sources.splice(0, target.sources.length, { scenario: 'repltakeover', node: 'new-master' }, MASTER);
        return recordedRaw('repltakeover', 'replica', 'REPLTAKEOVER 10');
      },
    });
    const result = await switchover({ pod: 'df-0', endpoint: oldMaster.endpoint }, { pod: 'df-1', endpoint: target.endpoint }, { engine: 'dragonfly', timeoutMs: 2000 });
    assert.equal(result.ok, true, result.detail);
    assert.match(result.detail, /REPLTAKEOVER/);
    assert.ok(sent(target.server, 'REPLTAKEOVER'));
    assert.equal(sent(target.server, 'FAILOVER'), false);
    assert.deepEqual(oldMaster.server.received, [], 'nothing is sent to the old master, which exits');
  });

  it('REPLTAKEOVER on a replica whose master is down is refused (Full sync not done)', async () => {
    const target = await node([
      { scenario: 'repltakeover-master-down', node: 'replica' },
      { scenario: 'master-killed-under-replica', node: 'replica', from: 5 },
    ], { marked: true });
    const oldMaster = await node([{ scenario: 'repltakeover', node: 'master' }], { marked: true });
    const result = await switchover({ pod: 'df-0', endpoint: oldMaster.endpoint }, { pod: 'df-1', endpoint: target.endpoint }, { engine: 'dragonfly', timeoutMs: 2000 });
    assert.equal(result.ok, false);
    assert.match(result.detail, /Full sync not done/);
  });

  it('CONFIG SET: what Dragonfly refuses is rejected, dir needs a restart, a dash-spelt key is read back under its flag name', async () => {
    const master = await node([MASTER]);
    const result = await applyConfigLive(master.endpoint, {
      'maxmemory-policy': 'allkeys-lru', save: '3600 1', dir: '/data', 'tcp-keepalive': '300', maxmemory: '500mb',
    });
    assert.deepEqual(result.rejected.map((entry) => entry.key).sort(), ['maxmemory-policy', 'save']);
    assert.match(result.rejected[0]!.reason, /Unknown option/);
    assert.deepEqual(result.needsRestart.map((entry) => entry.key), ['dir']);
    assert.ok(result.unchanged.includes('tcp-keepalive'));
    assert.equal(sent(master.server, 'CONFIG', 'SET', 'tcp-keepalive'), false, 'CONFIG GET tcp-keepalive answers tcp_keepalive 300: no SET needed');
  });

  it('the health monitor\'s ping: a marked master answers, an unmarked one (restarted since) counts as lost', async () => {
    const marked = await node([MASTER], { marked: true });
    const unmarked = await node([MASTER]);
    const good = openPingChannel(marked.endpoint, 1000);
    const lost = openPingChannel(unmarked.endpoint, 1000);
    try {
      assert.deepEqual(await good.ping(), { connectedReplicas: 0, offset: 0, replicas: [] });
      await assert.rejects(lost.ping(), /no assigned mark/);
    } finally {
      good.close();
      lost.close();
    }
  });
});
