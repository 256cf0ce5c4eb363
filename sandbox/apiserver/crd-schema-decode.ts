/**
 * A CRD's `openAPIV3Schema` as kube-apiserver decodes and stores it: the fields of apiextensions/v1
 * JSONSchemaProps only (anything else, such as `const`, is an `unknown field` and dropped), empty values left out as
 * Go's `omitempty` does (`properties: {}` is not stored, golden 35 #15), and keys in Go struct order with sorted
 * property names, so the stored CRD reads back as the real server's does.
 */
import type { JsonObject } from './types.js';
import { isJsonObject } from './types.js';

/** How each JSONSchemaProps field is decoded and when it is left out. */
type FieldKind =
  | 'string' // string, omitted when ""
  | 'pointer' // *string, *float64, *int64, *bool, *JSON: kept whenever present and not null
  | 'flag' // bool: kept only when true
  | 'list' // []string or []JSON: omitted when empty
  | 'schema' // *JSONSchemaProps
  | 'schemas' // []JSONSchemaProps
  | 'schema-map' // map[string]JSONSchemaProps, omitted when empty
  | 'schema-or-array' // JSONSchemaPropsOrArray (items), decoded by a custom unmarshaller
  | 'schema-or-bool' // JSONSchemaPropsOrBool (additionalProperties, additionalItems), custom unmarshaller
  | 'dependencies' // map of JSONSchemaPropsOrStringArray, custom unmarshaller
  | 'external-docs'
  | 'validation-rules';

/** apiextensions/v1 JSONSchemaProps, in Go struct order. */
const SCHEMA_FIELDS: ReadonlyArray<readonly [string, FieldKind]> = [
  ['id', 'string'], ['$schema', 'string'], ['$ref', 'pointer'], ['description', 'string'], ['type', 'string'],
  ['format', 'string'], ['title', 'string'], ['default', 'pointer'], ['maximum', 'pointer'], ['exclusiveMaximum', 'flag'],
  ['minimum', 'pointer'], ['exclusiveMinimum', 'flag'], ['maxLength', 'pointer'], ['minLength', 'pointer'],
  ['pattern', 'string'], ['maxItems', 'pointer'], ['minItems', 'pointer'], ['uniqueItems', 'flag'],
  ['multipleOf', 'pointer'], ['enum', 'list'], ['maxProperties', 'pointer'], ['minProperties', 'pointer'],
  ['required', 'list'], ['items', 'schema-or-array'], ['allOf', 'schemas'], ['oneOf', 'schemas'], ['anyOf', 'schemas'],
  ['not', 'schema'], ['properties', 'schema-map'], ['additionalProperties', 'schema-or-bool'],
  ['patternProperties', 'schema-map'], ['dependencies', 'dependencies'], ['additionalItems', 'schema-or-bool'],
  ['definitions', 'schema-map'], ['externalDocs', 'external-docs'], ['example', 'pointer'], ['nullable', 'flag'],
  ['x-kubernetes-preserve-unknown-fields', 'pointer'], ['x-kubernetes-embedded-resource', 'flag'],
  ['x-kubernetes-int-or-string', 'flag'], ['x-kubernetes-list-map-keys', 'list'], ['x-kubernetes-list-type', 'pointer'],
  ['x-kubernetes-map-type', 'pointer'], ['x-kubernetes-validations', 'validation-rules'],
];
const SCHEMA_FIELD_KINDS = new Map<string, FieldKind>(SCHEMA_FIELDS);
const EXTERNAL_DOCS_FIELDS = ['description', 'url'];
const VALIDATION_RULE_FIELDS = ['rule', 'message', 'messageExpression', 'reason', 'fieldPath', 'optionalOldSelf'];

/**
 * Where unknown fields are reported. Go's strict decoder cannot see below a type with its own UnmarshalJSON
 * (`items`, `additionalProperties`, `additionalItems`, `dependencies`), so fields there are dropped silently: the
 * project's old `const` under `conditions.items` drew no warning while the same `const` under a property did (35 #0, #7).
 */
type UnknownSink = ((path: string) => void) | undefined;

function decodeStruct(value: JsonObject, fields: string[], path: string, report: UnknownSink): JsonObject {
  const out: JsonObject = {};
  for (const key of fields) if (value[key] !== undefined && value[key] !== null && value[key] !== '') out[key] = value[key];
  if (report) for (const key of Object.keys(value)) if (!fields.includes(key)) report(`${path}.${key}`);
  return out;
}

function decodeSchemaMap(value: JsonObject, path: string, report: UnknownSink): JsonObject {
  const out: JsonObject = {};
  for (const key of Object.keys(value).sort()) out[key] = decodeSchema(value[key], `${path}.${key}`, report);
  return out;
}

function decodeField(kind: FieldKind, value: unknown, path: string, report: UnknownSink): unknown {
  switch (kind) {
    case 'string': return value === '' ? undefined : value;
    case 'pointer': return value === null ? undefined : value;
    case 'flag': return value === false ? undefined : value;
    case 'list': return Array.isArray(value) && value.length === 0 ? undefined : value;
    case 'schema': return value === null ? undefined : decodeSchema(value, path, report);
    case 'schemas':
      if (!Array.isArray(value)) return value;
      return value.length === 0 ? undefined : value.map((item, i) => decodeSchema(item, `${path}[${i}]`, report));
    case 'schema-map':
      if (!isJsonObject(value)) return value;
      return Object.keys(value).length === 0 ? undefined : decodeSchemaMap(value, path, report);
    case 'schema-or-array':
      if (Array.isArray(value)) return value.map((item) => decodeSchema(item, path, undefined));
      return value === null ? undefined : decodeSchema(value, path, undefined);
    case 'schema-or-bool':
      return isJsonObject(value) ? decodeSchema(value, path, undefined) : value ?? undefined;
    case 'dependencies': {
      if (!isJsonObject(value)) return value;
      const out: JsonObject = {};
      for (const key of Object.keys(value).sort()) out[key] = Array.isArray(value[key]) ? value[key] : decodeSchema(value[key], path, undefined);
      return Object.keys(out).length === 0 ? undefined : out;
    }
    case 'external-docs': return isJsonObject(value) ? decodeStruct(value, EXTERNAL_DOCS_FIELDS, path, report) : value ?? undefined;
    case 'validation-rules':
      if (!Array.isArray(value)) return value;
      if (value.length === 0) return undefined;
      return value.map((rule, i) => (isJsonObject(rule) ? decodeStruct(rule, VALIDATION_RULE_FIELDS, `${path}[${i}]`, report) : rule));
  }
}

/**
 * One JSONSchemaProps as stored. `report` receives the path of each unknown field the strict decoder would name.
 * Values of the wrong JSON type are kept as sent (kube-apiserver refuses them with a 400 the sandbox does not model).
 */
export function decodeSchema(schema: unknown, path: string, report: UnknownSink): unknown {
  if (!isJsonObject(schema)) return schema;
  const out: JsonObject = {};
  for (const [key, kind] of SCHEMA_FIELDS) {
    if (!(key in schema)) continue;
    const decoded = decodeField(kind, schema[key], `${path}.${key}`, report);
    if (decoded !== undefined) out[key] = decoded;
  }
  if (report) for (const key of Object.keys(schema)) if (!SCHEMA_FIELD_KINDS.has(key)) report(`${path}.${key}`);
  return out;
}

/** Each version's schema with the path the strict decoder uses for it (`spec.versions[0].schema.openAPIV3Schema`). */
function versionSchemas(crd: JsonObject): Array<{ holder: JsonObject; path: string }> {
  const spec = isJsonObject(crd.spec) ? crd.spec : {};
  const versions = Array.isArray(spec.versions) ? spec.versions : [];
  const out: Array<{ holder: JsonObject; path: string }> = [];
  versions.forEach((version, i) => {
    if (isJsonObject(version) && isJsonObject(version.schema) && isJsonObject(version.schema.openAPIV3Schema)) {
      out.push({ holder: version.schema, path: `spec.versions[${i}].schema.openAPIV3Schema` });
    }
  });
  return out;
}

/** Paths of the schema fields that apiextensions/v1 does not know, for `unknown field "<path>"` warnings. */
export function unknownCrdSchemaFields(crd: JsonObject): string[] {
  const unknown: string[] = [];
  for (const { holder, path } of versionSchemas(crd)) decodeSchema(holder.openAPIV3Schema, path, (p) => unknown.push(p));
  return unknown;
}

/** Rewrites every version's schema in place to its stored form. */
export function normalizeCrdSchemas(crd: JsonObject): void {
  for (const { holder, path } of versionSchemas(crd)) holder.openAPIV3Schema = decodeSchema(holder.openAPIV3Schema, path, undefined);
}
