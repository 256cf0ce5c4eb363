/**
 * One pino JSON log line as a person reads it on a terminal: `07:12:48 INFO  reconciler: store ready store=default/cache`.
 * The JSON stays the format for files, pipes and log collectors; this is only for a TTY. Pure.
 */

const LEVEL_NAMES: Readonly<Record<number, string>> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const LEVEL_COLOURS: Readonly<Record<string, string>> = { WARN: '\u001b[33m', ERROR: '\u001b[31m', FATAL: '\u001b[31m', DEBUG: '\u001b[90m', TRACE: '\u001b[90m' };
const RESET = '\u001b[0m';
/** Fields every line carries or that the line already shows in its own place. */
const SHOWN_ELSEWHERE = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'component', 'err', 'v']);

function formatValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}

function clockTime(epochMs: unknown): string {
  if (typeof epochMs !== 'number') return '--:--:--';
  return new Date(epochMs).toISOString().slice(11, 19);
}

function errorText(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const message = 'message' in err && typeof err.message === 'string' ? err.message : undefined;
  return message === undefined ? undefined : `error=${formatValue(message)}`;
}

/**
 * The line for a terminal, or the input unchanged when it is not a pino JSON object (a line some library printed).
 * `colour` adds ANSI colours to warnings and errors.
 */
export function formatLogLine(line: string, options: { colour: boolean }): string {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return line;
  }
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return line;
  const fields = record as Record<string, unknown>;
  const level = typeof fields.level === 'number' ? LEVEL_NAMES[fields.level] ?? String(fields.level) : 'INFO';
  const source = typeof fields.component === 'string' ? fields.component : typeof fields.name === 'string' ? fields.name : '';
  const extras = Object.entries(fields)
    .filter(([key, value]) => !SHOWN_ELSEWHERE.has(key) && value !== undefined)
    .map(([key, value]) => `${key}=${formatValue(value)}`);
  const error = errorText(fields.err);
  if (error) extras.push(error);
  const message = typeof fields.msg === 'string' ? fields.msg : '';
  const levelText = level.padEnd(5);
  const coloured = options.colour && LEVEL_COLOURS[level] ? `${LEVEL_COLOURS[level]}${levelText}${RESET}` : levelText;
  return [clockTime(fields.time), coloured, `${source ? `${source}: ` : ''}${message}`, ...extras].join(' ');
}
