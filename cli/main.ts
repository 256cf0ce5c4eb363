/**
 * Entry point of the `redwing` executable: picks the command, parses its flags (with REDWING_* environment
 * fallbacks) and hands over to the command's runner. Runners are imported lazily so `redwing --help` and a
 * mistyped flag answer at once, without loading the Kubernetes client.
 */
import { describeCliError } from './cli-errors.js';
import { COMMANDS, formatUsage } from './commands.js';
import { formatHelp, parseFlags, type FlagValues } from './flags.js';
import { checkStartupPaths, pathChecksFor, startupTimeoutMs } from './startup-checks.js';
import { errorMessage } from '../shared/error-message.js';

type Runner = (flags: FlagValues) => Promise<void>;

const RUNNERS: Record<string, () => Promise<Runner>> = {
  webhook: async () => (await import('./run-webhook.js')).runWebhookCommand,
  reconciler: async () => (await import('./run-reconciler.js')).runReconcilerCommand,
  sandbox: async () => (await import('./run-sandbox.js')).runSandboxCommand,
  start: async () => (await import('./run-start.js')).runStartCommand,
  console: async () => (await import('./run-console.js')).runConsoleCommand,
  demo: async () => (await import('./run-demo.js')).runDemoCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(formatUsage());
    return name === undefined ? 1 : 0;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (!command) {
    console.error(`redwing: unknown command "${name}".\n\n${formatUsage()}`);
    return 2;
  }
  let flags: FlagValues;
  try {
    flags = parseFlags(command, rest);
  } catch (error) {
    const message = errorMessage(error);
    console.error(message.startsWith('redwing ') ? message : `redwing ${command.name}: ${message}`);
    return 2;
  }
  if (flags.help) {
    console.log(formatHelp(command));
    return 0;
  }
  try {
    await checkStartupPaths(pathChecksFor(command.name, flags), startupTimeoutMs(flags));
    const run = await RUNNERS[command.name]();
    await run(flags);
  } catch (error: unknown) {
    // One line naming what is wrong; the stack only on request (it is about our code, not the user's input).
    console.error(`redwing ${command.name}: ${describeCliError(command, flags, error)}`);
    if (process.env.REDWING_DEBUG) console.error(error);
    return 1;
  }
  return 0;
}

main(process.argv.slice(2)).then(
  // A failed start may leave an operation stuck (a file system call that never returns), and a command that has
  // stopped everything it started may still hold a client library's retry timer for seconds: exit rather than wait.
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`redwing: ${errorMessage(error)}`);
    process.exit(1);
  },
);
