/**
 * Whether the user may list a collection, asked once before a feed watches it: a refusal (401/403) or a resource
 * the API server does not serve (404: an older CRD set) ends that part of the feed with a message, instead of a
 * watch that retries forever.
 */
import type { KubeClient } from '../kube/client.js';
import { statusCodeOf } from '../kube/errors.js';

export type ListAccess = 'allowed' | 'forbidden' | 'not-served';

export async function listAccess(client: KubeClient, path: string, labelSelector?: string): Promise<ListAccess> {
  try {
    await client.list(path, labelSelector, { limit: 1 });
    return 'allowed';
  } catch (error) {
    const status = statusCodeOf(error);
    if (status === 403 || status === 401) return 'forbidden';
    if (status === 404) return 'not-served';
    throw error;
  }
}
