import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { classifyBgsaveReply, judgeBgsave, parsePersistence } from '../../../reconciler/snapshots/bgsave-progress.js';

function redisInfo(fields: { inProgress: 0 | 1; saves?: number; lastSave: number; status: 'ok' | 'err' }): string {
  const lines = ['# Persistence', 'loading:0', `rdb_bgsave_in_progress:${fields.inProgress}`, `rdb_last_save_time:${fields.lastSave}`, `rdb_last_bgsave_status:${fields.status}`];
  if (fields.saves !== undefined) lines.push(`rdb_saves:${fields.saves}`);
  return `${lines.join('\r\n')}\r\n`;
}

describe('classifyBgsaveReply', () => {
  it('knows started, scheduled and already in progress; anything else is a refusal', () => {
    assert.equal(classifyBgsaveReply('Background saving started'), 'started');
    assert.equal(classifyBgsaveReply('Background saving scheduled'), 'scheduled');
    assert.equal(classifyBgsaveReply('ERR Background save already in progress'), 'alreadyInProgress');
    assert.equal(classifyBgsaveReply('OK'), 'started');
    assert.equal(classifyBgsaveReply("ERR Another child process is active (AOF?): can't BGSAVE right now"), undefined);
  });
});

describe('judgeBgsave (redis fields)', () => {
  const before = parsePersistence(redisInfo({ inProgress: 0, saves: 3, lastSave: 100, status: 'ok' }));

  it('running while the fork runs', () => {
    assert.deepEqual(judgeBgsave(before, parsePersistence(redisInfo({ inProgress: 1, saves: 4, lastSave: 100, status: 'ok' })), 'started'), { state: 'running' });
  });

  it('done within the same second as the previous save: the fork counter decides, not rdb_last_save_time', () => {
    assert.deepEqual(judgeBgsave(before, parsePersistence(redisInfo({ inProgress: 0, saves: 4, lastSave: 100, status: 'ok' })), 'started'), { state: 'done', ok: true });
  });

  it('a failed save: rdb_last_bgsave_status err', () => {
    const result = judgeBgsave(before, parsePersistence(redisInfo({ inProgress: 0, saves: 4, lastSave: 100, status: 'err' })), 'started');
    assert.equal(result.state, 'done');
    assert.equal(result.state === 'done' && result.ok, false);
  });

  it('scheduled behind an AOF rewrite: waits until its own fork happened', () => {
    const idle = parsePersistence(redisInfo({ inProgress: 0, saves: 3, lastSave: 100, status: 'ok' }));
    assert.deepEqual(judgeBgsave(before, idle, 'scheduled'), { state: 'running' });
    assert.deepEqual(judgeBgsave(before, parsePersistence(redisInfo({ inProgress: 0, saves: 4, lastSave: 101, status: 'ok' })), 'scheduled'), { state: 'done', ok: true });
  });

  it('already in progress: done when that save has ended', () => {
    const busy = parsePersistence(redisInfo({ inProgress: 1, saves: 3, lastSave: 100, status: 'ok' }));
    assert.deepEqual(judgeBgsave(busy, busy, 'alreadyInProgress'), { state: 'running' });
    assert.deepEqual(judgeBgsave(busy, parsePersistence(redisInfo({ inProgress: 0, saves: 3, lastSave: 102, status: 'ok' })), 'alreadyInProgress'), { state: 'done', ok: true });
  });

  it('without rdb_saves (older engines), rdb_last_save_time moving past the previous one counts', () => {
    const old = parsePersistence(redisInfo({ inProgress: 0, lastSave: 100, status: 'ok' }));
    assert.deepEqual(judgeBgsave(old, parsePersistence(redisInfo({ inProgress: 0, lastSave: 100, status: 'ok' })), 'scheduled'), { state: 'running' });
    assert.deepEqual(judgeBgsave(old, parsePersistence(redisInfo({ inProgress: 0, lastSave: 101, status: 'ok' })), 'scheduled'), { state: 'done', ok: true });
  });
});

describe('judgeBgsave (dragonfly fields, untested against a real dragonfly)', () => {
  it('success and failure from last_success_save / last_failed_save', () => {
    const before = parsePersistence('saving:0\r\nlast_success_save:100\r\n');
    assert.equal(before.fields, 'dragonfly');
    assert.deepEqual(judgeBgsave(before, parsePersistence('saving:1\r\nlast_success_save:100\r\n'), 'started'), { state: 'running' });
    assert.deepEqual(judgeBgsave(before, parsePersistence('saving:0\r\nlast_success_save:105\r\n'), 'started'), { state: 'done', ok: true });
    const failed = judgeBgsave(before, parsePersistence('saving:0\r\nlast_success_save:100\r\nlast_failed_save:106\r\nlast_error:disk full\r\n'), 'started');
    assert.deepEqual(failed, { state: 'done', ok: false, error: 'disk full' });
  });

  it('no known field: the save cannot be confirmed', () => {
    const none = parsePersistence('# Persistence\r\nloading:0\r\n');
    assert.equal(judgeBgsave(none, none, 'started').state, 'unknown');
  });
});
