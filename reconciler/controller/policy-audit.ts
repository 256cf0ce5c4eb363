/**
 * The KVPolicy background audit as the reconciler runs it: the pure audit (policy/audit.ts) and condition
 * patches (reconciler/audit/conditions.ts), fed from the reconciler's own informer caches through kube/client.ts.
 * Not through client-node: it would cost about 70 MB of RSS and a second cache of every KVStore, whereas the KVStore
 * cache here is the one the reconciler already holds, and a run lists nothing.
 *
 * main.ts runs it as a leader-only runnable (policyAuditRunnable): it starts when the lease is won, audits at once,
 * and stops when the lease is lost; `isLeader()` (the term's signal) is still asked before the run and before every
 * write, so a run in flight at lease loss writes nothing more. Runs never overlap; a
 * change during a run schedules one more. Status-only updates do not trigger a run (generation and labels are
 * compared), so the audit's own writes and the reconciler's status writes do not wake it.
 */
import { jsonEqual } from '../../shared/json-value.js';
import { aborted, type Runnable } from '../../kube/runtime/runnable.js';
import { API_GROUP, API_VERSION, KVPOLICY_PLURAL } from '../../shared/api.js';
import type { Logger } from '../../shared/logger.js';
import type { KVPolicy } from '../../shared/schema/kvpolicy.js';
import type { KVStore } from '../../shared/schema/kvstore.js';
import type { AuditOptions, AuditReport } from '../../policy/audit.js';
import { conditionPatch, policyCompliantCondition, POLICY_COMPLIANT, sameCondition } from '../audit/conditions.js';
import type { Informer, InformerEvent } from '../../kube/informer.js';
import { createReconcilerInformer } from './informers.js';
import { paths } from '../../kube/paths.js';
import type { KubeClient, KubeObject } from '../../kube/client.js';
import { rfc3339 } from '../../shared/rfc3339.js';

export const AUDIT_FIELD_MANAGER = 'redwing-policy-audit';
export const AUDIT_PERIOD_MS = 60_000;

export interface PolicyAuditLoopOptions extends AuditOptions {
  client: KubeClient;
  /** The reconciler's KVStore informer (shared, already started by the caller). */
  stores: Informer;
  isLeader: () => boolean;
  logger: Logger;
  periodMs?: number;
  debounceMs?: number;
  now?: () => Date;
}

export interface AuditLoopSummary {
  skipped: boolean;
  policies: number;
  stores: number;
  policyStatusWrites: number;
  conditionWrites: number;
  errors: number;
}

export interface PolicyAuditLoop {
  /** Waits for the policy and namespace caches' first list. */
  started: Promise<void>;
  runOnce(): Promise<AuditLoopSummary>;
  trigger(): void;
  stop(): Promise<void>;
}

/** What an audit reads of an object: a change elsewhere (status) cannot change its verdict. */
function fingerprintChanged(event: InformerEvent, object: KubeObject, previous?: KubeObject): boolean {
  if (event !== 'update' || !previous) return true;
  return object.metadata?.generation !== previous.metadata?.generation
    || !jsonEqual(object.metadata?.labels ?? {}, previous.metadata?.labels ?? {});
}

/**
 * The audit with no KVPolicy: every store complies with none. Computed here so that a cluster without policies
 * never loads the policy engine (CEL, protobuf, RE2: about 15 MB of RSS); it must equal auditStores([], …), which
 * test/reconciler/controller/policy-audit.test.ts checks.
 */
export function auditWithoutPolicies(stores: readonly KVStore[]): AuditReport {
  const key = (store: KVStore) => `${store.metadata?.namespace ?? ''}/${store.metadata?.name ?? ''}`;
  const live = stores.filter((store) => !store.metadata?.deletionTimestamp).sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  return {
    policies: new Map(),
    stores: live.map((store) => ({
      namespace: store.metadata?.namespace ?? '', name: store.metadata?.name ?? '', generation: store.metadata?.generation, policies: [], violations: [],
    })),
  };
}

async function auditAll(policies: KVPolicy[], stores: KVStore[], namespaceLabels: Map<string, Record<string, string>>, options: AuditOptions): Promise<AuditReport> {
  if (policies.length === 0) return auditWithoutPolicies(stores);
  const { auditStores } = await import('../../policy/audit.js');
  return auditStores(policies, stores, namespaceLabels, options);
}

/** Namespaces are cached for their labels only. */
function trimNamespace(object: KubeObject): KubeObject {
  const { name, resourceVersion, labels } = object.metadata ?? {};
  return { metadata: { name, resourceVersion, labels } };
}

export function startPolicyAuditLoop(options: PolicyAuditLoopOptions): PolicyAuditLoop {
  const { client, logger, isLeader } = options;
  const now = options.now ?? (() => new Date());
  const policies = createReconcilerInformer(client, { name: 'kvpolicies', path: `/apis/${API_GROUP}/${API_VERSION}/${KVPOLICY_PLURAL}`, logger });
  const namespaces = createReconcilerInformer(client, { name: 'namespaces', path: '/api/v1/namespaces', logger, transform: trimNamespace });
  let stopped = false;
  let running: Promise<AuditLoopSummary> | undefined;
  let rerun = false;
  let debounceTimer: NodeJS.Timeout | undefined;

  async function audit(): Promise<AuditLoopSummary> {
    const summary: AuditLoopSummary = { skipped: true, policies: 0, stores: 0, policyStatusWrites: 0, conditionWrites: 0, errors: 0 };
    // Without a first list of policies, "no policy" would wrongly mark every store compliant.
    if (!isLeader() || !policies.hasSynced || !namespaces.hasSynced) return summary;
    summary.skipped = false;
    const namespaceLabels = new Map(namespaces.list().map((namespace) => [namespace.metadata!.name!, namespace.metadata?.labels ?? {}]));
    const storeList = options.stores.list() as unknown as KVStore[];
    const report = await auditAll(policies.list() as unknown as KVPolicy[], storeList, namespaceLabels, options);
    const auditTime = rfc3339(now());
    summary.policies = report.policies.size;
    summary.stores = report.stores.length;
    for (const [name, result] of report.policies) {
      if (stopped || !isLeader()) return summary;
      try {
        const body = { status: { violations: result.violations, offenders: result.offenders, lastAuditTime: auditTime } };
        await client.patch(`/apis/${API_GROUP}/${API_VERSION}/${KVPOLICY_PLURAL}/${name}/status`, body, 'merge', `?fieldManager=${AUDIT_FIELD_MANAGER}`);
        summary.policyStatusWrites += 1;
      } catch (error) {
        summary.errors += 1;
        logger.warn({ err: error, policy: name }, 'writing KVPolicy status failed');
      }
    }
    const storesByKey = new Map(storeList.map((store) => [`${store.metadata?.namespace}/${store.metadata?.name}`, store]));
    for (const compliance of report.stores) {
      if (stopped || !isLeader()) return summary;
      const store = storesByKey.get(`${compliance.namespace}/${compliance.name}`)!;
      const previous = store.status?.conditions?.find((condition) => condition.type === POLICY_COMPLIANT);
      const condition = policyCompliantCondition(compliance, previous, now());
      if (sameCondition(previous, condition)) continue;
      try {
        const patch = conditionPatch(store.status, store.metadata?.resourceVersion, condition);
        await client.patch(`${paths.kvstore(compliance.namespace, compliance.name)}/status`, patch, 'json', `?fieldManager=${AUDIT_FIELD_MANAGER}`);
        summary.conditionWrites += 1;
      } catch (error) {
        // A concurrent status write failed the test op: that write is an update, so a later run retries.
        summary.errors += 1;
        logger.info({ err: error, store: `${compliance.namespace}/${compliance.name}` }, 'writing PolicyCompliant failed; will retry');
      }
    }
    logger.debug(summary, 'policy audit done');
    return summary;
  }

  function runOnce(): Promise<AuditLoopSummary> {
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

  function trigger(): void {
    if (stopped) return;
    if (running) {
      rerun = true;
      return;
    }
    clearTimeout(debounceTimer);
    debounceTimer = setTimeout(() => {
      runOnce().catch((error: unknown) => logger.warn({ err: error }, 'policy audit failed'));
    }, options.debounceMs ?? 1000);
  }

  const onChange = (event: InformerEvent, object: KubeObject, previous?: KubeObject) => {
    if (fingerprintChanged(event, object, previous)) trigger();
  };
  options.stores.on(onChange);
  policies.on(onChange);
  namespaces.on(onChange);
  const periodTimer = setInterval(() => { if (!running) trigger(); }, options.periodMs ?? AUDIT_PERIOD_MS);
  periodTimer.unref();
  const started = Promise.all([policies.start(), namespaces.start()]).then(() => undefined);

  return {
    started,
    runOnce,
    trigger,
    async stop() {
      stopped = true;
      clearTimeout(debounceTimer);
      clearInterval(periodTimer);
      policies.stop();
      namespaces.stop();
      await running?.catch(() => undefined);
    },
  };
}

/** The audit as a leader-only runnable: a loop per leader term, auditing as soon as its caches have listed. */
export function policyAuditRunnable(options: Omit<PolicyAuditLoopOptions, 'isLeader'>): Runnable {
  return {
    name: 'policy-audit',
    needsLeaderElection: true,
    async start(signal) {
      const loop = startPolicyAuditLoop({ ...options, isLeader: () => !signal.aborted });
      await Promise.race([loop.started, aborted(signal)]);
      loop.trigger();
      await aborted(signal);
      await loop.stop();
    },
  };
}
