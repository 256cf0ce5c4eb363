/**
 * ajv validators for KVStore and KVPolicy, compiled once at import. They are stricter than the CRD schema in one
 * way: unknown fields are errors (a typo such as `replica: 3` would otherwise be pruned silently by the API server
 * when the client does not ask for strict field validation).
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { TSchema } from '@sinclair/typebox';
import { KVStoreSpec } from './schema/kvstore.js';
import { KVPolicySpec } from './schema/kvpolicy.js';
import { QUANTITY_PATTERN } from './schema/core.js';

const QUANTITY_MESSAGE = 'must be an integer or a quantity string such as "256Mi"';

export interface FieldError {
  /** Dotted path such as `spec.persistence.size`. */
  field: string;
  message: string;
}

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

function createAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, allowUnionTypes: true });
  addFormats(ajv);
  for (const keyword of ['x-kubernetes-preserve-unknown-fields', 'x-kubernetes-int-or-string', 'x-kubernetes-validations',
    'x-kubernetes-list-type', 'x-kubernetes-list-map-keys']) {
    ajv.addKeyword(keyword);
  }
  return ajv;
}

/** A deep copy of `schema` in which every object with declared properties refuses other properties. */
export function closeObjects(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closeObjects);
  if (schema === null || typeof schema !== 'object') return schema;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) copy[key] = closeObjects(value);
  if (copy.type === 'object' && copy.properties && copy.additionalProperties === undefined) copy.additionalProperties = false;
  return copy;
}

const ajv = createAjv();
const validateSpec = ajv.compile(closeObjects(KVStoreSpec) as TSchema);
const validatePolicySpec = ajv.compile(closeObjects(KVPolicySpec) as TSchema);

function pointerToPath(prefix: string, pointer: string): string {
  const parts = pointer.split('/').slice(1).map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
  return [prefix, ...parts].map((part, index) => (index > 0 && /^\d+$/.test(part) ? `[${part}]` : part))
    .join('.').replace(/\.\[/g, '[');
}

function describeError(prefix: string, error: ErrorObject): FieldError {
  const base = pointerToPath(prefix, error.instancePath);
  switch (error.keyword) {
    case 'additionalProperties': {
      const name = String(error.params.additionalProperty);
      return { field: `${base}.${name}`, message: `unknown field "${name}"` };
    }
    case 'enum':
      return { field: base, message: `must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    case 'anyOf':
      return { field: base, message: QUANTITY_MESSAGE };
    case 'pattern':
      // quantities carry their pattern next to the anyOf (structural CRD form), so a bad string fails here
      return { field: base, message: error.params.pattern === QUANTITY_PATTERN ? QUANTITY_MESSAGE : error.message ?? 'is invalid' };
    default:
      return { field: base, message: error.message ?? 'is invalid' };
  }
}

function collectErrors(prefix: string, validate: ValidateFunction, value: unknown): FieldError[] {
  if (validate(value)) return [];
  const seen = new Set<string>();
  const errors: FieldError[] = [];
  for (const error of validate.errors ?? []) {
    // anyOf reports each branch's failure too; the anyOf summary says it better.
    if (error.schemaPath.includes('/anyOf/')) continue;
    const described = describeError(prefix, error);
    const key = `${described.field}: ${described.message}`;
    if (!seen.has(key)) { seen.add(key); errors.push(described); }
  }
  return errors;
}

/** Schema errors of a KVStore spec, one per failing field path (empty when valid). */
export function validateKVStoreSpecSchema(spec: unknown): FieldError[] {
  return collectErrors('spec', validateSpec, spec ?? {});
}

/** Schema errors of a KVPolicy spec. */
export function validateKVPolicySpecSchema(spec: unknown): FieldError[] {
  return collectErrors('spec', validatePolicySpec, spec ?? {});
}

/** Schema errors of a partial KVStore spec given under another path (KVPolicy `spec.defaults`). */
export function validatePartialKVStoreSpec(spec: unknown, path: string): FieldError[] {
  return collectErrors(path, validateSpec, spec ?? {});
}

export function formatFieldError(error: FieldError): string {
  return `${error.field}: ${error.message}`;
}
