/**
 * The background audit loop: on a period and shortly after any policy, store or namespace change, list every
 * KVPolicy, KVStore and Namespace, audit (audit.ts), then write
 * - each KVPolicy's status (violations, offenders, lastAuditTime) through the status subresource (merge patch);
 * - each KVStore's `PolicyCompliant` condition, only when it changed, with a guarded JSON Patch that touches no
 *   other condition (conditions.ts).
 *
 * Only the leader writes: every run asks `isLeader()` first (the reconciler's leader election answers), so a
 * standby replica keeps its watches warm but never writes. Runs never overlap; changes during a run schedule one
 * more run. Change detection ignores status-only updates (generation and labels are compared), so the audit's own
 * writes do not trigger it again.
 */
import {
  CoreV1Api, CustomObjectsApi, makeInformer, PatchStrategy, setHeaderOptions, type KubeConfig, type KubernetesObject,
  type V1Namespace,
} from '@kubernetes/client-node';
import { API_GROUP, API_VERSION, KVPOLICY_PLURAL, KVSTORE_PLURAL } from '../../shared/api.js';
import { createLogger, type Logger } from '../../shared/logger.js';
import type { KVPolicy } from '../../shared/schema/kvpolicy.js';
import type { KVStore } from '../../shared/schema/kvstore.js';
import { keepInformerRunning, type InformerLoop } from '../../webhook/policy/sources.js';
import type { Labels } from '../../webhook/policy/match.js';
import { auditStores, type AuditOptions } from './audit.js';
import { conditionPatch, policyCompliantCondition, POLICY_COMPLIANT, sameCondition } from './conditions.js';

export const DEFAULT_AUDIT_PERIOD_MS = 60_000;
export const DEFAULT_AUDIT_DEBOUNCE_MS = 1_000;
/** How often leadership is polled, so a new leader audits soon after it takes over rather than a period later. */
export const DEFAULT_LEADER_POLL_MS = 2_000;
export const FIELD_MANAGER = 'redwing-policy-audit';

export interface PolicyAuditOptions extends AuditOptions {
  kubeConfig: KubeConfig;
  /** Asked before every run; only the leader audits. Default: always. */
  isLeader?: () => boolean;
  periodMs?: number;
  /** Delay between a change and the run it triggers, so a burst of changes costs one run. */
  debounceMs?: number;
  leaderPollMs?: number;
  /** Watch policies, stores and namespaces to run on changes (default true; the period runs regardless). */
  watchChanges?: boolean;
  logger?: Logger;
  now?: () => Date;
}

export interface AuditRunSummary {
  skipped: boolean;
  policies: number;
  stores: number;
  nonCompliantStores: number;
  policyStatusWrites: number;
  conditionWrites: number;
  errors: number;
}

export interface PolicyAudit {
  /** Runs one audit now (waits for a run in progress first). */
  runOnce(): Promise<AuditRunSummary>;
  /** Schedules a run after the debounce delay. */
  trigger(): void;
  stop(): Promise<void>;
}

type StoreObject = KVStore & KubernetesObject;

function fingerprint(object: KubernetesObject): string {
  return JSON.stringify([object.metadata?.generation ?? null, object.metadata?.labels ?? {}]);
}

export function startPolicyAudit(options: PolicyAuditOptions): PolicyAudit {
  const logger = options.logger ?? createLogger('policy-audit');
  const isLeader = options.isLeader ?? (() => true);
  const now = options.now ?? (() => new Date());
  const debounceMs = options.debounceMs ?? DEFAULT_AUDIT_DEBOUNCE_MS;
  const objects = options.kubeConfig.makeApiClient(CustomObjectsApi);
  const core = options.kubeConfig.makeApiClient(CoreV1Api);
  const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  const jsonPatch = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);

  let stopped = false;
  let running: Promise<AuditRunSummary> | undefined;
  let rerun = false;
  let debounceTimer: NodeJS.Timeout | undefined;

  async function audit(): Promise<AuditRunSummary> {
    const summary: AuditRunSummary = { skipped: true, policies: 0, stores: 0, nonCompliantStores: 0, policyStatusWrites: 0, conditionWrites: 0, errors: 0 };
    if (!isLeader()) return summary;
    summary.skipped = false;
    const [policyList, storeList, namespaceList] = await Promise.all([
      objects.listClusterCustomObject({ group: API_GROUP, version: API_VERSION, plural: KVPOLICY_PLURAL }) as Promise<{ items: KVPolicy[] }>,
      objects.listClusterCustomObject({ group: API_GROUP, version: API_VERSION, plural: KVSTORE_PLURAL }) as Promise<{ items: KVStore[] }>,
      core.listNamespace(),
    ]);
    const namespaceLabels = new Map<string, Labels>();
    for (const namespace of namespaceList.items) {
      if (namespace.metadata?.name) namespaceLabels.set(namespace.metadata.name, namespace.metadata.labels ?? {});
    }
    const report = auditStores(policyList.items, storeList.items, namespaceLabels, options);
    const auditTime = now().toISOString().replace(/\.\d{3}Z$/, 'Z');
    summary.policies = report.policies.size;
    summary.stores = report.stores.length;

    for (const [name, result] of report.policies) {
      // Leadership can be lost mid-run; stop writing as soon as it is.
      if (stopped || !isLeader()) return summary;
      try {
        await objects.patchClusterCustomObjectStatus({
          group: API_GROUP, version: API_VERSION, plural: KVPOLICY_PLURAL, name, fieldManager: FIELD_MANAGER,
          body: { status: { violations: result.violations, offenders: result.offenders, lastAuditTime: auditTime } },
        }, mergePatch);
        summary.policyStatusWrites += 1;
      } catch (error) {
        summary.errors += 1;
        logger.warn({ err: error, policy: name }, 'writing KVPolicy status failed');
      }
    }

    const storesByKey = new Map(storeList.items.map((store) => [`${store.metadata?.namespace}/${store.metadata?.name}`, store]));
    for (const compliance of report.stores) {
      if (compliance.violations.length > 0) summary.nonCompliantStores += 1;
      if (stopped || !isLeader()) return summary;
      const store = storesByKey.get(`${compliance.namespace}/${compliance.name}`)!;
      const previous = store.status?.conditions?.find((condition) => condition.type === POLICY_COMPLIANT);
      const condition = policyCompliantCondition(compliance, previous, now());
      if (sameCondition(previous, condition)) continue;
      try {
        await objects.patchNamespacedCustomObjectStatus({
          group: API_GROUP, version: API_VERSION, namespace: compliance.namespace, plural: KVSTORE_PLURAL, name: compliance.name,
          fieldManager: FIELD_MANAGER, body: conditionPatch(store.status, store.metadata?.resourceVersion, condition),
        }, jsonPatch);
        summary.conditionWrites += 1;
      } catch (error) {
        // A concurrent status write failed our test op: the next run (soon, since that write is a change) retries.
        summary.errors += 1;
        logger.info({ err: error, store: `${compliance.namespace}/${compliance.name}` }, 'writing PolicyCompliant failed; will retry');
      }
    }
    logger.debug(summary, 'policy audit done');
    return summary;
  }

  function runOnce(): Promise<AuditRunSummary> {
    if (running) return running.then(() => runOnce());
    running = audit().finally(() => {
      running = undefined;
      if (rerun && !stopped) {
        rerun = false;
        trigger();
      }
    });
    return running;
  }

  function runLogged(): void {
    runOnce().catch((error: unknown) => logger.warn({ err: error }, 'policy audit failed'));
  }

  function trigger(): void {
    if (stopped) return;
    if (running) { rerun = true; return; }
    clearTimeout(debounceTimer);
    debounceTimer = setTimeout(runLogged, debounceMs);
  }

  const periodTimer = setInterval(() => { if (!running) runLogged(); }, options.periodMs ?? DEFAULT_AUDIT_PERIOD_MS);
  periodTimer.unref?.();
  let wasLeader = isLeader();
  const leaderTimer = setInterval(() => {
    const leader = isLeader();
    if (leader && !wasLeader) trigger();
    wasLeader = leader;
  }, options.leaderPollMs ?? DEFAULT_LEADER_POLL_MS);
  leaderTimer.unref?.();

  const loops: InformerLoop[] = [];
  if (options.watchChanges !== false) {
    const watch = <T extends KubernetesObject>(name: string, path: string, list: () => Promise<{ items: T[] }>, key: (o: T) => string): void => {
      const informer = makeInformer<T>(options.kubeConfig, path, list as never);
      const seen = new Map<string, string>();
      const changed = (object: T): void => {
        const id = key(object);
        const print = fingerprint(object);
        if (seen.get(id) === print) return;
        seen.set(id, print);
        trigger();
      };
      informer.on('add', changed);
      informer.on('update', changed);
      informer.on('delete', (object) => { seen.delete(key(object)); trigger(); });
      loops.push(keepInformerRunning(informer, { logger, name }));
    };
    const byName = (object: KubernetesObject): string => `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;
    watch<KVPolicy & KubernetesObject>('kvpolicies', `/apis/${API_GROUP}/${API_VERSION}/${KVPOLICY_PLURAL}`,
      () => objects.listClusterCustomObject({ group: API_GROUP, version: API_VERSION, plural: KVPOLICY_PLURAL }), byName);
    watch<StoreObject>('kvstores', `/apis/${API_GROUP}/${API_VERSION}/${KVSTORE_PLURAL}`,
      () => objects.listClusterCustomObject({ group: API_GROUP, version: API_VERSION, plural: KVSTORE_PLURAL }), byName);
    watch<V1Namespace>('namespaces', '/api/v1/namespaces', () => core.listNamespace(), byName);
  }

  return {
    runOnce,
    trigger,
    async stop() {
      stopped = true;
      clearTimeout(debounceTimer);
      clearInterval(periodTimer);
      clearInterval(leaderTimer);
      await Promise.all(loops.map((loop) => loop.stop()));
      await running?.catch(() => undefined);
    },
  };
}
