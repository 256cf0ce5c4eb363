/**
 * The API server hands the CRD's schema back with its properties sorted by name (Go marshals maps sorted), so a form
 * drawn from it would start with `affinity` and `antiAffinity`. The console's own copy of the CRD keeps the order the
 * fields were written in (engine, image, replicas, …), so the installed schema is shown in that order, and a field
 * only the installed CRD has (a newer operator's) follows the known ones. Only the order changes, never the schema.
 * Pure.
 */
interface SchemaNode {
  properties?: Record<string, unknown>;
  items?: unknown;
  [key: string]: unknown;
}

function isNode(value: unknown): value is SchemaNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function orderLikeReference(schema: unknown, reference: unknown): unknown {
  if (!isNode(schema)) return schema;
  const known = isNode(reference) ? reference : {};
  const ordered: SchemaNode = { ...schema };
  if (isNode(schema.properties)) {
    const referenceProperties = isNode(known.properties) ? known.properties : {};
    const names = [
      ...Object.keys(referenceProperties).filter((name) => name in schema.properties!),
      ...Object.keys(schema.properties).filter((name) => !(name in referenceProperties)),
    ];
    ordered.properties = Object.fromEntries(names.map((name) => [name, orderLikeReference(schema.properties![name], referenceProperties[name])]));
  }
  if (isNode(schema.items)) ordered.items = orderLikeReference(schema.items, known.items);
  return ordered;
}
