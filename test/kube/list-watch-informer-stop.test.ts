/** A stopped informer retries nothing, and a start() still waiting for its first list resolves. */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { KubeClient, type KubeList } from '../../kube/client.js';
import { ListWatchInformer } from '../../kube/list-watch-informer.js';
import { waitFor } from '../../harness/wait-for.js';

/** Every list fails as a refused connection would; nothing is ever sent. */
class RefusingClient extends KubeClient {
  lists = 0;

  constructor() {
    super({ server: 'https://127.0.0.1:1', tls: {}, headers: async () => ({}) });
  }

  override list<T>(): Promise<KubeList<T>> {
    this.lists += 1;
    return Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:1'));
  }
}

describe('ListWatchInformer stop', () => {
  it('retries a failing list with backoff until stopped, then never again', async () => {
    const client = new RefusingClient();
    const informer = new ListWatchInformer(client, { name: 'refused', path: '/api/v1/configmaps', baseBackoffMs: 5, maxBackoffMs: 20 });
    const synced = informer.start();
    await waitFor('a few retries', () => client.lists >= 3, 5_000, 5);
    assert.equal(informer.hasSynced, false);
    informer.stop();
    await synced;
    const listsAtStop = client.lists;
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(client.lists, listsAtStop, 'no list after stop');
  });
});
