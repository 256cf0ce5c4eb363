/**
 * Checks on the Kubernetes core types a KVStore passes through to its pods (affinity, tolerations, topology spread,
 * security contexts) and on the names, labels and images it uses. The CRD leaves these open (the schema would be
 * huge), so without this a store with `affinity.podAntiAffinity: "x"`, a toleration `operator: Maybe`, `maxSkew: 0`,
 * an image `"redis 7.4"` or a Secret name of megabytes is admitted and then fails where nobody sees it: the
 * StatefulSet is refused, or pods stay in InvalidImageName. Each error names the field and what is allowed.
 *
 * The shape (types, enums) comes from the Kubernetes OpenAPI schemas that `kubernetes-models` ships; the rules the
 * OpenAPI does not carry (Go validation: maxSkew ≥ 1, DNS names, label syntax, the image reference grammar) are here.
 */
import { Affinity } from 'kubernetes-models/v1/Affinity';
import { PodSecurityContext } from 'kubernetes-models/v1/PodSecurityContext';
import { SecurityContext } from 'kubernetes-models/v1/SecurityContext';
import { Toleration } from 'kubernetes-models/v1/Toleration';
import { TopologySpreadConstraint } from 'kubernetes-models/v1/TopologySpreadConstraint';
import type { KVStoreSpec } from '../shared/schema/kvstore.js';
import type { FieldError } from '../shared/validators.js';
import { errorMessage } from '../shared/error-message.js';

interface Validatable { validate(): void }

/** The OpenAPI check of one core-type value; kubernetes-models reports `data/<path> must …`. */
function shapeErrors(field: string, build: () => Validatable): FieldError[] {
  try {
    build().validate();
    return [];
  } catch (error: unknown) {
    const text = errorMessage(error);
    return text.split(/,\s*(?=data[/ ])/).slice(0, 5).map((part) => {
      const match = /^data(\/[^ ]*)? (.*)$/.exec(part.trim());
      const path = (match?.[1] ?? '').split('/').filter(Boolean).map((segment) => (/^\d+$/.test(segment) ? `[${segment}]` : `.${segment}`)).join('');
      return { field: `${field}${path}`, message: match?.[2] ?? part.trim() };
    });
  }
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
// distribution/reference: [domain[:port]/]path[:tag][@digest]; lower-case path components.
const IMAGE_REFERENCE = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$/;

export function dnsSubdomainProblem(name: string): string | undefined {
  if (name.length > 253) return `must be no more than 253 characters (it has ${name.length})`;
  return DNS_SUBDOMAIN.test(name) ? undefined : 'must be a DNS subdomain: lower-case letters, digits, "-" and ".", starting and ending with a letter or digit';
}

/** A label key: an optional DNS-subdomain prefix and "/", then a name of at most 63 characters. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && dnsSubdomainProblem(prefix)) return `has an invalid prefix "${prefix.slice(0, 64)}": it ${dnsSubdomainProblem(prefix)}`;
  if (name.length === 0 || name.length > 63 || !LABEL_NAME.test(name)) return 'must be at most 63 characters of letters, digits, "-", "_" and ".", starting and ending with a letter or digit (with an optional DNS prefix and "/")';
  return undefined;
}

export function labelValueProblem(value: string): string | undefined {
  if (value === '') return undefined;
  return value.length <= 63 && LABEL_NAME.test(value) ? undefined : 'must be empty or at most 63 characters of letters, digits, "-", "_" and ".", starting and ending with a letter or digit';
}

export function imageProblem(image: string): string | undefined {
  if (image.length > 4096) return 'is longer than 4096 characters';
  return IMAGE_REFERENCE.test(image) ? undefined : 'is not an image reference such as redis:7.4 or registry.example.com/team/redis@sha256:<digest> (no spaces or upper-case path)';
}

function checkLabels(field: string, labels: Record<string, string> | undefined, errors: FieldError[]): void {
  for (const [key, value] of Object.entries(labels ?? {})) {
    const keyProblem = labelKeyProblem(key);
    if (keyProblem) errors.push({ field: `${field}.${key.slice(0, 64)}`, message: `key ${keyProblem}` });
    else if (typeof value === 'string' && labelValueProblem(value)) errors.push({ field: `${field}.${key}`, message: `value ${labelValueProblem(value)}` });
  }
}

function checkName(field: string, name: string | undefined, errors: FieldError[]): void {
  if (name === undefined) return;
  const problem = dnsSubdomainProblem(name);
  if (problem) errors.push({ field, message: problem });
}

function checkTopologySpread(prefix: string, spec: KVStoreSpec, errors: FieldError[]): void {
  (spec.topologySpreadConstraints ?? []).forEach((constraint, index) => {
    const field = `${prefix}.topologySpreadConstraints[${index}]`;
    const shape = shapeErrors(field, () => new TopologySpreadConstraint(constraint as never));
    errors.push(...shape);
    if (shape.length > 0) return;
    if (constraint.maxSkew < 1) errors.push({ field: `${field}.maxSkew`, message: 'must be at least 1' });
    if (!['DoNotSchedule', 'ScheduleAnyway'].includes(constraint.whenUnsatisfiable)) {
      errors.push({ field: `${field}.whenUnsatisfiable`, message: 'must be DoNotSchedule or ScheduleAnyway' });
    }
    if (constraint.topologyKey === '') errors.push({ field: `${field}.topologyKey`, message: 'must not be empty' });
  });
}

function checkTolerations(prefix: string, spec: KVStoreSpec, errors: FieldError[]): void {
  (spec.tolerations ?? []).forEach((toleration, index) => {
    const field = `${prefix}.tolerations[${index}]`;
    const shape = shapeErrors(field, () => new Toleration(toleration as never));
    errors.push(...shape);
    if (shape.length > 0) return;
    if (toleration.operator === 'Exists' && toleration.value) errors.push({ field: `${field}.value`, message: 'must be empty when operator is Exists' });
    if (toleration.key === undefined && toleration.operator !== 'Exists') errors.push({ field: `${field}.operator`, message: 'must be Exists when key is empty' });
  });
}

/** Rules on a (possibly partial) spec, reported under `prefix`. */
export function checkCoreTypeRules(spec: KVStoreSpec, prefix = 'spec'): FieldError[] {
  const errors: FieldError[] = [];
  if (spec.affinity !== undefined) errors.push(...shapeErrors(`${prefix}.affinity`, () => new Affinity(spec.affinity as never)));
  if (spec.podSecurityContext !== undefined) errors.push(...shapeErrors(`${prefix}.podSecurityContext`, () => new PodSecurityContext(spec.podSecurityContext as never)));
  if (spec.containerSecurityContext !== undefined) errors.push(...shapeErrors(`${prefix}.containerSecurityContext`, () => new SecurityContext(spec.containerSecurityContext as never)));
  checkTolerations(prefix, spec, errors);
  checkTopologySpread(prefix, spec, errors);
  for (const [field, image] of [['image', spec.image], ['exporter.image', spec.exporter?.image]] as const) {
    if (image !== undefined && imageProblem(image)) errors.push({ field: `${prefix}.${field}`, message: imageProblem(image)! });
  }
  checkName(`${prefix}.authentication.passwordFromSecret.name`, spec.authentication?.passwordFromSecret?.name, errors);
  const secretKey = spec.authentication?.passwordFromSecret?.key;
  if (secretKey !== undefined && !(secretKey.length <= 253 && /^[-._a-zA-Z0-9]+$/.test(secretKey))) {
    errors.push({ field: `${prefix}.authentication.passwordFromSecret.key`, message: 'must be a Secret key: at most 253 of letters, digits, "-", "_" and "."' });
  }
  checkName(`${prefix}.tls.secretName`, spec.tls?.secretName, errors);
  checkName(`${prefix}.tls.clientCaSecretName`, spec.tls?.clientCaSecretName, errors);
  checkName(`${prefix}.priorityClassName`, spec.priorityClassName, errors);
  (spec.imagePullSecrets ?? []).forEach((secret, index) => checkName(`${prefix}.imagePullSecrets[${index}].name`, secret.name, errors));
  checkLabels(`${prefix}.nodeSelector`, spec.nodeSelector, errors);
  checkLabels(`${prefix}.podMetadata.labels`, spec.podMetadata?.labels, errors);
  return errors;
}
