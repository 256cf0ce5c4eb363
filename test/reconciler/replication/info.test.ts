import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { engineStateFromInfo, parseInfo, parseInfoRecord } from '../../../reconciler/replication/info.js';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/replication/${name}`, import.meta.url), 'utf8');

test('parseInfo reads CRLF INFO text, skipping headers', () => {
  const fields = parseInfo(fixture('redis7-master.info.txt'));
  assert.equal(fields.role, 'master');
  assert.equal(fields.redis_version, '7.0.15');
  assert.equal(fields.master_replid, 'db8fe3eff36d2cd88c9b4c1598dbcfed115e1b51');
  assert.equal(fields['# Replication'], undefined);
  assert.deepEqual(parseInfoRecord('keys=2,expires=0,avg_ttl=0'), { keys: '2', expires: '0', avg_ttl: '0' });
});

test('a master: offsets, connected replicas, keys', () => {
  const state = engineStateFromInfo('127.0.0.2', 17001, fixture('redis7-master.info.txt'));
  assert.equal(state.role, 'master');
  assert.equal(state.engine, 'redis');
  assert.equal(state.replicationOffset, state.masterReplOffset);
  assert.ok(state.replicationOffset > 0);
  assert.equal(state.connectedReplicas.length, 1);
  assert.deepEqual(state.connectedReplicas[0], { host: '127.0.0.1', port: 17002, state: 'wait_bgsave', offset: 0, lagSeconds: 0 });
  assert.equal(state.keys, 1);
  assert.equal(state.fenced, false);
  assert.equal(state.runId, 'ef4783ab2f0ca4fa5c27bb421e037e4947500357');
  assert.ok(state.rdbLastSaveTime > 1_700_000_000);
});

test('a replica: master address, link, processed offset', () => {
  const state = engineStateFromInfo('127.0.0.3', 17002, fixture('redis7-replica.info.txt'));
  assert.equal(state.role, 'replica');
  assert.equal(state.masterHost, '127.0.0.2');
  assert.equal(state.masterPort, 17001);
  assert.equal(state.masterLinkUp, false);
  assert.equal(state.slaveReplOffset, 130);
  assert.equal(state.replicationOffset, 130);
  assert.equal(state.keys, 2);
  assert.equal(state.fenced, false);
});

test('a freshly booted fenced pod has no data and is recognised as fenced', () => {
  const state = engineStateFromInfo('127.0.0.4', 17003, fixture('redis7-fenced.info.txt'));
  assert.equal(state.role, 'replica');
  assert.equal(state.fenced, true);
  // slave_repl_offset reads 1 on an empty replica; it must not count as data.
  assert.equal(state.raw.slave_repl_offset, '1');
  assert.equal(state.replicationOffset, 0);
  assert.equal(engineStateFromInfo('h', 1, fixture('redis7-fenced.info.txt'), { host: '10.0.0.1', port: 1 }).fenced, false);
});

test('a promoted replica keeps the old replication ID as replid2 and where its own history starts', () => {
  const state = engineStateFromInfo('127.0.0.3', 17002, fixture('redis7-promoted.info.txt'));
  assert.equal(state.role, 'master');
  assert.equal(state.masterReplid2, 'db8fe3eff36d2cd88c9b4c1598dbcfed115e1b51');
  assert.equal(state.secondReplOffset, 81);
  assert.equal(state.replicationOffset, 130);
});
