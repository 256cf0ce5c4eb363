/**
 * Structural schemas of custom resources: defaulting, pruning of unknown fields, OpenAPI v3 validation and
 * x-kubernetes-validations (CEL) rules, with kube-apiserver's messages and field paths (golden 14, 15, 16, 19).
 */
import { isCelError, run } from '@bufbuild/cel';
import type { FieldError } from './status-errors.js';
import { fieldError } from './status-errors.js';
import type { JsonObject } from './types.js';
import { deepClone, isJsonObject } from './types.js';

const METADATA_FIELDS = new Set([
  'name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp',
  'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields',
]);

function properties(schema: JsonObject): JsonObject {
  return isJsonObject(schema.properties) ? schema.properties : {};
}

/** Applies `default`s inside objects that exist (never creates a missing parent). */
export function applySchemaDefaults(value: unknown, schema: JsonObject | undefined): void {
  if (!schema) return;
  if (isJsonObject(value)) {
    for (const [name, propSchema] of Object.entries(properties(schema))) {
      if (!isJsonObject(propSchema)) continue;
      if (value[name] === undefined && propSchema.default !== undefined) value[name] = deepClone(propSchema.default);
      if (value[name] !== undefined) applySchemaDefaults(value[name], propSchema);
    }
    if (isJsonObject(schema.additionalProperties)) for (const v of Object.values(value)) applySchemaDefaults(v, schema.additionalProperties);
  } else if (Array.isArray(value) && isJsonObject(schema.items)) {
    for (const item of value) applySchemaDefaults(item, schema.items);
  }
}

/** Removes fields the schema does not declare; returns their paths (for warnings or Strict errors). */
export function pruneUnknown(value: unknown, schema: JsonObject | undefined, path: string, unknown: string[], isRoot = false): void {
  if (!schema || schema['x-kubernetes-preserve-unknown-fields'] === true) {
    if (schema && isJsonObject(value)) for (const [k, v] of Object.entries(properties(schema))) if (isJsonObject(v) && value[k] !== undefined) pruneUnknown(value[k], v, join(path, k), unknown);
    return;
  }
  if (isJsonObject(value)) {
    const props = properties(schema);
    const embedded = isRoot || schema['x-kubernetes-embedded-resource'] === true;
    for (const key of Object.keys(value)) {
      if (embedded && (key === 'apiVersion' || key === 'kind')) continue;
      if (embedded && key === 'metadata') {
        if (isJsonObject(value.metadata)) {
          for (const mk of Object.keys(value.metadata)) {
            if (!METADATA_FIELDS.has(mk)) {
              unknown.push(join(join(path, 'metadata'), mk));
              delete value.metadata[mk];
            }
          }
        }
        continue;
      }
      if (isJsonObject(props[key])) pruneUnknown(value[key], props[key] as JsonObject, join(path, key), unknown);
      else if (isJsonObject(schema.additionalProperties)) pruneUnknown(value[key], schema.additionalProperties, join(path, key), unknown);
      else if (schema.additionalProperties === true) continue;
      else {
        unknown.push(join(path, key));
        delete value[key];
      }
    }
  } else if (Array.isArray(value) && isJsonObject(schema.items)) {
    value.forEach((item, i) => pruneUnknown(item, schema.items as JsonObject, `${path}[${i}]`, unknown));
  }
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** OpenAPI v3 validation of one value; `blocking` collects errors that stop CEL evaluation. */
/** Status is validated with its own root, so messages say `phase in body` for `status.phase` (golden 19). */
function bodyPath(path: string): string {
  return path.startsWith('status.') ? path.slice('status.'.length) : path;
}

function validateValue(value: unknown, schema: JsonObject, path: string, errors: FieldError[]): void {
  if (value === null && schema.nullable === true) return;
  const type = schema.type;
  const actual = jsonType(value);
  if (typeof type === 'string' && schema['x-kubernetes-int-or-string'] !== true) {
    const ok = type === actual || (type === 'number' && actual === 'integer');
    if (!ok) {
      errors.push({ type: 'FieldValueTypeInvalid', field: path, message: `Invalid value: "${actual}": ${bodyPath(path)} in body must be of type ${type}: "${actual}"` });
      return;
    }
  }
  if (schema['x-kubernetes-int-or-string'] === true && actual !== 'integer' && actual !== 'string') {
    errors.push({ type: 'FieldValueTypeInvalid', field: path, message: `Invalid value: "${actual}": ${bodyPath(path)} in body must be of type integer,string: "${actual}"` });
    return;
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    errors.push({ type: 'FieldValueNotSupported', field: path, message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}` });
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && (schema.exclusiveMinimum === true ? value <= schema.minimum : value < schema.minimum)) {
      errors.push(fieldError('FieldValueInvalid', path, `${bodyPath(path)} in body should be greater than ${schema.exclusiveMinimum === true ? '' : 'or equal to '}${schema.minimum}`, value));
    }
    if (typeof schema.maximum === 'number' && (schema.exclusiveMaximum === true ? value >= schema.maximum : value > schema.maximum)) {
      errors.push(fieldError('FieldValueInvalid', path, `${bodyPath(path)} in body should be less than ${schema.exclusiveMaximum === true ? '' : 'or equal to '}${schema.maximum}`, value));
    }
  }
  if (typeof value === 'string') {
    if (typeof schema.minLength === 'number' && [...value].length < schema.minLength) errors.push(fieldError('FieldValueInvalid', path, `${bodyPath(path)} in body should be at least ${schema.minLength} chars long`, value));
    if (typeof schema.maxLength === 'number' && [...value].length > schema.maxLength) errors.push({ type: 'FieldValueTooLong', field: path, message: `Too long: may not be more than ${schema.maxLength} bytes` });
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) errors.push(fieldError('FieldValueInvalid', path, `${bodyPath(path)} in body should match '${schema.pattern}'`, value));
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) errors.push(fieldError('FieldValueInvalid', path, `${bodyPath(path)} in body should have at least ${schema.minItems} items`, value.length));
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) errors.push({ type: 'FieldValueTooMany', field: path, message: `Too many: ${value.length}: must have at most ${schema.maxItems} items` });
    if (isJsonObject(schema.items)) value.forEach((item, i) => validateValue(item, schema.items as JsonObject, `${path}[${i}]`, errors));
  }
  if (isJsonObject(value)) {
    const props = properties(schema);
    for (const required of Array.isArray(schema.required) ? schema.required : []) {
      if (value[String(required)] === undefined) errors.push({ type: 'FieldValueRequired', field: join(path, String(required)), message: 'Required value' });
    }
    for (const [key, v] of Object.entries(value)) {
      if (v === undefined) continue;
      const child = isJsonObject(props[key]) ? (props[key] as JsonObject) : isJsonObject(schema.additionalProperties) ? schema.additionalProperties : undefined;
      if (child && !(path === '' && (key === 'metadata' || key === 'apiVersion' || key === 'kind'))) validateValue(v, child, join(path, key), errors);
    }
    if (typeof schema.minProperties === 'number' && Object.keys(value).length < schema.minProperties) errors.push(fieldError('FieldValueInvalid', path, `${bodyPath(path)} in body should have at least ${schema.minProperties} properties`, Object.keys(value).length));
    if (typeof schema.maxProperties === 'number' && Object.keys(value).length > schema.maxProperties) errors.push({ type: 'FieldValueTooMany', field: path, message: `Too many: ${Object.keys(value).length}: must have at most ${schema.maxProperties} items` });
  }
}

/** JSON → CEL input: integers of integer-typed fields become bigint, objects become Maps. */
function toCel(value: unknown, schema: JsonObject | undefined): unknown {
  if (Array.isArray(value)) return value.map((v) => toCel(v, isJsonObject(schema?.items) ? schema!.items as JsonObject : undefined));
  if (isJsonObject(value)) {
    const props = schema ? properties(schema) : {};
    const additional = isJsonObject(schema?.additionalProperties) ? (schema!.additionalProperties as JsonObject) : undefined;
    return new Map(Object.entries(value).map(([k, v]) => [k, toCel(v, isJsonObject(props[k]) ? (props[k] as JsonObject) : additional)]));
  }
  if (typeof value === 'number' && (schema?.type === 'integer' || (schema === undefined && Number.isInteger(value)))) return BigInt(value);
  return value;
}

function celTypeName(value: unknown): string {
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  if (typeof value === 'boolean') return 'boolean';
  if (Array.isArray(value)) return 'array';
  if (isJsonObject(value)) return 'object';
  return 'null';
}

/** Evaluates x-kubernetes-validations rules, including transition rules that use oldSelf. */
function validateCel(value: unknown, oldValue: unknown, schema: JsonObject, path: string, errors: FieldError[]): void {
  if (value === undefined) return;
  const rules = Array.isArray(schema['x-kubernetes-validations']) ? schema['x-kubernetes-validations'] : [];
  for (const rule of rules) {
    if (!isJsonObject(rule) || typeof rule.rule !== 'string') continue;
    const usesOld = /\boldSelf\b/.test(rule.rule);
    if (usesOld && rule.optionalOldSelf !== true && oldValue === undefined) continue;
    const bindings: Record<string, unknown> = { self: toCel(value, schema) };
    if (usesOld) bindings.oldSelf = toCel(oldValue, schema);
    let ok: unknown;
    try {
      ok = run(rule.rule, bindings as never);
    } catch (error) {
      ok = error;
    }
    if (ok === true) continue;
    const field = typeof rule.fieldPath === 'string' && rule.fieldPath !== '' ? join(path, rule.fieldPath.replace(/^\./, '')) : path;
    const message = isCelError(ok) || ok instanceof Error
      ? `rule compile/eval error: ${String((ok as { message?: string }).message ?? ok)}`
      : typeof rule.message === 'string' && rule.message !== ''
        ? rule.message
        : `failed rule: ${rule.rule}`;
    const reason = typeof rule.reason === 'string' ? rule.reason : 'FieldValueInvalid';
    if (reason === 'FieldValueForbidden') errors.push({ type: reason, field, message: `Forbidden: ${message}` });
    else if (reason === 'FieldValueRequired') errors.push({ type: reason, field, message: `Required value: ${message}` });
    else errors.push({ type: reason === 'FieldValueDuplicate' ? reason : 'FieldValueInvalid', field, message: `Invalid value: "${celTypeName(value)}": ${message}` });
  }
  if (isJsonObject(value)) {
    const props = properties(schema);
    for (const [key, v] of Object.entries(value)) {
      const child = isJsonObject(props[key]) ? (props[key] as JsonObject) : isJsonObject(schema.additionalProperties) ? schema.additionalProperties : undefined;
      if (child) validateCel(v, isJsonObject(oldValue) ? oldValue[key] : undefined, child, join(path, key), errors);
    }
  } else if (Array.isArray(value) && isJsonObject(schema.items)) {
    value.forEach((item, i) => validateCel(item, Array.isArray(oldValue) ? oldValue[i] : undefined, schema.items as JsonObject, `${path}[${i}]`, errors));
  }
}

function hasCel(schema: unknown): boolean {
  return JSON.stringify(schema ?? {}).includes('"x-kubernetes-validations"');
}

/**
 * Validates a custom resource against its schema. `scopes` limits validation to top-level fields
 * (`status` only through /status). Blocking schema errors skip CEL and add the `<nil>` cause.
 */
/** Errors that stop CEL evaluation (apiextensions' hasBlockingErr). */
const BLOCKING = new Set(['FieldValueTypeInvalid', 'FieldValueRequired', 'FieldValueNotSupported']);

export function validateCustomResource(object: JsonObject, oldObject: JsonObject | undefined, schema: JsonObject | undefined, metadataErrors: FieldError[], extraErrors: FieldError[] = []): FieldError[] {
  if (!schema) return [];
  const errors: FieldError[] = [];
  validateValue(object, schema, '', errors);
  // type errors are reported first, as the OpenAPI validator does
  errors.sort((a, b) => Number(b.type === 'FieldValueTypeInvalid') - Number(a.type === 'FieldValueTypeInvalid'));
  errors.push(...extraErrors);
  const blocking = [...errors, ...metadataErrors].some((e) => BLOCKING.has(e.type));
  if (blocking) {
    if (hasCel(schema)) errors.push({ type: 'FieldValueInvalid', field: '<nil>', message: 'Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation' });
    return errors;
  }
  validateCel(object, oldObject, schema, '', errors);
  return errors;
}
