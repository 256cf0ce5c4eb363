import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { SnapshotScheduler } from '../../../reconciler/snapshots/snapshot-scheduler.js';

const logger = pino({ level: 'silent' });

describe('SnapshotScheduler', () => {
  it('keeps one job per store: created, replaced on a cron change, removed with the cron', async () => {
    const scheduler = new SnapshotScheduler({ run: async () => undefined, isLeader: () => true, logger });
    scheduler.set('ns/a', '0 * * * *');
    scheduler.set('ns/b', undefined);
    assert.deepEqual(scheduler.scheduled(), ['ns/a']);
    scheduler.set('ns/a', '*/5 * * * *');
    assert.equal(scheduler.cronOf('ns/a'), '*/5 * * * *');
    scheduler.set('ns/a', '');
    assert.deepEqual(scheduler.scheduled(), []);
    scheduler.set('ns/c', 'not a cron');
    assert.deepEqual(scheduler.scheduled(), [], 'a cron that does not parse schedules nothing');
    await scheduler.stop();
  });

  it('runs only while leading, never two runs of one store at once, and stop() aborts and waits for a run', async () => {
    let leader = false;
    const signals: AbortSignal[] = [];
    let release!: () => void;
    const scheduler = new SnapshotScheduler({
      isLeader: () => leader, logger,
      run: (_key, signal) => {
        signals.push(signal);
        return new Promise<void>((resolve) => {
          release = resolve;
          signal.addEventListener('abort', () => resolve(), { once: true });
        });
      },
    });
    assert.equal(await scheduler.runNow('ns/a'), 'notLeader');
    leader = true;
    const first = scheduler.runNow('ns/a');
    assert.equal(scheduler.isRunning('ns/a'), true);
    assert.equal(await scheduler.runNow('ns/a'), 'busy');
    release();
    assert.equal(await first, 'ran');
    const second = scheduler.runNow('ns/a');
    await scheduler.stop();
    assert.equal(await second, 'ran');
    assert.equal(signals[1]!.aborted, true, 'stop() tells the running save to stop waiting');
    assert.equal(await scheduler.runNow('ns/a'), 'stopped');
  });
});
