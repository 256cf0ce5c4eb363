/**
 * Where the engine's cache comes from:
 * - in a cluster, informers on KVPolicies, Namespaces and KVStores (trimmed to what policies read, for `/scale`
 *   requests, which carry a Scale and not the store), by `watchPolicySources`, which relist with backoff whenever
 *   the watch or a list fails, so a restarted API server or a dropped connection heals on its own;
 * - standalone (`redwing webhook --policy FILE`), YAML or JSON files (`loadPolicyFiles`), validated exactly like
 *   `/validate/kvpolicy` validates them, so a file the cluster would refuse is refused here too.
 */
import { readFileSync } from 'node:fs';
import type { V1Namespace } from '@kubernetes/client-node';
import YAML from 'yaml';
import { API_GROUP, API_GROUP_VERSION, API_VERSION, KVPOLICY_KIND, KVPOLICY_PLURAL, KVSTORE_PLURAL } from '../../shared/api.js';
import { createLogger, type Logger } from '../../shared/logger.js';
import type { KVPolicy } from '../../shared/schema/kvpolicy.js';
import type { KVStore } from '../../shared/schema/kvstore.js';
import { formatFieldError } from '../../shared/validators.js';
import { NO_POLICIES } from '../../policy/policy-port.js';
import { validateKVPolicy } from '../validate-kvpolicy.js';
import type { PolicyEngine } from '../../policy/engine.js';
import { validatePolicyObject } from '../../policy/validate-policy.js';
import { isPlainObject } from '../../shared/json-value.js';
import { KubeClient } from '../../kube/client.js';
import type { ClusterSource } from '../../kube/cluster-access.js';
import type { CachedObject, Informer } from '../../kube/informer.js';
import { ListWatchInformer } from '../../kube/list-watch-informer.js';
import { errorMessage } from '../../shared/error-message.js';

export class PolicyFileError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid policy files:\n  ${problems.join('\n  ')}`);
  }
}

/** The KVPolicies in one file's text (YAML, multi-document, or JSON; `kind: List` items are unpacked). */
export function parsePolicyDocuments(text: string, source: string): { policies: KVPolicy[]; problems: string[] } {
  const policies: KVPolicy[] = [];
  const problems: string[] = [];
  const documents = YAML.parseAllDocuments(text);
  documents.forEach((document, index) => {
    const where = documents.length > 1 ? `${source} (document ${index + 1})` : source;
    if (document.errors.length > 0) {
      problems.push(`${where}: ${document.errors[0]!.message.split('\n')[0]}`);
      return;
    }
    const value: unknown = document.toJS();
    if (value === null || value === undefined) return;
    const items = isPlainObject(value) && typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items) ? value.items : [value];
    items.forEach((item: unknown) => {
      const checked = checkPolicyObject(item);
      if (typeof checked === 'string') problems.push(`${where}: ${checked}`);
      else policies.push(checked);
    });
  });
  return { policies, problems };
}

/** The policy, or what is wrong with it: the same checks as `/validate/kvpolicy`. */
export function checkPolicyObject(value: unknown): KVPolicy | string {
  if (!isPlainObject(value)) return 'not an object';
  if (value.kind !== KVPOLICY_KIND || value.apiVersion !== API_GROUP_VERSION) {
    return `expected apiVersion ${API_GROUP_VERSION}, kind ${KVPOLICY_KIND}; got ${String(value.apiVersion)}, ${String(value.kind)}`;
  }
  const name = isPlainObject(value.metadata) ? value.metadata.name : undefined;
  if (typeof name !== 'string' || name === '') return 'metadata.name is required';
  const errors = validateKVPolicy(value, { ...NO_POLICIES, validatePolicy: validatePolicyObject });
  if (errors.length > 0) return `KVPolicy "${name}": ${errors.map(formatFieldError).join('; ')}`;
  return value as unknown as KVPolicy;
}

/**
 * Every KVPolicy in the files, or a PolicyFileError listing every problem (unreadable file, bad YAML, schema or
 * CEL errors, the same name twice). All or nothing: a webhook must not start with half of its policies.
 */
export function loadPolicyFiles(paths: readonly string[]): KVPolicy[] {
  const policies: KVPolicy[] = [];
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const path of paths) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      problems.push(`${path}: ${errorMessage(error)}`);
      continue;
    }
    const parsed = parsePolicyDocuments(text, path);
    problems.push(...parsed.problems);
    for (const policy of parsed.policies) {
      const name = policy.metadata.name!;
      const previous = seen.get(name);
      if (previous) problems.push(`${path}: KVPolicy "${name}" is also defined in ${previous}`);
      else { seen.set(name, path); policies.push(policy); }
    }
  }
  if (problems.length > 0) throw new PolicyFileError(problems);
  return policies;
}

/** Loads the files into the engine (replacing its policies). Returns how many policies were loaded. */
export function loadPolicyFilesInto(engine: PolicyEngine, paths: readonly string[]): number {
  const policies = loadPolicyFiles(paths);
  engine.setPolicies(policies);
  return policies.length;
}

export interface PolicySources {
  /** Resolves when the policy, namespace and store caches are complete. */
  readonly synced: Promise<void>;
  stop(): Promise<void>;
}

/** Calls `set` on add and update, `remove` on delete. */
function follow<T extends CachedObject>(informer: Informer<T>, set: (object: T) => void, remove: (object: T) => void): void {
  informer.on((event, object) => (event === 'delete' ? remove(object) : set(object)));
}

/**
 * Feeds the engine from the cluster: KVPolicies, Namespace labels and KVStores, kept current by list + watch
 * informers (kube/list-watch-informer.ts), which relist with backoff whenever the watch or a list fails.
 */
export function watchPolicySources(engine: PolicyEngine, cluster: ClusterSource, options: { logger?: Logger } = {}): PolicySources {
  const logger = options.logger ?? createLogger('policy-sources');
  const client = new KubeClient(cluster);
  const groupPath = `/apis/${API_GROUP}/${API_VERSION}`;

  const policies = new ListWatchInformer<KVPolicy>(client, { name: 'kvpolicies', path: `${groupPath}/${KVPOLICY_PLURAL}`, logger });
  const upsert = (policy: KVPolicy): void => {
    engine.upsertPolicy(policy);
    const compiled = engine.compiledPolicies().find((candidate) => candidate.name === policy.metadata.name);
    const broken = compiled?.expressions.filter((expression) => !expression.compiled.ok) ?? [];
    if (broken.length > 0) {
      // Admitted while the webhook was not checking policies: every covered store now fails this rule (closed).
      logger.warn({ policy: policy.metadata.name, expressions: broken.map((expression) => expression.index) }, 'KVPolicy has CEL expressions that do not compile');
    } else {
      logger.debug({ policy: policy.metadata.name }, 'policy cached');
    }
  };
  follow(policies, upsert, (policy) => { if (policy.metadata?.name) engine.removePolicy(policy.metadata.name); });

  const namespaces = new ListWatchInformer<V1Namespace>(client, { name: 'namespaces', path: '/api/v1/namespaces', logger });
  follow(namespaces,
    (namespace) => { if (namespace.metadata?.name) engine.setNamespaceLabels(namespace.metadata.name, namespace.metadata.labels ?? {}); },
    (namespace) => { if (namespace.metadata?.name) engine.setNamespaceLabels(namespace.metadata.name, undefined); });

  // Stores, for `/scale` requests: a Scale carries neither the labels policies select by nor the spec their rules
  // read. The engine keeps each one trimmed (no status, no managedFields).
  const stores = new ListWatchInformer<KVStore>(client, { name: 'kvstores', path: `${groupPath}/${KVSTORE_PLURAL}`, logger });
  follow(stores,
    (store) => { if (store.metadata?.name) engine.setStore(store.metadata.namespace ?? '', store.metadata.name, store as unknown as Record<string, unknown>); },
    (store) => { if (store.metadata?.name) engine.setStore(store.metadata.namespace ?? '', store.metadata.name, undefined); });

  const informers = [policies, namespaces, stores];
  return {
    synced: Promise.all(informers.map((informer) => informer.start())).then(() => undefined),
    async stop() {
      for (const informer of informers) informer.stop();
      client.close();
    },
  };
}
