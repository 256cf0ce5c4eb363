/**
 * The two things a reconcile error may say about itself beyond its message: which phase of the reconcile failed (so
 * the failure report names it) and whether retrying can help (controller-runtime's TerminalError). Both survive being
 * wrapped with `new Error(msg, { cause })`: they are looked up along the cause chain.
 */

/** A reconcile failed inside a named phase; `cause` is the original error. */
export class PhaseError extends Error {
  constructor(readonly phase: string, cause: unknown) {
    super(`${phase}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'PhaseError';
  }
}

/** Retrying cannot help until the object changes: reported once, not requeued with back-off. */
export class TerminalError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TerminalError';
  }
}

/** The errors along `error`'s cause chain, outermost first; bounded so a cyclic chain cannot loop. */
function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = error;
  while (current !== undefined && chain.length < 16 && !chain.includes(current)) {
    chain.push(current);
    current = current instanceof Error ? current.cause : undefined;
  }
  return chain;
}

/** The innermost phase named along the chain (a phase may run sub-phases). */
export function failedPhaseOf(error: unknown): string | undefined {
  const phases = causeChain(error).filter((entry): entry is PhaseError => entry instanceof PhaseError);
  return phases.at(-1)?.phase;
}

export function isTerminal(error: unknown): boolean {
  return causeChain(error).some((entry) => entry instanceof TerminalError);
}

/** The message of the error that actually went wrong (under the phase wrappers). */
export function rootMessage(error: unknown): string {
  const chain = causeChain(error).filter((entry) => !(entry instanceof PhaseError));
  const first = chain[0];
  return first instanceof Error ? first.message : String(first ?? error);
}

/** Runs `work` as phase `phase`: an error it throws comes out as a PhaseError naming it. */
export async function inPhase<T>(phase: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof PhaseError && error.phase === phase) throw error;
    throw new PhaseError(phase, error);
  }
}
