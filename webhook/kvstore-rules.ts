/**
 * Semantic rules of a KVStore that a JSON schema cannot say. Each rule returns field errors whose `field` names the
 * offending path, so the API server's message points the user at the line to fix. All pure.
 */
import { checkRestoreTransition, checkS3CrossFieldRules, checkS3FieldRules } from './s3-rules.js';
import { Cron } from 'croner';
import { DEFAULT_SNAPSHOT_DIR } from '../shared/defaults.js';
import { isOperatorOwnedLabel } from '../shared/labels.js';
import { restrictedProfileFindings } from '../shared/pod-security.js';
import { snapshotDestination } from '../shared/snapshot-destination.js';
import { MAX_STORE_NAME_LENGTH } from '../shared/names.js';
import { formatBytesHuman, isQuantity, parseEngineMemoryBytes, parseQuantity } from '../shared/quantity.js';
import type { Engine, KVStoreSpec } from '../shared/schema/kvstore.js';
import type { FieldError } from '../shared/validators.js';
import { checkUserEngineSettings } from './engine-settings-rules.js';
import { checkEngineSupport } from './engine-support-rules.js';
import { checkCoreTypeRules } from './core-type-rules.js';
import { errorMessage } from '../shared/error-message.js';

/** bucket: 3-63 lowercase letters, digits, dots and hyphens (S3 naming rules); prefix: optional, no spaces. */
const S3_DIR = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[^\s]*)?$/;
/** The store name becomes a Service name, which must be a DNS-1035 label. */
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const PERCENT = /^[0-9]+%$/;
/** Annotation keys the reconciler writes on pods. */
const OPERATOR_OWNED_ANNOTATION_PREFIX = 'redwing.dev/';

function configKey(config: Record<string, string> | undefined, key: string): string | undefined {
  return config ? Object.keys(config).find((k) => k.toLowerCase() === key) : undefined;
}

const CRON_CACHE_LIMIT = 1000;
const cronCache = new Map<string, string | undefined>();

/** Errors of a five-field cron expression, or undefined when it parses and fires at least once. */
export function cronProblem(expression: string): string | undefined {
  // Parsing costs tens of microseconds and the same few schedules come back on every update: cache them.
  if (cronCache.has(expression)) return cronCache.get(expression);
  const problem = parseCron(expression);
  if (cronCache.size >= CRON_CACHE_LIMIT) cronCache.delete(cronCache.keys().next().value!);
  cronCache.set(expression, problem);
  return problem;
}

function parseCron(expression: string): string | undefined {
  try {
    const cron = new Cron(expression, { paused: true, mode: '5-part' });
    const next = cron.nextRun();
    cron.stop();
    return next ? undefined : 'never fires';
  } catch (error: unknown) {
    return errorMessage(error).replace(/^CronPattern: /, '');
  }
}

export function checkStoreName(name: string | undefined): FieldError[] {
  if (!name) return [{ field: 'metadata.name', message: 'is required (generateName is not supported: derived object names need the final name)' }];
  const errors: FieldError[] = [];
  if (name.length > MAX_STORE_NAME_LENGTH) {
    errors.push({ field: 'metadata.name', message: `must be at most ${MAX_STORE_NAME_LENGTH} characters so every derived object name and label fits in 63 (it has ${name.length})` });
  }
  if (!DNS_1035_LABEL.test(name)) {
    errors.push({ field: 'metadata.name', message: 'must start with a lowercase letter and contain only lowercase letters, digits and "-" (it names Services)' });
  }
  return errors;
}

/**
 * Rules on single fields, safe on a partial spec (a KVPolicy's `spec.defaults`), reported under `prefix`. `engine`
 * is the store's (undefined for policy defaults, which may land on any engine).
 */
export function checkFieldRules(spec: KVStoreSpec, prefix: string, engine: Engine | undefined): FieldError[] {
  const errors = [...checkUserEngineSettings(spec, prefix, engine), ...checkCoreTypeRules(spec, prefix)];
  for (const key of Object.keys(spec.podMetadata?.labels ?? {})) {
    if (isOperatorOwnedLabel(key)) errors.push({ field: `${prefix}.podMetadata.labels.${key}`, message: 'is a label the operator owns' });
  }
  for (const key of Object.keys(spec.podMetadata?.annotations ?? {})) {
    if (key.startsWith(OPERATOR_OWNED_ANNOTATION_PREFIX)) {
      errors.push({ field: `${prefix}.podMetadata.annotations.${key}`, message: 'is an annotation the operator owns' });
    }
  }
  const cron = spec.snapshot?.cron;
  if (cron !== undefined) {
    const problem = cronProblem(cron);
    if (problem) errors.push({ field: `${prefix}.snapshot.cron`, message: `is not a valid five-field cron expression: ${problem}` });
  }
  const dir = spec.snapshot?.dir;
  if (dir !== undefined) {
    if (dir.startsWith('s3://')) {
      if (!S3_DIR.test(dir)) errors.push({ field: `${prefix}.snapshot.dir`, message: 'must have the shape s3://bucket/prefix (bucket: 3-63 of a-z, 0-9, ".", "-")' });
    } else if (!dir.startsWith('/')) {
      errors.push({ field: `${prefix}.snapshot.dir`, message: 'must be an absolute path or s3://bucket/prefix' });
    }
  }
  errors.push(...checkS3FieldRules(spec, prefix));
  if (spec.pdb?.maxUnavailable !== undefined && spec.pdb.minAvailable !== undefined) {
    errors.push({ field: `${prefix}.pdb`, message: 'set pdb.maxUnavailable or pdb.minAvailable, not both' });
  }
  for (const field of ['maxUnavailable', 'minAvailable'] as const) {
    const value = spec.pdb?.[field];
    if (typeof value === 'string' && !PERCENT.test(value)) errors.push({ field: `${prefix}.pdb.${field}`, message: 'must be an integer or a percentage such as "50%"' });
    if (typeof value === 'number' && value < 0) errors.push({ field: `${prefix}.pdb.${field}`, message: 'must not be negative' });
  }
  return errors;
}

function checkResources(spec: KVStoreSpec): FieldError[] {
  const errors: FieldError[] = [];
  for (const name of ['cpu', 'memory']) {
    const request = spec.resources?.requests?.[name];
    const limit = spec.resources?.limits?.[name];
    if (request !== undefined && limit !== undefined && isQuantity(request) && isQuantity(limit) && parseQuantity(request) > parseQuantity(limit)) {
      errors.push({ field: `spec.resources.requests.${name}`, message: `must not exceed the limit (${limit})` });
    }
  }
  const key = configKey(spec.config, 'maxmemory');
  if (key === undefined) return errors;
  const maxmemory = parseEngineMemoryBytes(spec.config![key]!);
  if (maxmemory === undefined) {
    errors.push({ field: `spec.config.${key}`, message: 'must be a memory size such as 400mb, 1gb or a number of bytes' });
    return errors;
  }
  const limit = spec.resources?.limits?.memory;
  if (limit !== undefined && isQuantity(limit) && maxmemory > parseQuantity(limit)) {
    errors.push({ field: `spec.config.${key}`, message: `(${formatBytesHuman(maxmemory)}) must not exceed the memory limit (${limit})` });
  }
  return errors;
}

/** Rules across fields, on the spec as it will run (built-in defaults applied). */
export function checkCrossFieldRules(spec: KVStoreSpec): FieldError[] {
  const errors = checkResources(spec);
  if (spec.tls?.clientCaSecretName !== undefined && spec.tls.enabled !== true) {
    errors.push({ field: 'spec.tls.clientCaSecretName', message: 'needs spec.tls.enabled: true' });
  }
  const snapshotToS3 = spec.snapshot?.dir?.startsWith('s3://') ?? false;
  if (spec.snapshot?.cron !== undefined && spec.persistence?.enabled === false && !snapshotToS3) {
    errors.push({ field: 'spec.snapshot.cron', message: 'needs spec.persistence.enabled or an s3:// snapshot.dir (snapshots would be lost with the pod)' });
  }
  errors.push(...checkEngineSupport(spec).errors);
  errors.push(...checkS3CrossFieldRules(spec));
  const replicas = spec.replicas ?? 1;
  const minReplicasToWrite = spec.replication?.minReplicasToWrite ?? 0;
  if (minReplicasToWrite > replicas - 1) {
    errors.push({ field: 'spec.replication.minReplicasToWrite', message: `must be below spec.replicas (${replicas}), or the master never accepts writes` });
  }
  return errors;
}

/** UPDATE rules: what may not change once the store exists. Both specs have the built-in defaults applied. */
export function checkTransitionRules(oldSpec: KVStoreSpec, spec: KVStoreSpec): FieldError[] {
  const errors: FieldError[] = [];
  if (oldSpec.engine !== spec.engine) {
    errors.push({ field: 'spec.engine', message: `is immutable (was ${oldSpec.engine}); create a new store to change engines` });
  }
  if (oldSpec.persistence?.storageClassName !== spec.persistence?.storageClassName) {
    errors.push({ field: 'spec.persistence.storageClassName', message: `is immutable (was ${oldSpec.persistence?.storageClassName ?? 'the cluster default'})` });
  }
  const oldSize = oldSpec.persistence?.size;
  const size = spec.persistence?.size;
  if (oldSize !== undefined && size !== undefined && isQuantity(oldSize) && isQuantity(size) && parseQuantity(size) < parseQuantity(oldSize)) {
    errors.push({ field: 'spec.persistence.size', message: `may grow but not shrink (was ${oldSize})` });
  }
  if (oldSpec.persistence?.enabled === true && spec.persistence?.enabled === false) {
    errors.push({ field: 'spec.persistence.enabled', message: 'cannot be turned off once on (the data lives on the volumes)' });
  }
  errors.push(...checkRestoreTransition(oldSpec, spec));
  return errors;
}

/** Legal but risky choices, as warnings of at most 120 characters. */
export function collectWarnings(spec: KVStoreSpec): string[] {
  const warnings: string[] = [];
  if ((spec.replicas ?? 1) === 1 && spec.persistence?.enabled === false) {
    warnings.push('spec.replicas is 1 and persistence is off: a pod restart loses all data');
  }
  if (spec.authentication?.enabled === false) {
    warnings.push('spec.authentication.enabled is false: anyone who can reach the store can read and write it');
  }
  if (configKey(spec.config, 'maxmemory') === undefined && spec.resources?.limits?.memory === undefined) {
    warnings.push('no maxmemory and no memory limit: the store can grow until the node runs out of memory');
  }
  if (spec.failover?.enabled === false && (spec.replicas ?? 1) > 1) {
    warnings.push('spec.failover.enabled is false: writes stop until a lost master comes back');
  }
  // The reconciler reports this on every run too (SnapshotSucceeded=False); warning at admission saves a surprise.
  if (snapshotDestination(spec.snapshot?.dir).kind === 'unsupportedPath') {
    warnings.push(`spec.snapshot.dir other than ${DEFAULT_SNAPSHOT_DIR} is not honoured yet: snapshots are saved in ${DEFAULT_SNAPSHOT_DIR}`);
  }
  warnings.push(...podSecurityWarnings(spec));
  warnings.push(...checkEngineSupport(spec).warnings);
  return warnings;
}

const MAX_WARNING_LENGTH = 120;

/** One line saying why, then one per field: kubectl prints each warning on its own line. */
function podSecurityWarnings(spec: KVStoreSpec): string[] {
  const findings = restrictedProfileFindings(spec);
  if (findings.length === 0) return [];
  const fit = (text: string): string => (text.length <= MAX_WARNING_LENGTH ? text : `${text.slice(0, MAX_WARNING_LENGTH - 1)}…`);
  return [
    'the pods ask for more than the Pod Security "restricted" profile allows; namespaces enforcing it refuse them:',
    ...findings.map(({ field, message }) => fit(`${field} ${message}`)),
  ];
}
