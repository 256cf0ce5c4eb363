/**
 * Flag parsing for the `redwing` commands. Every flag can also come from the environment as REDWING_<FLAG>
 * (`--metrics-port` -> `REDWING_METRICS_PORT`), which is how the Deployments in manifests/ configure the processes;
 * a flag given on the command line wins over the environment.
 */
import { parseArgs } from 'node:util';

export interface FlagSpec {
  name: string;
  /** `port`: a whole number from 0 (any free port) to 65535. */
  type: 'string' | 'boolean' | 'number' | 'port';
  description: string;
  default?: string | number | boolean;
  multiple?: boolean;
}

export interface CommandSpec {
  name: string;
  summary: string;
  flags: FlagSpec[];
}

export type FlagValues = Record<string, string | number | boolean | string[] | undefined>;

export function environmentVariableName(flag: string): string {
  return `REDWING_${flag.replace(/-/g, '_').toUpperCase()}`;
}

/** The largest TCP port number. */
export const MAX_PORT = 65_535;

function convert(spec: FlagSpec, raw: string, source: string): string | number | boolean {
  if (spec.type === 'number' || spec.type === 'port') {
    const value = raw.trim() === '' ? Number.NaN : Number(raw);
    if (!Number.isInteger(value) || value < 0) throw new Error(`${source} must be a whole number, got "${raw}"`);
    if (spec.type === 'port' && value > MAX_PORT) throw new Error(`${source} must be a port number from 0 to ${MAX_PORT}, got ${raw}`);
    return value;
  }
  if (spec.type === 'boolean') {
    if (['true', '1', 'yes', ''].includes(raw.toLowerCase())) return true;
    if (['false', '0', 'no'].includes(raw.toLowerCase())) return false;
    throw new Error(`${source} must be true or false, got "${raw}"`);
  }
  return raw;
}

/** Parses argv (without the command name) against the spec; throws an Error naming the bad flag. */
export function parseFlags(command: CommandSpec, argv: string[], env: NodeJS.ProcessEnv = process.env): FlagValues {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = { help: { type: 'boolean' } };
  for (const flag of command.flags) {
    options[flag.name] = { type: flag.type === 'boolean' ? 'boolean' : 'string', multiple: flag.multiple === true };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  } catch (error) {
    const message = (error as Error).message.replace(/\s*\n\s*/g, ' ').replace(/\.$/, '');
    throw new Error(`redwing ${command.name}: ${message}. See 'redwing ${command.name} --help'.`, { cause: error });
  }
  const values: FlagValues = { help: parsed.values.help === true };
  for (const flag of command.flags) {
    const given = parsed.values[flag.name];
    const fromEnv = env[environmentVariableName(flag.name)];
    if (flag.multiple) {
      const list = (given as string[] | undefined) ?? (fromEnv ? fromEnv.split(',').filter(Boolean) : []);
      values[flag.name] = list;
    } else if (given !== undefined) {
      values[flag.name] = typeof given === 'boolean' ? given : convert(flag, String(given), `--${flag.name}`);
    } else if (fromEnv !== undefined) {
      values[flag.name] = convert(flag, fromEnv, environmentVariableName(flag.name));
    } else {
      values[flag.name] = flag.default;
    }
  }
  return values;
}

export function formatHelp(command: CommandSpec): string {
  const lines = [`Usage: redwing ${command.name} [flags]`, '', command.summary, '', 'Flags:'];
  for (const flag of command.flags) {
    const placeholder = flag.type === 'boolean' ? '' : ` ${flag.type === 'number' ? 'N' : flag.type === 'port' ? 'PORT' : 'VALUE'}`;
    const fallback = flag.default === undefined ? '' : ` (default ${String(flag.default)})`;
    const repeat = flag.multiple ? ' (repeatable)' : '';
    lines.push(`  --${flag.name}${placeholder}`.padEnd(30) + `${flag.description}${fallback}${repeat}`);
    lines.push(`${''.padEnd(30)}env ${environmentVariableName(flag.name)}`);
  }
  lines.push(`  --help`.padEnd(30) + 'Show this help.');
  return lines.join('\n');
}
