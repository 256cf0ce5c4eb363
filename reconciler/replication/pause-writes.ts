/**
 * Pausing writes on a master that is going away but still runs (its pod deleted: the preStop hook and SIGTERM are
 * still to come). Until its process stops it takes writes, and its remaining replicas acknowledge them (WAIT): a
 * replica promoted meanwhile lacks them, and the others, repointed to it, drop them. CLIENT PAUSE WRITE stops that at
 * the source (reads, INFO and the shutdown still run; Dragonfly supports it too), and the master's offset then is
 * what its replicas must reach before their offsets say who holds every acknowledged write.
 */
import { withEngineConnection, type EngineEndpoint } from './engine-connection.js';
import { parseInfo } from './info.js';

/**
 * Pauses writes on the master at `endpoint` for `pauseMs` and returns its replication offset once paused; undefined
 * when it does not answer within `timeoutMs` (already gone: nothing more to stop) or reports no offset (Dragonfly).
 */
export async function pauseWrites(endpoint: EngineEndpoint, pauseMs: number, timeoutMs: number): Promise<{ offset?: number } | undefined> {
  try {
    return await withEngineConnection(endpoint, { connectTimeoutMs: timeoutMs, commandTimeoutMs: timeoutMs, purpose: 'pause' }, async (client) => {
      await client.call('CLIENT', 'PAUSE', String(pauseMs), 'WRITE');
      const fields = parseInfo(String(await client.call('INFO', 'replication')));
      const offset = Number(fields.master_repl_offset);
      return fields.role === 'master' && Number.isFinite(offset) ? { offset } : {};
    });
  } catch {
    // Not answering: its process is stopping or stopped, and takes no write either way.
    return undefined;
  }
}
