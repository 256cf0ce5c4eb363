/**
 * Kubernetes resource quantities (`512Mi`, `100m`, `1.5G`, `2e3`) and engine memory sizes (`100mb`, `1gb`), as plain
 * numbers. Numbers are doubles: exact for every byte count below 2^53 (8 PiB), which covers any real memory limit.
 */

const BINARY_SUFFIXES: Record<string, number> = {
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};
const DECIMAL_SUFFIXES: Record<string, number> = {
  n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
};

// Same grammar as the CRD's QUANTITY_PATTERN (shared/schema/core.ts), with the parts captured.
const QUANTITY_REGEX = /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(?:(Ki|Mi|Gi|Ti|Pi|Ei)|([numkMGTPE])|[eE]([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)))?$/;

/** True when `q` is a valid Kubernetes quantity (an integer, or a string in the quantity grammar). */
export function isQuantity(q: unknown): q is string | number {
  if (typeof q === 'number') return Number.isFinite(q);
  return typeof q === 'string' && QUANTITY_REGEX.test(q.trim());
}

/**
 * The value of a quantity in base units: bytes for memory and storage, cores for cpu (`100m` -> 0.1).
 * Throws on anything that is not a quantity.
 */
export function parseQuantity(q: string | number): number {
  if (typeof q === 'number') {
    if (!Number.isFinite(q)) throw new Error(`invalid quantity ${q}`);
    return q;
  }
  const match = QUANTITY_REGEX.exec(q.trim());
  if (!match) throw new Error(`invalid quantity "${q}"`);
  const [, mantissa, binary, decimal, exponent] = match;
  const value = Number(mantissa);
  if (binary) return value * BINARY_SUFFIXES[binary]!;
  if (decimal) return value * DECIMAL_SUFFIXES[decimal]!;
  if (exponent) return value * 10 ** Number(exponent);
  return value;
}

/** A memory or storage quantity in whole bytes; fractions round up, as Kubernetes does for memory. */
export function parseMemoryBytes(q: string | number): number {
  return Math.ceil(parseQuantity(q));
}

/** Compares two quantities by value: negative when a < b, 0 when equal, positive when a > b. */
export function compareQuantities(a: string | number, b: string | number): number {
  return parseQuantity(a) - parseQuantity(b);
}

/**
 * A byte count as the shortest exact Kubernetes quantity: `536870912` -> `512Mi`, `1500000000` -> `1500M`,
 * `429496729` -> `429496729`.
 */
export function formatBytesQuantity(bytes: number): string {
  if (!Number.isInteger(bytes) || bytes < 0) throw new Error(`bytes must be a non-negative integer, got ${bytes}`);
  if (bytes === 0) return '0';
  for (const suffix of ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki']) {
    const unit = BINARY_SUFFIXES[suffix]!;
    if (bytes % unit === 0) return `${bytes / unit}${suffix}`;
  }
  for (const suffix of ['E', 'P', 'T', 'G', 'M', 'k']) {
    const unit = DECIMAL_SUFFIXES[suffix]!;
    if (bytes % unit === 0) return `${bytes / unit}${suffix}`;
  }
  return String(bytes);
}

/** A byte count for humans: `429496729` -> `409.6Mi`. Not a round-trippable quantity; for messages only. */
export function formatBytesHuman(bytes: number): string {
  const units = ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki'];
  for (const suffix of units) {
    const unit = BINARY_SUFFIXES[suffix]!;
    if (bytes >= unit) return `${Number((bytes / unit).toFixed(1))}${suffix}`;
  }
  return `${bytes}B`;
}

// redis.conf memory units: k/m/g are powers of 1000, kb/mb/gb powers of 1024, case-insensitive; a bare number is bytes.
const ENGINE_MEMORY_REGEX = /^([0-9]+(?:\.[0-9]+)?)\s*(k|kb|m|mb|g|gb)?$/i;
const ENGINE_MEMORY_UNITS: Record<string, number> = {
  '': 1, k: 1e3, kb: 2 ** 10, m: 1e6, mb: 2 ** 20, g: 1e9, gb: 2 ** 30,
};

/**
 * The byte value of an engine memory setting such as `maxmemory` (`100mb`, `1gb`, `429496729`), or undefined when
 * the engine would not accept it. Kubernetes-style suffixes (`512Mi`) are accepted too, since users write them.
 */
export function parseEngineMemoryBytes(value: string): number | undefined {
  const trimmed = value.trim();
  const match = ENGINE_MEMORY_REGEX.exec(trimmed);
  if (match) return Math.floor(Number(match[1]) * ENGINE_MEMORY_UNITS[(match[2] ?? '').toLowerCase()]!);
  if (/^[0-9.]+(Ki|Mi|Gi|Ti)$/.test(trimmed)) return parseMemoryBytes(trimmed);
  return undefined;
}
