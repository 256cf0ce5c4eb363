/**
 * What spec.args sets, read the way each engine reads its command line, so the owned-settings check and the
 * policy rules see every spelling the engine accepts. Pure.
 *
 * Redis and Valkey (server.c `main`): every argument after the config file is turned into config-file text. An
 * argument starting with `--` starts a new line with the rest of it copied raw (so `--"requirepass"`, hex escapes,
 * `--port 0` as one argument and even an embedded newline all work); the arguments after it are appended quoted, as
 * values, until the next `--` argument, except that right after a bare name (`--port`) the next argument is a value
 * even when it starts with `--`; `--save` followed by a name, or last, means `save ""` (and `--sentinel` followed by
 * a name takes no value). Lines are then split into words and the first word, lowercased, is the directive.
 * `--key=value` is not a Redis spelling (the directive would be `key=value` and the engine refuses it), but the name
 * before `=` is judged too, in case a version takes it.
 *
 * Dragonfly (abseil flags): `-name`, `--name`, `--name=value`, `--name value`, and `--noname` for a boolean; `--`
 * ends the flags.
 */
import { quoteConfigWord, splitConfigLine } from './config-line-tokens.js';
import type { Engine } from './schema/kvstore.js';

export interface ArgSetting {
  /** The setting's name as the engine reads it (Redis: the directive, lowercased). */
  key: string;
  values: string[];
  /** The index in spec.args of the argument that names it. */
  index: number;
}

export interface ArgProblem {
  index: number;
  /** Completes "spec.args[i] …". */
  message: string;
}

export interface ParsedArgs {
  settings: ArgSetting[];
  problems: ArgProblem[];
}

// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;
/** `$(NAME)`, which the kubelet replaces with the container's variable (`$$(` is the escape for a literal). */
const VARIABLE_REFERENCE = /(^|[^$])\$\(/;

interface LineStart { offset: number; index: number }

/** The config text Redis builds from `args`, with where each argument's text begins. */
function redisOptionsText(args: readonly string[]): { text: string; starts: LineStart[]; problems: ArgProblem[] } {
  let text = '';
  const starts: LineStart[] = [];
  const problems: ArgProblem[] = [];
  // The operator's own arguments come first and end with a value, so the first user argument starts fresh.
  let nameComplete = true;
  let userLineOpen = false;
  args.forEach((arg, index) => {
    const last = index === args.length - 1;
    if (arg === '-' && last) {
      problems.push({ index, message: 'makes the engine read its configuration from standard input; remove it' });
    } else if (nameComplete && arg.startsWith('--')) {
      if (text.length > 0) text += '\n';
      starts.push({ offset: text.length, index });
      text += `${arg.slice(2)} `;
      userLineOpen = true;
      nameComplete = (splitConfigLine(arg)?.length ?? 0) !== 1;
      // Redis 7.0.1+: `--save` before another name or last means `save ""`; 7.2+ (and Valkey): `--sentinel` before
      // another name takes no value.
      const lower = arg.toLowerCase();
      const nextIsName = !last && args[index + 1]!.startsWith('--');
      if (!nameComplete && lower === '--save' && (last || nextIsName)) {
        text += '""';
        nameComplete = !last;
      } else if (!nameComplete && lower === '--sentinel' && nextIsName) {
        nameComplete = true;
      }
    } else if (!userLineOpen) {
      problems.push({ index, message: 'must start with "--" (a value here would be added to the operator\'s own setting before it)' });
    } else {
      // The server switches to Sentinel when any argument is exactly --sentinel, wherever it stands.
      if (arg === '--sentinel') problems.push({ index, message: 'turns the engine into Redis Sentinel; the reconciler handles failover' });
      starts.push({ offset: text.length, index });
      text += `${quoteConfigWord(arg)} `;
      nameComplete = true;
    }
  });
  return { text, starts, problems };
}

function parseRedisArgs(args: readonly string[]): ParsedArgs {
  const { text, starts, problems } = redisOptionsText(args);
  const settings: ArgSetting[] = [];
  let offset = 0;
  for (const rawLine of text.split('\n')) {
    const lineOffset = offset;
    offset += rawLine.length + 1;
    const line = rawLine.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
    if (line === '' || line.startsWith('#')) continue;
    // The argument the line's text starts in: the last one starting at or before the line.
    const index = starts.filter((start) => start.offset <= lineOffset).at(-1)?.index ?? 0;
    const words = splitConfigLine(line);
    if (words === undefined) {
      problems.push({ index, message: 'has unbalanced quotes; the engine would refuse to start' });
      continue;
    }
    if (words.length === 0) continue;
    const [directive, ...values] = words;
    settings.push({ key: directive!.toLowerCase(), values, index });
    // `--requirepass=x` is no Redis spelling; judge the name before `=` as well, should an engine version take it.
    const equals = directive!.indexOf('=');
    if (equals > 0) settings.push({ key: directive!.slice(0, equals).toLowerCase(), values: [directive!.slice(equals + 1), ...values], index });
  }
  return { settings, problems };
}

function parseDragonflyArgs(args: readonly string[]): ParsedArgs {
  const settings: ArgSetting[] = [];
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index]!;
    if (arg === '--') break;
    if (!arg.startsWith('-') || arg === '-') continue;
    const body = arg.replace(/^--?/, '');
    const equals = body.indexOf('=');
    if (equals >= 0) {
      settings.push({ key: body.slice(0, equals), values: [body.slice(equals + 1)], index });
      continue;
    }
    // Whether the next argument is this flag's value depends on the flag's type, which only the binary knows; a
    // following argument that looks like a flag is judged as one either way.
    const next = args[index + 1];
    const takesNext = next !== undefined && !next.startsWith('-');
    settings.push({ key: body, values: takesNext ? [next] : [], index });
    if (takesNext) index += 1;
  }
  return { settings, problems: [] };
}

/** The settings `args` makes on `engine`, and the arguments the engine would misread or refuse. */
export function parseEngineArgs(engine: Engine, args: readonly string[] | undefined): ParsedArgs {
  if (!args || args.length === 0) return { settings: [], problems: [] };
  const parsed = engine === 'dragonfly' ? parseDragonflyArgs(args) : parseRedisArgs(args);
  const textProblems = args.flatMap((arg, index): ArgProblem[] => [
    ...(CONTROL_CHARACTER.test(arg) ? [{ index, message: 'contains a control character (a newline would start another setting); remove it' }] : []),
    // The container's variables hold the password; substituted into a name, a value the Secret's writer chose would
    // be read as settings.
    ...(VARIABLE_REFERENCE.test(arg) ? [{ index, message: 'refers to a container variable with $(...), which the kubelet substitutes (the password among them); write $$( for a literal' }] : []),
  ]);
  return { settings: parsed.settings, problems: [...textProblems, ...parsed.problems].sort((a, b) => a.index - b.index) };
}
