/**
 * Where the engine's cache comes from:
 * - in a cluster, informers on KVPolicies, Namespaces and KVStores (trimmed to what policies read, for `/scale`
 *   requests, which carry a Scale and not the store), by
 *   `watchPolicySources`, restarted with backoff whenever the watch or a relist fails, so a restarted API server or a
 *   dropped connection heals on its own;
 * - standalone (`redwing webhook --policy FILE`), YAML or JSON files (`loadPolicyFiles`), validated exactly like
 *   `/validate/kvpolicy` validates them, so a file the cluster would refuse is refused here too.
 */
import { readFileSync } from 'node:fs';
import {
  CoreV1Api, CustomObjectsApi, makeInformer, type Informer, type KubeConfig, type KubernetesObject, type V1Namespace,
} from '@kubernetes/client-node';
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
      problems.push(`${path}: ${error instanceof Error ? error.message : String(error)}`);
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

export interface InformerLoopOptions {
  logger: Logger;
  name: string;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

export interface InformerLoop {
  /** Resolves once the informer has listed successfully (its cache is complete). */
  readonly synced: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts an informer and keeps it running: after an error (failed list, broken watch) it restarts it with
 * exponential backoff (doubling up to `maxBackoffMs`, reset by a successful start).
 */
export function keepInformerRunning<T extends KubernetesObject>(informer: Informer<T>, options: InformerLoopOptions): InformerLoop {
  const initial = options.initialBackoffMs ?? 500;
  const max = options.maxBackoffMs ?? 30_000;
  let backoffMs = initial;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let failedSinceStart = false;
  let markSynced!: () => void;
  const synced = new Promise<void>((resolve) => { markSynced = resolve; });

  const onError = (error?: unknown): void => {
    failedSinceStart = true;
    if (stopped) return;
    options.logger.warn({ err: error, informer: options.name, retryInMs: backoffMs }, 'informer failed; restarting');
    clearTimeout(timer);
    timer = setTimeout(() => { void start(); }, backoffMs);
    backoffMs = Math.min(backoffMs * 2, max);
  };
  const start = async (): Promise<void> => {
    if (stopped) return;
    failedSinceStart = false;
    try {
      await informer.start();
    } catch (error) {
      // Failures before the request (credentials that cannot be read, no current cluster) throw instead of
      // reaching the error callback.
      onError(error);
      return;
    }
    if (!failedSinceStart && !stopped) {
      backoffMs = initial;
      markSynced();
    }
  };
  informer.on('error', onError);
  void start();
  return {
    synced,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await informer.stop();
    },
  };
}

export interface PolicySources {
  /** Resolves when the policy, namespace and store caches are complete. */
  readonly synced: Promise<void>;
  stop(): Promise<void>;
}

/** Feeds the engine from the cluster: KVPolicies, Namespace labels and KVStores, kept current by watches. */
export function watchPolicySources(engine: PolicyEngine, kubeConfig: KubeConfig, options: { logger?: Logger } = {}): PolicySources {
  const logger = options.logger ?? createLogger('policy-sources');
  const customObjects = kubeConfig.makeApiClient(CustomObjectsApi);
  const core = kubeConfig.makeApiClient(CoreV1Api);

  const policies = makeInformer<KVPolicy & KubernetesObject>(kubeConfig, `/apis/${API_GROUP}/${API_VERSION}/${KVPOLICY_PLURAL}`,
    async () => customObjects.listClusterCustomObject({ group: API_GROUP, version: API_VERSION, plural: KVPOLICY_PLURAL }));
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
  policies.on('add', upsert);
  policies.on('update', upsert);
  policies.on('delete', (policy) => { if (policy.metadata?.name) engine.removePolicy(policy.metadata.name); });

  const namespaces = makeInformer<V1Namespace>(kubeConfig, '/api/v1/namespaces', async () => core.listNamespace());
  const setLabels = (namespace: V1Namespace): void => {
    if (namespace.metadata?.name) engine.setNamespaceLabels(namespace.metadata.name, namespace.metadata.labels ?? {});
  };
  namespaces.on('add', setLabels);
  namespaces.on('update', setLabels);
  namespaces.on('delete', (namespace) => { if (namespace.metadata?.name) engine.setNamespaceLabels(namespace.metadata.name, undefined); });

  // Stores, for `/scale` requests: a Scale carries neither the labels policies select by nor the spec their rules
  // read. The engine keeps each one trimmed (no status, no managedFields).
  const stores = makeInformer<KVStore & KubernetesObject>(kubeConfig, `/apis/${API_GROUP}/${API_VERSION}/${KVSTORE_PLURAL}`,
    async () => customObjects.listClusterCustomObject({ group: API_GROUP, version: API_VERSION, plural: KVSTORE_PLURAL }));
  const setStore = (store: KVStore): void => {
    if (store.metadata?.name) engine.setStore(store.metadata.namespace ?? '', store.metadata.name, store as unknown as Record<string, unknown>);
  };
  stores.on('add', setStore);
  stores.on('update', setStore);
  stores.on('delete', (store) => { if (store.metadata?.name) engine.setStore(store.metadata.namespace ?? '', store.metadata.name, undefined); });

  const loops = [
    keepInformerRunning(policies, { logger, name: 'kvpolicies' }),
    keepInformerRunning(namespaces, { logger, name: 'namespaces' }),
    keepInformerRunning(stores, { logger, name: 'kvstores' }),
  ];
  return {
    synced: Promise.all(loops.map((loop) => loop.synced)).then(() => undefined),
    async stop() {
      await Promise.all(loops.map((loop) => loop.stop()));
    },
  };
}
