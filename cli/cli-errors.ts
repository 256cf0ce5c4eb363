/**
 * A failed command as the one line the user reads: the flag at fault when one can be named (a port in use, a bad
 * path), otherwise the chain of error messages (each wrapper says what was being done, its cause why), and never a
 * stack trace. Pure: main.ts prints it.
 */
import type { CommandSpec, FlagValues } from './flags.js';
import { StartupError } from './startup-checks.js';

interface ErrorLike {
  message?: unknown;
  code?: unknown;
  port?: unknown;
  cause?: unknown;
}

function errorChain(error: unknown): ErrorLike[] {
  const chain: ErrorLike[] = [];
  let current: unknown = error;
  // Bounded: a cause cycle must not loop forever.
  while (current !== null && typeof current === 'object' && chain.length < 10) {
    chain.push(current as ErrorLike);
    current = (current as ErrorLike).cause;
  }
  if (chain.length === 0) chain.push({ message: String(error) });
  return chain;
}

const LISTEN_PROBLEMS: Record<string, string> = {
  EADDRINUSE: 'is already in use',
  EACCES: 'needs privileges (ports below 1024)',
  EADDRNOTAVAIL: 'is not available on this host',
};

/** `--metrics-port 8081: port 8081 is already in use`, when a listen error's port is the value of a port flag. */
function portProblem(command: CommandSpec, flags: FlagValues, chain: readonly ErrorLike[]): string | undefined {
  for (const link of chain) {
    const problem = typeof link.code === 'string' ? LISTEN_PROBLEMS[link.code] : undefined;
    if (!problem || typeof link.port !== 'number') continue;
    const flag = command.flags.find((spec) => spec.type === 'port' && flags[spec.name] === link.port);
    if (flag) return `--${flag.name} ${link.port}: port ${link.port} ${problem}`;
  }
  return undefined;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** The line to print (without the `redwing <command>: ` prefix). */
export function describeCliError(command: CommandSpec, flags: FlagValues, error: unknown): string {
  const chain = errorChain(error);
  const port = portProblem(command, flags, chain);
  if (port) return port;
  const messages: string[] = [];
  // A StartupError's message is complete (it names the flag and the reason); its cause is for debugging.
  const complete = chain.findIndex((link) => link instanceof StartupError);
  for (const link of complete === -1 ? chain : chain.slice(0, complete + 1)) {
    const message = typeof link.message === 'string' ? oneLine(link.message) : '';
    // A wrapper often repeats its cause's text; say each thing once.
    if (message !== '' && !messages.some((earlier) => earlier.includes(message))) messages.push(message);
  }
  return messages.join(': ') || 'failed';
}
