/**
 * Request decoding and response encoding: JSON (Go key order for built-ins, sorted keys for custom resources),
 * YAML, and content negotiation (Table, PartialObjectMetadata). Protobuf lives in protobuf/.
 */
import YAML from 'yaml';
import { builtinTypeName, inGoOrder } from './go-field-order.js';
import { bodySnippet, decodeProtobufBody, isProtobufMediaType } from './protobuf/content-negotiation.js';
import { badRequest, notAcceptable, unsupportedMediaType } from './status-errors.js';
import type { JsonObject, KubeObject } from './types.js';
import { isJsonObject } from './types.js';
import { goJsonSyntaxError as goScannerError } from './go-json-syntax.js';
import { sortKeysDeep } from '../../shared/json-value.js';

const METADATA_ORDER = [
  'name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp',
  'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields',
];

function orderKeys(object: JsonObject, order: string[]): JsonObject {
  const out: JsonObject = {};
  for (const key of order) if (object[key] !== undefined) out[key] = object[key];
  for (const [key, value] of Object.entries(object)) if (!(key in out) && value !== undefined) out[key] = value;
  return out;
}

/**
 * Built-in objects in Go struct order with every map sorted. `as` names the type for list items, which carry no
 * kind. A kind the Go-order table does not know gets kind, apiVersion and metadata first, the rest as stored.
 */
export function orderBuiltin(object: KubeObject, as: { apiVersion?: unknown; kind?: unknown } = object): KubeObject {
  const type = builtinTypeName(as.apiVersion, as.kind);
  if (type !== undefined) return inGoOrder(object, type) as KubeObject;
  const ordered = orderKeys(object, ['kind', 'apiVersion', 'metadata']) as KubeObject;
  if (isJsonObject(ordered.metadata)) ordered.metadata = orderKeys(ordered.metadata, METADATA_ORDER);
  return ordered;
}

/** Go's encoding/json escapes <, > and & in strings. */
export function goJson(value: unknown, pretty = false): string {
  return JSON.stringify(value, null, pretty ? 2 : undefined)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026');
}

export type OutputForm = 'json' | 'yaml' | 'table' | 'partial' | 'partial-list';

export interface Negotiated {
  form: OutputForm;
  contentType: string;
}

/** Chooses the representation from the Accept header; throws 406 when none is acceptable. */
export function negotiate(accept: string | undefined, isList: boolean): Negotiated {
  if (!accept || accept.trim() === '') return { form: 'json', contentType: 'application/json' };
  for (const raw of accept.split(',')) {
    const [mediaRaw, ...params] = raw.trim().split(';');
    const media = mediaRaw!.trim().toLowerCase();
    const p: Record<string, string> = {};
    for (const param of params) {
      const [k, v] = param.split('=');
      if (k && v) p[k.trim()] = v.trim();
    }
    if (media === 'application/json' || media === 'application/*' || media === '*/*' || media === 'application/vnd.kubernetes.protobuf') {
      if (p.as === 'Table' && (p.g === 'meta.k8s.io' || p.g === undefined)) return { form: 'table', contentType: 'application/json' };
      if (p.as === 'PartialObjectMetadata' && !isList) return { form: 'partial', contentType: 'application/json' };
      if (p.as === 'PartialObjectMetadataList' && isList) return { form: 'partial-list', contentType: 'application/json' };
      if (p.as !== undefined) continue;
      return { form: 'json', contentType: 'application/json' };
    }
    if (media === 'application/yaml') return { form: 'yaml', contentType: 'application/yaml' };
  }
  throw notAcceptable();
}

export function toYaml(value: unknown): string {
  // sigs.k8s.io/yaml writes a list at its key's own indentation
  return YAML.stringify(sortKeysDeep(value), { lineWidth: 0, indentSeq: false });
}

export interface DecodedBody {
  value: unknown;
  /** Duplicate keys seen while decoding JSON (path strings like `spec.replicas`). */
  duplicates: string[];
}

/** Finds duplicate object keys in JSON text (JSON.parse silently keeps the last one). */
function findDuplicateKeys(text: string): string[] {
  const duplicates: string[] = [];
  const stack: { keys: Set<string>; path: string; isArray: boolean; pendingKey?: string }[] = [];
  let i = 0;
  let lastString = '';
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      lastString = text.slice(i + 1, j);
      i = j + 1;
      let k = i;
      while (k < text.length && /\s/.test(text[k]!)) k++;
      const top = stack[stack.length - 1];
      if (text[k] === ':' && top && !top.isArray) {
        if (top.keys.has(lastString)) duplicates.push(top.path ? `${top.path}.${lastString}` : lastString);
        top.keys.add(lastString);
        top.pendingKey = lastString;
      }
      continue;
    }
    if (c === '{' || c === '[') {
      const parent = stack[stack.length - 1];
      const path = parent && !parent.isArray && parent.pendingKey !== undefined ? (parent.path ? `${parent.path}.${parent.pendingKey}` : parent.pendingKey) : parent?.path ?? '';
      stack.push({ keys: new Set(), path, isArray: c === '[' });
    } else if (c === '}' || c === ']') stack.pop();
    i++;
  }
  return duplicates;
}

const JSON_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];

/** Decodes a request body for create/update (JSON, YAML or protobuf). A missing Content-Type is treated as JSON (kubectl scale). */
export function decodeBody(contentType: string | undefined, body: Buffer, kindForErrors: string): DecodedBody {
  if (isProtobufMediaType(contentType)) return { value: decodeProtobufBody(body, kindForErrors), duplicates: [] };
  const media = (contentType ?? 'application/json').split(';')[0]!.trim().toLowerCase();
  const text = body.toString('utf8');
  if (media === 'application/json' || media === '') return { value: parseJson(text, kindForErrors), duplicates: findDuplicateKeys(text) };
  if (media === 'application/yaml' || media === 'application/apply-patch+yaml') {
    try {
      return { value: YAML.parse(text), duplicates: [] };
    } catch (error) {
      throw badRequest(`error converting YAML to JSON: ${(error as Error).message}`);
    }
  }
  throw unsupportedMediaType(JSON_TYPES);
}

/** Go's encoding/json wording for the first syntax error in `text` (its scanner, see go-json-syntax.ts). */
export function goJsonSyntaxError(text: string): string {
  return goScannerError(text) ?? 'invalid JSON';
}

export function parseJson(text: string, kindForErrors: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    void error;
    const why = goJsonSyntaxError(text);
    throw badRequest(`the object provided is unrecognized (must be of type ${kindForErrors}): couldn't get version/kind; json parse error: ${why} (${bodySnippet(text)})`);
  }
}
