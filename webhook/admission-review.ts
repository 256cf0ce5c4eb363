/**
 * The `admission.k8s.io/v1` AdmissionReview envelope: parsing a request and building every kind of answer. All
 * answers go through `buildReview`, so `uid`, `apiVersion`/`kind`, `status.code` and the patch fields are always
 * consistent: the API server treats a wrong uid, a wrong version or a patch without `patchType` as a failed call.
 */
import type { FieldError } from '../shared/validators.js';
import { isPlainObject } from '../shared/json-value.js';

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';
export const ADMISSION_KIND = 'AdmissionReview';
/** Kubernetes advises warnings of at most 120 characters; longer ones may be truncated by clients. */
export const MAX_WARNING_LENGTH = 120;
/** The API server drops warnings beyond 4 KiB in total; far fewer are useful to a human anyway. */
export const MAX_WARNINGS = 20;

export const OPERATIONS = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'] as const;
export type Operation = (typeof OPERATIONS)[number];

export interface GroupVersionKind { group: string; version: string; kind: string }

export interface AdmissionRequest {
  uid: string;
  kind: GroupVersionKind;
  resource?: { group: string; version: string; resource: string };
  subResource?: string;
  requestKind?: GroupVersionKind;
  name?: string;
  namespace?: string;
  operation: Operation;
  userInfo: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
  object: Record<string, unknown> | null;
  oldObject: Record<string, unknown> | null;
  dryRun?: boolean;
  options?: Record<string, unknown> | null;
}

export interface AdmissionStatus {
  code: number;
  message: string;
  reason?: string;
  details?: { causes: Array<{ reason: string; message: string; field: string }> };
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: AdmissionStatus;
  patchType?: 'JSONPatch';
  patch?: string;
  warnings?: string[];
}

export interface AdmissionReview {
  apiVersion: typeof ADMISSION_API_VERSION;
  kind: typeof ADMISSION_KIND;
  response: AdmissionResponse;
}

export type ParseResult = { ok: true; request: AdmissionRequest } | { ok: false; uid: string; message: string };

/** metav1.StatusReason for the codes we send. */
const REASONS: Record<number, string> = {
  400: 'BadRequest', 403: 'Forbidden', 404: 'NotFound', 413: 'RequestEntityTooLarge', 415: 'UnsupportedMediaType',
  422: 'Invalid', 500: 'InternalError',
};


/**
 * The request uid from a body that may not be a valid review, so even an error answer can be matched by the caller.
 * For text that is not JSON, the first `"uid": "…"` is taken: the API server writes `request.uid` before any
 * object's `metadata.uid`.
 */
export function recoverUid(body: unknown): string {
  if (isPlainObject(body)) {
    const request = body.request;
    return isPlainObject(request) && typeof request.uid === 'string' ? request.uid : '';
  }
  if (typeof body === 'string') {
    const match = /"uid"\s*:\s*"([^"\\]{1,128})"/.exec(body.slice(0, 4096));
    return match?.[1] ?? '';
  }
  return '';
}

function isGvk(value: unknown): value is GroupVersionKind {
  return isPlainObject(value) && typeof value.group === 'string' && typeof value.version === 'string' && typeof value.kind === 'string';
}

function objectOrNull(value: unknown): Record<string, unknown> | null | undefined {
  if (value === null || value === undefined) return null;
  return isPlainObject(value) ? value : undefined;
}

/** Checks the envelope and the request fields we depend on; everything else is passed through untouched. */
export function parseAdmissionReview(body: unknown): ParseResult {
  const uid = recoverUid(body);
  const fail = (message: string): ParseResult => ({ ok: false, uid, message });
  if (!isPlainObject(body)) return fail('the body is not a JSON object');
  if (body.kind !== ADMISSION_KIND) return fail(`kind must be ${ADMISSION_KIND}, got ${JSON.stringify(body.kind ?? null)}`);
  if (body.apiVersion !== ADMISSION_API_VERSION) {
    return fail(`apiVersion must be ${ADMISSION_API_VERSION}, got ${JSON.stringify(body.apiVersion ?? null)}`);
  }
  const request = body.request;
  if (!isPlainObject(request)) return fail('request is missing');
  if (typeof request.uid !== 'string' || request.uid === '') return fail('request.uid is missing');
  if (!(OPERATIONS as readonly unknown[]).includes(request.operation)) {
    return fail(`request.operation must be one of ${OPERATIONS.join(', ')}`);
  }
  if (!isGvk(request.kind)) return fail('request.kind must be {group, version, kind}');
  const object = objectOrNull(request.object);
  const oldObject = objectOrNull(request.oldObject);
  if (object === undefined) return fail('request.object must be an object or null');
  if (oldObject === undefined) return fail('request.oldObject must be an object or null');
  const userInfo = isPlainObject(request.userInfo) ? request.userInfo as AdmissionRequest['userInfo'] : {};
  return {
    ok: true,
    request: { ...(request as unknown as AdmissionRequest), object, oldObject, userInfo, dryRun: request.dryRun === true },
  };
}

/**
 * Warnings as the API server and kubectl show them best: trimmed, at most MAX_WARNING_LENGTH characters (cut with
 * an ellipsis), no duplicates, at most MAX_WARNINGS.
 */
export function normaliseWarnings(warnings: readonly string[]): string[] {
  const result: string[] = [];
  for (const raw of warnings) {
    const text = raw.replace(/\s+/g, ' ').trim();
    if (text === '') continue;
    const warning = text.length > MAX_WARNING_LENGTH ? `${text.slice(0, MAX_WARNING_LENGTH - 1)}…` : text;
    if (!result.includes(warning)) result.push(warning);
    if (result.length === MAX_WARNINGS) break;
  }
  return result;
}

function buildReview(response: AdmissionResponse): AdmissionReview {
  const complete: AdmissionResponse = { uid: response.uid, allowed: response.allowed };
  if (response.status) complete.status = response.status;
  if (response.patch !== undefined) {
    complete.patchType = 'JSONPatch';
    complete.patch = response.patch;
  }
  const warnings = normaliseWarnings(response.warnings ?? []);
  if (warnings.length > 0) complete.warnings = warnings;
  return { apiVersion: ADMISSION_API_VERSION, kind: ADMISSION_KIND, response: complete };
}

/** Allowed, with an optional JSON Patch (RFC 6902 operations, base64-encoded here) and warnings. */
export function allowReview(uid: string, options: { patch?: readonly object[]; warnings?: readonly string[] } = {}): AdmissionReview {
  const response: AdmissionResponse = { uid, allowed: true, warnings: [...(options.warnings ?? [])] };
  if (options.patch && options.patch.length > 0) {
    response.patch = Buffer.from(JSON.stringify(options.patch)).toString('base64');
  }
  return buildReview(response);
}

/** Denied with a code (403 policy, 422 invalid, 500 internal, 400 bad request) and a message that is never empty. */
export function denyReview(uid: string, code: number, message: string, options: { causes?: readonly FieldError[]; warnings?: readonly string[] } = {}): AdmissionReview {
  const status: AdmissionStatus = { code, message: message.trim() || `request denied (${code})` };
  const reason = REASONS[code];
  if (reason) status.reason = reason;
  if (options.causes && options.causes.length > 0) {
    status.details = {
      causes: options.causes.map((cause) => ({ reason: 'FieldValueInvalid', message: cause.message, field: cause.field })),
    };
  }
  return buildReview({ uid, allowed: false, status, warnings: [...(options.warnings ?? [])] });
}
