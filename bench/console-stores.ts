/**
 * The console benchmark's cluster: the sandbox (pods held Pending, no operator running) holding N KVStores spread
 * over namespaces, each with the status a reconciler would have written, so the list shows what a busy cluster's does.
 */
import { KubeClient } from '../kube/client.js';
import { paths } from '../kube/paths.js';

export interface SeededStore {
  namespace: string;
  name: string;
}

/** Runs `work` over `items` with at most `limit` at once. */
async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]);
  }));
}

export function storeStatus(name: string, phase: string, replicas: number): Record<string, unknown> {
  return {
    phase, replicas, readyReplicas: phase === 'Ready' ? replicas : replicas - 1, master: `${name}-0`,
    pods: Array.from({ length: replicas }, (_, ordinal) => ({ name: `${name}-${ordinal}`, role: ordinal === 0 ? 'master' : 'replica', ready: true, replicationOffset: 1000, lagBytes: 0 })),
  };
}

export function patchStatus(client: KubeClient, store: SeededStore, phase: string): Promise<unknown> {
  return client.patch(`${paths.kvstore(store.namespace, store.name)}/status`, { status: storeStatus(store.name, phase, 3) }, 'merge');
}

/** Creates `count` stores over `namespaces` namespaces (`team-0`, `team-1`, …), each Ready with 3 replicas. */
export async function seedStores(client: KubeClient, count: number, namespaces: number): Promise<SeededStore[]> {
  const names = Array.from({ length: namespaces }, (_, index) => `team-${index}`);
  for (const name of names) await client.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  const stores = Array.from({ length: count }, (_, index) => ({ namespace: names[index % namespaces], name: `store-${String(index).padStart(4, '0')}` }));
  await eachLimited(stores, 16, async (store) => {
    await client.create(paths.kvstores(store.namespace), {
      apiVersion: 'redwing.dev/v1alpha1', kind: 'KVStore', metadata: { name: store.name, namespace: store.namespace },
      spec: { engine: 'redis', replicas: 3 },
    });
    await patchStatus(client, store, 'Ready');
  });
  return stores;
}
