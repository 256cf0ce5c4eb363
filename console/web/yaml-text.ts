/**
 * YAML text of a JSON value, for the editor's YAML view and the dry-run result. Pure and small: block style,
 * strings quoted only when YAML would read them as something else. The server parses what the user types.
 */
const PLAIN = /^[A-Za-z_/.][\w ./@:+-]*$/;
const RESERVED = /^(?:true|false|yes|no|on|off|null|~|y|n)$/i;

function scalar(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const text = String(value);
  if (text !== '' && PLAIN.test(text) && !RESERVED.test(text) && !text.endsWith(' ') && !text.includes(': ') && !text.includes(' #')) return text;
  return JSON.stringify(text);
}

function isEmptyCollection(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.keys(value).length === 0;
}

function lines(value: unknown, indent: string): string[] {
  if (Array.isArray(value)) {
    return value.flatMap((item) => {
      if (typeof item === 'object' && item !== null && !isEmptyCollection(item)) {
        const [first, ...rest] = lines(item, `${indent}  `);
        return [`${indent}- ${first.trimStart()}`, ...rest];
      }
      return [`${indent}- ${isEmptyCollection(item) ? (Array.isArray(item) ? '[]' : '{}') : scalar(item)}`];
    });
  }
  return Object.entries(value as Record<string, unknown>).flatMap(([key, item]) => {
    const name = scalar(key);
    if (typeof item === 'object' && item !== null && !isEmptyCollection(item)) return [`${indent}${name}:`, ...lines(item, `${indent}  `)];
    return [`${indent}${name}: ${isEmptyCollection(item) ? (Array.isArray(item) ? '[]' : '{}') : scalar(item)}`];
  });
}

export function toYaml(value: unknown): string {
  if (typeof value !== 'object' || value === null) return `${scalar(value)}\n`;
  if (isEmptyCollection(value)) return Array.isArray(value) ? '[]\n' : '{}\n';
  return `${lines(value, '').join('\n')}\n`;
}
