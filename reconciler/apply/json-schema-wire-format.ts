/**
 * client-node's V1JSONSchemaProps spells several JSON Schema keywords differently (`default` is `_default`, `enum`
 * is `_enum`, `$ref` is `ref`, `x-kubernetes-preserve-unknown-fields` is `x_kubernetes_preserve_unknown_fields`…)
 * and its serializer silently drops the JSON spellings. A CRD applied from plain JSON then loses its defaults,
 * enums and preserve-unknown-fields markers, and the API server prunes user data. These functions convert a
 * schema between the two spellings, walking only schema positions so a property *named* `default` stays intact.
 */
const JSON_TO_TYPED_KEYWORDS: Record<string, string> = {
  $ref: 'ref', $schema: 'schema', default: '_default', enum: '_enum',
};
const TYPED_TO_JSON_KEYWORDS: Record<string, string> = Object.fromEntries(
  Object.entries(JSON_TO_TYPED_KEYWORDS).map(([json, typed]) => [typed, json]),
);

/**
 * Keywords whose values client-node types as schemas, schema lists or schema maps. The others, including `items`,
 * `additionalProperties` and `dependencies`, it types as `any`: their subtrees go over the wire verbatim, so they
 * keep the JSON spelling.
 */
const SCHEMA_VALUED = new Set(['not']);
const SCHEMA_LIST_VALUED = new Set(['anyOf', 'allOf', 'oneOf']);
const SCHEMA_MAP_VALUED = new Set(['properties', 'patternProperties', 'definitions']);

type Direction = 'toTyped' | 'toJson';

function renameKeyword(key: string, direction: Direction): string {
  if (direction === 'toTyped') {
    if (key.startsWith('x-kubernetes-')) return key.replace(/-/g, '_');
    return JSON_TO_TYPED_KEYWORDS[key] ?? key;
  }
  if (key.startsWith('x_kubernetes_')) return key.replace(/_/g, '-');
  return TYPED_TO_JSON_KEYWORDS[key] ?? key;
}

export function convertJsonSchema(schema: unknown, direction: Direction): unknown {
  if (Array.isArray(schema)) return schema.map((item) => convertJsonSchema(item, direction));
  if (schema === null || typeof schema !== 'object') return schema;
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema as Record<string, unknown>)) {
    let converted = value;
    if (SCHEMA_VALUED.has(key)) converted = convertJsonSchema(value, direction);
    else if (SCHEMA_LIST_VALUED.has(key)) converted = Array.isArray(value) ? value.map((item) => convertJsonSchema(item, direction)) : value;
    else if (SCHEMA_MAP_VALUED.has(key) && value && typeof value === 'object') {
      converted = Object.fromEntries(Object.entries(value as Record<string, unknown>)
        .map(([name, child]) => [name, convertJsonSchema(child, direction)]));
    }
    result[renameKeyword(key, direction)] = converted;
  }
  return result;
}

interface CrdLike { kind?: string; spec?: { versions?: Array<{ schema?: { openAPIV3Schema?: unknown } }> } }

/** Converts every version's openAPIV3Schema of a CustomResourceDefinition; other objects come back unchanged. */
export function convertCrdSchemas<T>(object: T, direction: Direction): T {
  const crd = object as CrdLike;
  if (crd?.kind !== 'CustomResourceDefinition' || !crd.spec?.versions) return object;
  return {
    ...crd,
    spec: {
      ...crd.spec,
      versions: crd.spec.versions.map((version) => (version.schema?.openAPIV3Schema
        ? { ...version, schema: { ...version.schema, openAPIV3Schema: convertJsonSchema(version.schema.openAPIV3Schema, direction) } }
        : version)),
    },
  } as T;
}
