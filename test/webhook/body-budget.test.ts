/** The body budget (webhook/body-budget.ts): alone, then in the app under concurrent large requests and aborts. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BodyBudget } from '../../webhook/body-budget.js';
import { createWebhookApp } from '../../webhook/app.js';
import { kvstoreCreate } from './helpers.js';
import { waitFor } from '../../harness/wait-for.js';

describe('BodyBudget', () => {
  it('grants what fits at once, queues the rest, and grants in first-fit order on release', () => {
    const budget = new BodyBudget(100);
    const granted: string[] = [];
    budget.reserve(60, () => granted.push('a'));
    budget.reserve(60, () => granted.push('b'));
    budget.reserve(30, () => granted.push('small'));
    assert.deepEqual(granted, ['a'], 'the small one waits behind the queue head while it is not empty');
    assert.equal(budget.waitingCount, 2);
    budget.release(60);
    assert.deepEqual(granted, ['a', 'b', 'small'], 'b fits, and then the small one next to it');
    assert.equal(budget.reservedBytes, 90);
  });

  it('lets a small request pass a large waiting one when it fits', () => {
    const budget = new BodyBudget(100);
    const granted: string[] = [];
    budget.reserve(70, () => granted.push('a'));
    budget.reserve(70, () => granted.push('large'));
    budget.reserve(10, () => granted.push('tiny'));
    budget.release(0);
    assert.deepEqual(granted, ['a', 'tiny']);
  });

  it('grants a request larger than the budget when nothing else is reserved', () => {
    const budget = new BodyBudget(10);
    let granted = false;
    budget.reserve(50, () => { granted = true; });
    assert.equal(granted, true);
  });

  it('forgets a cancelled waiter', () => {
    const budget = new BodyBudget(10);
    const granted: string[] = [];
    budget.reserve(10, () => granted.push('a'));
    const cancel = budget.reserve(10, () => granted.push('gone'));
    cancel();
    budget.release(10);
    assert.deepEqual(granted, ['a']);
    assert.equal(budget.reservedBytes, 0);
  });
});

describe('the app under concurrent large bodies', () => {
  class RecordingBudget extends BodyBudget {
    highestReserved = 0;
    override reserve(bytes: number, grant: () => void): () => void {
      return super.reserve(bytes, () => {
        this.highestReserved = Math.max(this.highestReserved, this.reservedBytes);
        grant();
      });
    }
  }
  const budget = new RecordingBudget(1024 * 1024);
  const server = createServer(createWebhookApp({ bodyBudget: budget, bodyReadTimeoutMs: 500 }));
  before(() => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve)));
  after(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  const port = () => (server.address() as AddressInfo).port;

  /** A valid review padded (with an annotation) to about `bytes`. */
  function paddedReview(bytes: number): string {
    const review = kvstoreCreate({});
    (review.request.object!.metadata as Record<string, unknown>).annotations = { pad: 'x'.repeat(bytes) };
    return JSON.stringify(review);
  }

  function post(body: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: port(), method: 'POST', path: '/validate/kvstore', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  it('answers every request while holding at most the budget (one 700 KiB body at a time in 1 MiB)', async () => {
    const body = paddedReview(700 * 1024);
    const statuses = await Promise.all(Array.from({ length: 6 }, () => post(body)));
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 200]);
    assert.ok(budget.highestReserved <= 1024 * 1024, `held ${budget.highestReserved} bytes`);
    assert.equal(budget.reservedBytes, 0);
  });

  it('a client that stalls while sending is cut after the read timeout, and the next request goes through', async () => {
    const body = paddedReview(700 * 1024);
    const stalled = httpRequest({ host: '127.0.0.1', port: port(), method: 'POST', path: '/validate/kvstore', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } });
    const cut = new Promise<void>((resolve) => stalled.on('error', () => resolve()).on('close', () => resolve()));
    stalled.write(body.slice(0, 1000));
    // Polled, not slept: on a loaded machine the server may take a while to read the headers.
    await waitFor('the stalled request to reserve its share', () => budget.reservedBytes > 0, 10_000, 20);
    assert.equal(budget.reservedBytes, Buffer.byteLength(body), 'the stalled request holds its share');
    const started = performance.now();
    assert.equal(await post(body), 200, 'answered once the stalled one is cut');
    await cut;
    assert.ok(performance.now() - started < 5_000);
    assert.equal(budget.reservedBytes, 0);
  });

  it('a client that goes away while waiting or sending gives its share back', async () => {
    const body = paddedReview(700 * 1024);
    // Two clients that announce 700 KiB and send only part of it: the first holds the budget, the second waits.
    const quitters = [0, 1].map(() => {
      const req = httpRequest({ host: '127.0.0.1', port: port(), method: 'POST', path: '/validate/kvstore', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } });
      req.on('error', () => undefined);
      req.write(body.slice(0, 1000));
      return req;
    });
    await waitFor('one client holding the budget and one waiting', () => budget.reservedBytes > 0 && budget.waitingCount === 1, 10_000, 20);
    for (const req of quitters) req.destroy();
    await waitFor('both shares given back', () => budget.reservedBytes === 0 && budget.waitingCount === 0, 10_000, 20);
    assert.equal(await post(body), 200);
  });
});
