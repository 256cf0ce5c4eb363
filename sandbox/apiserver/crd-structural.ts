/**
 * Structural-schema rules that kube-apiserver enforces on a CRD's `openAPIV3Schema` (apiextensions' structural
 * schema validation plus the OpenAPI checks that come after it), with its field paths, messages and ordering
 * (golden 35). Pure: a CRD in, its field errors out.
 */
import { decodeSchema } from './crd-schema-decode.js';
import type { FieldError } from './status-errors.js';
import { fieldError } from './status-errors.js';
import type { JsonObject } from './types.js';
import { isJsonObject } from './types.js';

type Level = 'root' | 'item' | 'field';

/** Keywords that may not appear inside anyOf/allOf/oneOf/not (they belong to the structural part of the schema). */
const NESTED_FORBIDDEN: ReadonlyArray<readonly [string, string]> = [
  ['default', 'must be undefined to be structural'],
  ['title', 'must be empty to be structural'],
  ['description', 'must be empty to be structural'],
  ['nullable', 'must be false to be structural'],
  ['externalDocs', 'must be undefined to be structural'],
  ['x-kubernetes-preserve-unknown-fields', 'must be false to be structural'],
  ['x-kubernetes-embedded-resource', 'must be false to be structural'],
  ['x-kubernetes-int-or-string', 'must be false to be structural'],
  ['x-kubernetes-list-map-keys', 'must be empty to be structural'],
  ['x-kubernetes-list-type', 'must be undefined to be structural'],
  ['x-kubernetes-map-type', 'must be undefined to be structural'],
  ['x-kubernetes-validations', 'must be empty to be structural'],
];

/** Fields of a structural schema node that are not value validations (Generic, Extensions, children). */
const STRUCTURAL_FIELDS = new Set([
  'type', 'description', 'title', 'default', 'nullable', 'externalDocs', 'items', 'properties', 'additionalProperties',
  'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-embedded-resource', 'x-kubernetes-int-or-string',
  'x-kubernetes-list-map-keys', 'x-kubernetes-list-type', 'x-kubernetes-map-type', 'x-kubernetes-validations',
]);

const key = (path: string, name: string): string => `${path}[${name}]`;

function schemas(value: unknown): JsonObject[] {
  return Array.isArray(value) ? value.filter(isJsonObject) : [];
}

function propertiesOf(schema: JsonObject): Array<[string, JsonObject]> {
  return isJsonObject(schema.properties) ? Object.entries(schema.properties).filter((e): e is [string, JsonObject] => isJsonObject(e[1])) : [];
}

const typeOf = (schema: JsonObject): string => (typeof schema.type === 'string' ? schema.type : '');
const preservesUnknown = (schema: JsonObject): boolean => schema['x-kubernetes-preserve-unknown-fields'] === true;

/**
 * The one typed anyOf that is allowed: exactly `[{type: integer}, {type: string}]`. Anything else in a branch
 * (a pattern, a description) breaks the exception and both branch types become forbidden (35 #4, #6, #14).
 */
function isIntOrStringAnyOf(anyOf: unknown): boolean {
  const branches = schemas(anyOf);
  return branches.length === 2 && JSON.stringify(branches) === JSON.stringify([{ type: 'integer' }, { type: 'string' }]);
}

/** Value validations (anyOf, allOf, oneOf, not) of a node; `skipAnyOf` for the int-or-string exception. */
function valueValidationErrors(schema: JsonObject, skipAnyOf: boolean, skipFirstAllOfAnyOf: boolean, path: string, errors: FieldError[]): void {
  if (!skipAnyOf) schemas(schema.anyOf).forEach((branch, i) => nestedErrors(branch, false, `${path}.anyOf[${i}]`, errors));
  schemas(schema.allOf).forEach((branch, i) => nestedErrors(branch, skipFirstAllOfAnyOf && i === 0, `${path}.allOf[${i}]`, errors));
  schemas(schema.oneOf).forEach((branch, i) => nestedErrors(branch, false, `${path}.oneOf[${i}]`, errors));
  if (isJsonObject(schema.not)) nestedErrors(schema.not, false, `${path}.not`, errors);
}

/** A schema under a logic junctor: it may only restrict values, never declare types or shape. */
function nestedErrors(schema: JsonObject, skipAnyOf: boolean, path: string, errors: FieldError[]): void {
  valueValidationErrors(schema, skipAnyOf, false, path, errors);
  if (isJsonObject(schema.items)) nestedErrors(schema.items, false, `${path}.items`, errors);
  for (const [name, child] of propertiesOf(schema)) nestedErrors(child, false, key(`${path}.properties`, name), errors);
  if (typeOf(schema) !== '') errors.push(fieldError('FieldValueForbidden', `${path}.type`, 'must be empty to be structural'));
  if (isJsonObject(schema.additionalProperties)) errors.push(fieldError('FieldValueForbidden', `${path}.additionalProperties`, 'must be undefined to be structural'));
  for (const [name, message] of NESTED_FORBIDDEN) {
    if (schema[name] !== undefined && schema[name] !== false) errors.push(fieldError('FieldValueForbidden', `${path}.${name}`, message));
  }
  if (propertiesOf(schema).some(([name]) => name === 'metadata')) {
    errors.push(fieldError('FieldValueForbidden', key(`${path}.properties`, 'metadata'), 'must not be specified in a nested context'));
  }
}

/** The root `metadata` may restrict name and generateName only; nested metadata of embedded resources must be objects. */
function metadataErrors(metadata: JsonObject, checkMetadata: boolean, level: Level, path: string, errors: FieldError[]): void {
  if (checkMetadata && typeOf(metadata) !== 'object') errors.push(fieldError('FieldValueInvalid', `${path}.type`, 'must be object', typeOf(metadata)));
  if (level !== 'root') return;
  const names = propertiesOf(metadata).map(([name]) => name).sort();
  const onlyNames = names.length > 0 && names.every((n) => n === 'name' || n === 'generateName');
  const rest = Object.keys(metadata).filter((k) => k !== 'type' && k !== 'default' && !(k === 'properties' && onlyNames))
    .filter((k) => !(k === 'x-kubernetes-preserve-unknown-fields' && metadata[k] === false));
  if (rest.length > 0) errors.push(fieldError('FieldValueForbidden', path, 'must not specify anything other than name and generateName, but metadata is implicitly specified'));
}

function invariantErrors(schema: JsonObject, level: Level, path: string, errors: FieldError[]): void {
  const type = typeOf(schema);
  const embedded = schema['x-kubernetes-embedded-resource'] === true;
  const intOrString = schema['x-kubernetes-int-or-string'] === true;
  if (type === 'array' && schema.items === undefined) errors.push(fieldError('FieldValueRequired', `${path}.items`, 'must be specified'));
  if (isJsonObject(schema.items)) invariantErrors(schema.items, 'item', `${path}.items`, errors);
  for (const [name, child] of propertiesOf(schema)) invariantErrors(child, 'field', key(`${path}.properties`, name), errors);
  if (schema.additionalProperties !== undefined) {
    if (level === 'root') errors.push(fieldError('FieldValueForbidden', `${path}.additionalProperties`, 'must not be used at the root'));
    if (isJsonObject(schema.additionalProperties)) invariantErrors(schema.additionalProperties, 'field', `${path}.additionalProperties`, errors);
  }
  if (intOrString && preservesUnknown(schema)) errors.push(fieldError('FieldValueInvalid', `${path}.x-kubernetes-preserve-unknown-fields`, 'must be false if x-kubernetes-int-or-string is true', true));
  if (intOrString && embedded) errors.push(fieldError('FieldValueInvalid', `${path}.x-kubernetes-embedded-resource`, 'must be false if x-kubernetes-int-or-string is true', true));
  const firstAllOf = schemas(schema.allOf)[0];
  valueValidationErrors(schema, isIntOrStringAnyOf(schema.anyOf), firstAllOf !== undefined && isIntOrStringAnyOf(firstAllOf.anyOf), path, errors);

  if (embedded && type !== 'object') {
    if (type === '') errors.push(fieldError('FieldValueRequired', `${path}.type`, 'must be object if x-kubernetes-embedded-resource is true'));
    else errors.push(fieldError('FieldValueInvalid', `${path}.type`, 'must be object if x-kubernetes-embedded-resource is true', type));
  } else if (type === '' && !intOrString && !preservesUnknown(schema)) {
    const where = { root: 'at the root', item: 'for specified array items', field: 'for specified object fields' }[level];
    errors.push(fieldError('FieldValueRequired', `${path}.type`, `must not be empty ${where}`));
  }
  if (embedded && schema.additionalProperties !== undefined) errors.push(fieldError('FieldValueForbidden', `${path}.additionalProperties`, 'must not be used if x-kubernetes-embedded-resource is set'));
  if (level === 'root' && type !== '' && type !== 'object') errors.push(fieldError('FieldValueInvalid', `${path}.type`, 'must be object at the root', type));

  const checkMetadata = level === 'root' || embedded;
  const properties = new Map(propertiesOf(schema));
  for (const name of ['kind', 'apiVersion']) {
    const child = properties.get(name);
    if (child && checkMetadata && typeOf(child) !== 'string') errors.push(fieldError('FieldValueInvalid', `${key(`${path}.properties`, name)}.type`, 'must be string', typeOf(child)));
  }
  const metadata = properties.get('metadata');
  if (metadata) metadataErrors(metadata, checkMetadata, level, key(`${path}.properties`, 'metadata'), errors);
  if (embedded && !preservesUnknown(schema) && properties.size === 0) {
    errors.push(fieldError('FieldValueRequired', `${path}.properties`, 'must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields'));
  }
}

/** Fields that a root anyOf/allOf/oneOf/not names must also be declared in the structural part (completeness). */
function completenessErrors(branch: JsonObject, structural: JsonObject | undefined, sPath: string, vPath: string, errors: FieldError[]): void {
  if (structural === undefined) {
    errors.push(fieldError('FieldValueRequired', sPath, `because it is defined in ${vPath}`));
    return;
  }
  for (const junctor of ['anyOf', 'allOf', 'oneOf'] as const) {
    schemas(branch[junctor]).forEach((b, i) => completenessErrors(b, structural, sPath, `${vPath}.${junctor}[${i}]`, errors));
  }
  if (isJsonObject(branch.not)) completenessErrors(branch.not, structural, sPath, `${vPath}.not`, errors);
  if (isJsonObject(branch.items)) completenessErrors(branch.items, isJsonObject(structural.items) ? structural.items : undefined, `${sPath}.items`, `${vPath}.items`, errors);
  const declared = new Map(propertiesOf(structural));
  for (const [name, child] of propertiesOf(branch)) {
    const sChild = declared.get(name);
    if (!sChild) errors.push(fieldError('FieldValueRequired', key(`${sPath}.properties`, name), `because it is defined in ${key(`${vPath}.properties`, name)}`));
    else completenessErrors(child, sChild, key(`${sPath}.properties`, name), key(`${vPath}.properties`, name), errors);
  }
}

/** The OpenAPI checks kube-apiserver runs after the structural ones (ValidateCustomResourceDefinitionOpenAPISchema). */
function openApiErrors(schema: JsonObject, path: string, errors: FieldError[]): void {
  const forbidden: Array<[string, boolean, string]> = [
    ['id', schema.id !== undefined, 'id is not supported'],
    ['additionalItems', schema.additionalItems !== undefined, 'additionalItems is not supported'],
    ['patternProperties', schema.patternProperties !== undefined, 'patternProperties is not supported'],
    ['definitions', schema.definitions !== undefined, 'definitions is not supported'],
    ['dependencies', schema.dependencies !== undefined, 'dependencies is not supported'],
    ['$ref', schema.$ref !== undefined, '$ref is not supported'],
    ['type', schema.type === 'null', 'type cannot be set to null, use nullable as an alternative'],
    ['items', Array.isArray(schema.items), 'items must be a schema object and not an array'],
    ['uniqueItems', schema.uniqueItems === true, 'uniqueItems cannot be set to true since the runtime complexity becomes quadratic'],
  ];
  for (const [name, present, message] of forbidden) if (present) errors.push(fieldError('FieldValueForbidden', `${path}.${name}`, message));
  const additional = schema.additionalProperties;
  if (additional !== undefined && propertiesOf(schema).length > 0 && (additional === false || isJsonObject(additional))) {
    errors.push(fieldError('FieldValueForbidden', `${path}.additionalProperties`, 'additionalProperties and properties are mutual exclusive'));
  }
  if (isJsonObject(additional)) openApiErrors(additional, `${path}.additionalProperties`, errors);
  for (const [name, child] of propertiesOf(schema)) openApiErrors(child, key(`${path}.properties`, name), errors);
  if (isJsonObject(schema.not)) openApiErrors(schema.not, `${path}.not`, errors);
  for (const junctor of ['allOf', 'oneOf', 'anyOf'] as const) schemas(schema[junctor]).forEach((b, i) => openApiErrors(b, `${path}.${junctor}[${i}]`, errors));
  if (isJsonObject(schema.items)) openApiErrors(schema.items, `${path}.items`, errors);
  if (schema['x-kubernetes-preserve-unknown-fields'] === false) {
    errors.push(fieldError('FieldValueInvalid', `${path}.x-kubernetes-preserve-unknown-fields`, 'must be true or undefined', false));
  }
}

/**
 * Errors of one `openAPIV3Schema` at `path`: the structural ones first, sorted by their text as kube-apiserver
 * sorts them (its maps iterate randomly), then the OpenAPI ones.
 */
export function schemaErrors(rawSchema: unknown, path: string): FieldError[] {
  const schema = decodeSchema(rawSchema, path, undefined);
  if (!isJsonObject(schema)) return [];
  const structural: FieldError[] = [];
  if (schema.nullable === true) structural.push(fieldError('FieldValueForbidden', `${path}.nullable`, 'nullable cannot be true at the root'));
  const sorted: FieldError[] = [];
  invariantErrors(schema, 'root', path, sorted);
  const valueOnly = Object.fromEntries(Object.entries(schema).filter(([k]) => !STRUCTURAL_FIELDS.has(k)));
  completenessErrors(valueOnly, schema, path, path, sorted);
  const text = (e: FieldError): string => `${e.field}: ${e.message}`;
  sorted.sort((a, b) => (text(a) < text(b) ? -1 : text(a) > text(b) ? 1 : 0));
  structural.push(...sorted);
  openApiErrors(schema, path, structural);
  return structural;
}

/**
 * The schema errors of a CRD. When every version has the same schema, kube-apiserver checks it once under
 * `spec.validation.openAPIV3Schema` (its internal form hoists it there); otherwise each under its version.
 */
export function crdSchemaErrors(crd: JsonObject): FieldError[] {
  const spec = isJsonObject(crd.spec) ? crd.spec : {};
  const versions = Array.isArray(spec.versions) ? spec.versions.filter(isJsonObject) : [];
  const schemaOf = (version: JsonObject): unknown => (isJsonObject(version.schema) ? version.schema.openAPIV3Schema : undefined);
  const first = versions[0];
  if (first === undefined) return [];
  const shared = versions.every((v) => JSON.stringify(decodeSchema(schemaOf(v), '', undefined)) === JSON.stringify(decodeSchema(schemaOf(first), '', undefined)));
  if (shared) return schemaErrors(schemaOf(first), 'spec.validation.openAPIV3Schema');
  return versions.flatMap((v, i) => schemaErrors(schemaOf(v), `spec.versions[${i}].schema.openAPIV3Schema`));
}
