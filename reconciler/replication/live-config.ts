/** Engine settings applied without a restart: CONFIG SET where the engine allows it, and live password rotation. */
import { closeEngineConnection, openEngineConnection, withEngineConnection, type EngineClient, type EngineEndpoint } from './engine-connection.js';
import { errorMessage } from '../../shared/error-message.js';

export interface LiveConfigResult {
  /** Keys whose value changed. */
  applied: string[];
  /** Keys already at the wanted value. */
  unchanged: string[];
  /** Keys the engine only reads at boot: the rolling update must apply them. */
  needsRestart: { key: string; reason: string }[];
  /** Keys or values the engine refused for another reason (unknown option, bad value). */
  rejected: { key: string; reason: string }[];
}

/** Dragonfly takes `tcp-keepalive` and answers under its flag name `tcp_keepalive`: the two spell one setting. */
const sameSetting = (a: string, b: string): boolean => a === b || a.replaceAll('-', '_') === b.replaceAll('-', '_');

/** CONFIG GET answers a flat array in RESP2 and a map in RESP3; either way, the value of `key`. */
export function configValue(reply: unknown, key: string): string | undefined {
  const pairs: Array<[unknown, unknown]> = [];
  if (Array.isArray(reply)) {
    for (let i = 0; i + 1 < reply.length; i += 2) pairs.push([reply[i], reply[i + 1]]);
  } else if (reply instanceof Map) {
    pairs.push(...reply.entries());
  } else if (reply && typeof reply === 'object') {
    pairs.push(...Object.entries(reply));
  }
  const found = pairs.find(([name, value]) => value !== undefined && sameSetting(String(name), key));
  return found === undefined ? undefined : String(found[1]);
}

/** CONFIG SET refuses boot-only settings with "immutable" / "protected" in the message. */
export function isRestartOnlyError(message: string): boolean {
  return /immutable|protected config|can't set protected/i.test(message);
}

async function setOne(client: EngineClient, key: string, value: string, result: LiveConfigResult): Promise<void> {
  const before = configValue(await client.call('CONFIG', 'GET', key), key);
  if (before === value) {
    result.unchanged.push(key);
    return;
  }
  try {
    await client.call('CONFIG', 'SET', key, value);
  } catch (error) {
    const reason = errorMessage(error);
    (isRestartOnlyError(reason) ? result.needsRestart : result.rejected).push({ key, reason });
    return;
  }
  // The engine normalises values ("100mb" reads back as bytes): compare what it holds, not what was sent.
  const after = configValue(await client.call('CONFIG', 'GET', key), key);
  (after === before ? result.unchanged : result.applied).push(key);
}

export async function applyConfigLive(endpoint: EngineEndpoint, config: Record<string, string>, timeoutMs = 2000): Promise<LiveConfigResult> {
  const result: LiveConfigResult = { applied: [], unchanged: [], needsRestart: [], rejected: [] };
  await withEngineConnection(endpoint, { connectTimeoutMs: timeoutMs, commandTimeoutMs: timeoutMs, purpose: 'config' }, async (client) => {
    for (const [key, value] of Object.entries(config)) await setOne(client, key, value, result);
  });
  return result;
}

/**
 * `replication.minReplicasToWrite`: the master refuses writes unless that many replicas are connected with a lag
 * of at most `maxLagSeconds`. Paired with WAIT on the client side this bounds acknowledged-write loss on failover.
 */
export function minReplicasConfig(minReplicasToWrite: number, maxLagSeconds = 10): Record<string, string> {
  return { 'min-replicas-to-write': String(minReplicasToWrite), 'min-replicas-max-lag': String(maxLagSeconds) };
}

/** The master pings its replicas every second, so a replica notices a hung master within seconds (health monitor). */
export function replicationTuningConfig(): Record<string, string> {
  return { 'repl-ping-replica-period': '1' };
}

export interface RotationPod {
  pod: string;
  /** The pod's address; its password field is ignored (old and new are tried). */
  endpoint: EngineEndpoint;
}

export interface RotationStep {
  pod: string;
  phase: 'connect' | 'add-password' | 'masterauth' | 'requirepass' | 'verify';
  outcome: 'done' | 'failed';
  detail: string;
}

export interface RotationResult {
  ok: boolean;
  /** True when the engine has no ACL (both passwords could not be valid at once). */
  usedFallback: boolean;
  steps: RotationStep[];
}

async function connectWithEither(pod: RotationPod, passwords: (string | undefined)[], timeoutMs: number): Promise<{ client: EngineClient; password?: string }> {
  let lastError: unknown;
  for (const password of passwords) {
    try {
      const client = await openEngineConnection({ ...pod.endpoint, password }, { connectTimeoutMs: timeoutMs, commandTimeoutMs: timeoutMs, purpose: 'rotation' });
      return { client, password };
    } catch (error) {
      lastError = error;
    }
  }
  throw new Error(`cannot authenticate to ${pod.pod} with the old or the new password`, { cause: lastError });
}

/**
 * Rotates the password on every pod with no restart and no broken replication link, in three rounds over all pods:
 * 1. add the new password next to the old one (ACL SETUSER default >new), so both are accepted everywhere;
 * 2. CONFIG SET masterauth new: a replica that reconnects now authenticates with the new one, which every pod takes;
 * 3. CONFIG SET requirepass new, which leaves only the new password.
 * Connected clients stay connected; new connections need the new password. A re-run after a crash converges
 * (each pod is reached with whichever password it accepts).
 */
export async function rotatePassword(pods: RotationPod[], newPassword: string, oldPassword?: string, timeoutMs = 2000): Promise<RotationResult> {
  const steps: RotationStep[] = [];
  const clients: { pod: RotationPod; client: EngineClient }[] = [];
  let usedFallback = false;
  try {
    for (const pod of pods) {
      try {
        const { client } = await connectWithEither(pod, [oldPassword, newPassword], timeoutMs);
        clients.push({ pod, client });
      } catch (error) {
        steps.push({ pod: pod.pod, phase: 'connect', outcome: 'failed', detail: errorMessage(error) });
      }
    }
    if (clients.length !== pods.length) return { ok: false, usedFallback, steps };
    const round = async (phase: RotationStep['phase'], run: (client: EngineClient) => Promise<unknown>, tolerate = false): Promise<boolean> => {
      let ok = true;
      for (const { pod, client } of clients) {
        try {
          await run(client);
          steps.push({ pod: pod.pod, phase, outcome: 'done', detail: '' });
        } catch (error) {
          if (tolerate) throw error;
          ok = false;
          steps.push({ pod: pod.pod, phase, outcome: 'failed', detail: errorMessage(error) });
        }
      }
      return ok;
    };
    try {
      await round('add-password', (client) => client.call('ACL', 'SETUSER', 'default', 'on', `>${newPassword}`), true);
    } catch (error) {
      // No ACL (Dragonfly builds without it): masterauth first keeps established links; only a reconnect in the
      // short window before requirepass changes can fail, and it succeeds on the replica's next retry.
      usedFallback = true;
      steps.push({ pod: '*', phase: 'add-password', outcome: 'failed', detail: `no dual password, falling back: ${errorMessage(error)}` });
    }
    if (!await round('masterauth', (client) => client.call('CONFIG', 'SET', 'masterauth', newPassword))) return { ok: false, usedFallback, steps };
    if (!await round('requirepass', (client) => client.call('CONFIG', 'SET', 'requirepass', newPassword))) return { ok: false, usedFallback, steps };
  } finally {
    for (const { client } of clients) closeEngineConnection(client);
  }
  for (const pod of pods) {
    try {
      await withEngineConnection({ ...pod.endpoint, password: newPassword }, { connectTimeoutMs: timeoutMs, commandTimeoutMs: timeoutMs, purpose: 'rotation' }, (c) => c.call('PING'));
      steps.push({ pod: pod.pod, phase: 'verify', outcome: 'done', detail: 'new password accepted' });
    } catch (error) {
      steps.push({ pod: pod.pod, phase: 'verify', outcome: 'failed', detail: errorMessage(error) });
    }
  }
  return { ok: steps.every((s) => s.outcome === 'done' || s.phase === 'add-password'), usedFallback, steps };
}
