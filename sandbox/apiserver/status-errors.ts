/**
 * Kubernetes `Status` errors, worded as kube-apiserver words them (see the golden recordings 04, 14, 15, 31).
 * Handlers throw `ApiError`; the router turns it into the JSON Status body.
 */

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, unknown>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code?: number;
}

/** Identifies the resource an error is about: plural resource name and API group ('' for core). */
export interface ResourceRef {
  group: string;
  plural: string;
}

export class ApiError extends Error {
  readonly code: number;
  readonly reason: string | undefined;
  readonly details: StatusDetails | undefined;
  readonly statusMetadata: Record<string, unknown>;

  constructor(code: number, reason: string | undefined, message: string, details?: StatusDetails, statusMetadata: Record<string, unknown> = {}) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.details = details;
    this.statusMetadata = statusMetadata;
  }

  toStatus(): StatusBody {
    const body: StatusBody = { kind: 'Status', apiVersion: 'v1', metadata: this.statusMetadata, status: 'Failure', message: this.message };
    if (this.reason !== undefined) body.reason = this.reason;
    if (this.details !== undefined) body.details = this.details;
    body.code = this.code;
    return body;
  }
}

/** `configmaps` or `kvstores.redwing.dev`, as in "kvstores.redwing.dev \"x\" not found". */
export function qualifiedResource(ref: ResourceRef): string {
  return ref.group === '' ? ref.plural : `${ref.plural}.${ref.group}`;
}

function resourceDetails(ref: ResourceRef, name: string): StatusDetails {
  const details: StatusDetails = { name };
  if (ref.group !== '') details.group = ref.group;
  details.kind = ref.plural;
  return details;
}

export function notFound(ref: ResourceRef, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${qualifiedResource(ref)} "${name}" not found`, resourceDetails(ref, name));
}

export function alreadyExists(ref: ResourceRef, name: string): ApiError {
  return new ApiError(409, 'AlreadyExists', `${qualifiedResource(ref)} "${name}" already exists`, resourceDetails(ref, name));
}

export function conflict(ref: ResourceRef, name: string, why = 'the object has been modified; please apply your changes to the latest version and try again'): ApiError {
  return new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(ref)} "${name}": ${why}`, resourceDetails(ref, name));
}

/** Delete preconditions name the Kind, not the resource (04 #14). */
export function preconditionConflict(kind: string, group: string, name: string, why: string): ApiError {
  const details: StatusDetails = { name };
  if (group !== '') details.group = group;
  details.kind = kind;
  return new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${kind} "${name}": ${why}`, details);
}

export interface FieldError {
  /** FieldValueInvalid, FieldValueRequired, FieldValueNotSupported, FieldValueForbidden, FieldValueTypeInvalid, FieldValueDuplicate, FieldValueTooLong ... */
  type: string;
  field: string;
  /** the detail text after "Invalid value: ...: " etc. */
  message: string;
}

/** Human prefix for each cause type, as in k8s.io/apimachinery field.ErrorType. */
const CAUSE_PREFIX: Record<string, string> = {
  FieldValueInvalid: 'Invalid value',
  FieldValueRequired: 'Required value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTypeInvalid: 'Invalid value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  FieldValueNotFound: 'Not found',
  InternalError: 'Internal error',
};

/** Builds a field error whose message reads as Kubernetes' does: `Invalid value: "x": detail`. */
export function fieldError(type: string, field: string, detail: string, value?: unknown): FieldError {
  const prefix = CAUSE_PREFIX[type] ?? type;
  let message: string;
  if (type === 'FieldValueRequired' || type === 'FieldValueForbidden' || type === 'FieldValueTooLong' || type === 'FieldValueTooMany' || type === 'InternalError') {
    message = detail === '' ? prefix : `${prefix}: ${detail}`;
  } else {
    const shown = value === undefined ? '' : `: ${formatValue(value)}`;
    message = `${prefix}${shown}${detail === '' ? '' : `: ${detail}`}`;
  }
  return { type, field, message };
}

/** Go's %#v-like rendering that kube-apiserver uses for values in field errors. */
export function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null) return 'null';
  return JSON.stringify(value);
}

/** 422 Invalid: `<Kind> "<name>" is invalid: [a, b]` (brackets only with more than one cause). */
export function invalid(kind: string, group: string, name: string, errors: FieldError[]): ApiError {
  const rendered = [...new Set(errors.map((e) => `${e.field}: ${e.message}`))];
  const summary = rendered.length === 1 ? rendered[0]! : `[${rendered.join(', ')}]`;
  const qualifiedKind = group === '' ? kind : `${kind}.${group}`;
  const details: StatusDetails = { name };
  if (group !== '') details.group = group;
  details.kind = kind;
  details.causes = errors.map((e) => ({ reason: e.type, message: e.message, field: e.field }));
  if (name === '') delete details.name;
  return new ApiError(422, 'Invalid', `${qualifiedKind} "${name}" is invalid: ${summary}`, details);
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

export function forbidden(ref: ResourceRef, name: string, why: string, causes?: StatusCause[]): ApiError {
  const details = resourceDetails(ref, name);
  if (name === '') delete details.name;
  if (causes) details.causes = causes;
  const target = name === '' ? qualifiedResource(ref) : `${qualifiedResource(ref)} "${name}"`;
  return new ApiError(403, 'Forbidden', `${target} is forbidden: ${why}`, details);
}

export function gone(message: string, statusMetadata: Record<string, unknown> = {}): ApiError {
  return new ApiError(410, 'Expired', message, undefined, statusMetadata);
}

export function methodNotSupported(): ApiError {
  return new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});
}

export function unsupportedMediaType(accepted: string[]): ApiError {
  return new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`);
}

export function notAcceptable(): ApiError {
  return new ApiError(406, 'NotAcceptable', '406: Not Acceptable\n\nAvailable representations: application/json, application/yaml, application/vnd.kubernetes.protobuf', {});
}

export function internalError(message: string, causes?: StatusCause[]): ApiError {
  return new ApiError(500, 'InternalError', message, causes ? { causes } : undefined);
}

/** A 500 without a reason, as kube-apiserver answers some malformed requests (04 #11, 08). */
export function plainServerError(message: string): ApiError {
  return new ApiError(500, undefined, message);
}

export function unauthorized(): ApiError {
  return new ApiError(401, 'Unauthorized', 'Unauthorized');
}

/** Marks an `ApiError` as text/plain `404 page not found` (unknown group/version/resource under /apis). */
export class PageNotFound extends Error {
  constructor() {
    super('404 page not found');
  }
}

export function successStatus(details: StatusDetails): StatusBody {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details };
}
