/**
 * Entry point of the `redwing` executable: picks the command, parses its flags (with REDWING_* environment
 * fallbacks) and hands over to the command's runner. Runners are imported lazily so `redwing --help` and a
 * mistyped flag answer at once, without loading the Kubernetes client.
 */
import { COMMANDS, formatUsage } from './commands.js';
import { formatHelp, parseFlags, type FlagValues } from './flags.js';

type Runner = (flags: FlagValues) => Promise<void>;

const RUNNERS: Record<string, () => Promise<Runner>> = {
  webhook: async () => (await import('./run-webhook.js')).runWebhookCommand,
  reconciler: async () => (await import('./run-reconciler.js')).runReconcilerCommand,
  sandbox: async () => (await import('./run-sandbox.js')).runSandboxCommand,
  start: async () => (await import('./run-start.js')).runStartCommand,
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
    console.error((error as Error).message);
    return 2;
  }
  if (flags.help) {
    console.log(formatHelp(command));
    return 0;
  }
  const run = await RUNNERS[command.name]();
  await run(flags);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => { if (code !== 0) process.exitCode = code; },
  (error: unknown) => {
    console.error(`redwing: ${error instanceof Error ? error.message : String(error)}`);
    if (error instanceof Error && error.cause) console.error('caused by:', error.cause);
    process.exitCode = 1;
  },
);
