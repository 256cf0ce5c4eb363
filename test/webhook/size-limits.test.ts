/** Issue 12, point 6: maps and lists too large to process are refused up front with a message naming the field. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkCollectionSizes, MAX_COLLECTION_ENTRIES } from '../../webhook/size-limits.js';
import { createWebhookApp } from '../../webhook/app.js';
import { envelope, post } from './http-helpers.js';
import { kvstoreCreate, kvstoreUpdate } from './helpers.js';

const keys = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`key-${i}`, `v${i}`]));
const store = (spec: Record<string, unknown>, metadata: Record<string, unknown> = {}) => ({ metadata: { name: 'cache', ...metadata }, spec });

describe('checkCollectionSizes', () => {
  it('accepts up to the bound in every map and list, refuses one more, naming the field', () => {
    assert.deepEqual(checkCollectionSizes(store({ config: keys(MAX_COLLECTION_ENTRIES), args: Array(MAX_COLLECTION_ENTRIES).fill('--x') }), null), []);
    assert.deepEqual(checkCollectionSizes(store({ config: keys(MAX_COLLECTION_ENTRIES + 1) }), null), [
      { field: 'spec.config', message: `has ${MAX_COLLECTION_ENTRIES + 1} entries; at most ${MAX_COLLECTION_ENTRIES} are accepted` },
    ]);
    const errors = checkCollectionSizes(store({
      args: Array(2000).fill('--x'),
      tolerations: [{ key: 'a' }, { key: 'b', extra: keys(1500) }],
    }, { labels: keys(1100), annotations: { a: 'b' } }), null);
    assert.deepEqual(errors.map((error) => error.field), ['metadata.labels', 'spec.args', 'spec.tolerations[1].extra']);
  });

  it('refuses absurd nesting', () => {
    let nested: Record<string, unknown> = {};
    const root = nested;
    for (let depth = 0; depth < 40; depth += 1) nested = (nested.x = {}) as Record<string, unknown>;
    assert.match(checkCollectionSizes(store({ podTemplate: root }), null)[0]!.message, /nests deeper than 32 levels/);
  });

  it('on UPDATE, a field already over the bound may stay as large, not grow', () => {
    const old = store({ config: keys(2000) });
    assert.deepEqual(checkCollectionSizes(store({ config: keys(2000) }), old), []);
    assert.deepEqual(checkCollectionSizes(store({ config: keys(1999) }), old), []);
    assert.equal(checkCollectionSizes(store({ config: keys(2001) }), old).length, 1);
  });
});

describe('the webhook with a 150,000-key spec.config', () => {
  const app = createWebhookApp();
  const huge = { config: keys(150_000) };

  it('refuses it on every path at once, with the field in the message (it was admitted after a ~1 s stall)', async () => {
    for (const [path, review] of [['/validate/kvstore', kvstoreCreate(huge)], ['/mutate/kvstore', kvstoreCreate(huge)], ['/validate/kvstore', kvstoreUpdate({}, huge)]] as const) {
      // CPU time of this process (server and client both run here), not wall time: other work on the machine must
      // not fail the test, and the event loop is held by CPU work.
      const before = process.cpuUsage();
      const res = await post(app, path, review);
      const used = process.cpuUsage(before);
      const elapsed = (used.user + used.system) / 1000;
      const response = envelope(res.body, review.request.uid);
      assert.equal(response.allowed, false, path);
      assert.equal(response.status?.code, 422);
      assert.match(response.status!.message, /spec\.config: has 150000 entries; at most 1024 are accepted/);
      assert.ok(elapsed < 1_000, `${path} took ${Math.round(elapsed)} ms of CPU`);
    }
  });
});
