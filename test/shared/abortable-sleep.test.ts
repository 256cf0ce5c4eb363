import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sleepUnlessAborted } from '../../shared/abortable-sleep.js';

describe('shared/abortable-sleep', () => {
  it('ends when the signal fires, long before the time is up', async () => {
    const controller = new AbortController();
    const sleeping = sleepUnlessAborted(600_000, controller.signal);
    controller.abort();
    assert.equal(await sleeping, undefined);
  });

  it('ends at once on a signal that has already fired', async () => {
    assert.equal(await sleepUnlessAborted(600_000, AbortSignal.abort()), undefined);
  });

  it('waits the time out without a signal', async () => {
    assert.equal(await sleepUnlessAborted(1, undefined), undefined);
  });
});
