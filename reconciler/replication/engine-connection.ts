/**
 * One short-lived or dedicated connection to one engine pod. Every operator connection is opened for one purpose
 * (probe, health ping, promotion, config) so a slow command on one never delays another, and none of them queues
 * commands while offline or reconnects on its own: the caller decides when to try again, which keeps a dead master
 * from causing a reconnect storm.
 */
import { isIP } from 'node:net';
import { Redis, type RedisOptions } from 'ioredis';
import { errorMessage } from '../../shared/error-message.js';

export interface EngineTls {
  ca: string;
  cert?: string;
  key?: string;
  /** Name to verify in the server certificate; defaults to the host (an IP is checked against the IP SANs). */
  servername?: string;
}

export interface EngineEndpoint {
  host: string;
  port: number;
  password?: string;
  username?: string;
  tls?: EngineTls;
}

export interface ConnectOptions {
  connectTimeoutMs?: number;
  commandTimeoutMs?: number;
  /** Shown in CLIENT LIST as the connection name (`redwing-<purpose>`), which helps when debugging a live pod. */
  purpose?: string;
}

export type EngineClient = Redis;

export const DEFAULT_CONNECT_TIMEOUT_MS = 1000;
export const DEFAULT_COMMAND_TIMEOUT_MS = 2000;

export function endpointAddress(endpoint: Pick<EngineEndpoint, 'host' | 'port'>): string {
  return `${endpoint.host}:${endpoint.port}`;
}

export function buildClientOptions(endpoint: EngineEndpoint, options: ConnectOptions = {}): RedisOptions {
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  return {
    host: endpoint.host,
    port: endpoint.port,
    username: endpoint.username,
    password: endpoint.password,
    connectionName: options.purpose ? `redwing-${options.purpose}` : undefined,
    connectTimeout: connectTimeoutMs,
    commandTimeout: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    lazyConnect: true,
    enableOfflineQueue: false,
    // A loading replica must still answer INFO; the ready check would hold every command until loading ends.
    enableReadyCheck: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    reconnectOnError: () => false,
    autoResubscribe: false,
    tls: endpoint.tls
      ? { ca: endpoint.tls.ca, cert: endpoint.tls.cert, key: endpoint.tls.key, servername: endpoint.tls.servername ?? (isIP(endpoint.host) ? undefined : endpoint.host) }
      : undefined,
  };
}

/** Opens a connection and resolves once it can take commands (AUTH done); rejects within the connect timeout. */
export async function openEngineConnection(endpoint: EngineEndpoint, options: ConnectOptions = {}): Promise<EngineClient> {
  const client = new Redis(buildClientOptions(endpoint, options));
  // Errors surface through the promises; an unhandled 'error' event would crash the process.
  let lastError: unknown;
  client.on('error', (error: unknown) => { lastError = error; });
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.connect(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`connect to ${endpointAddress(endpoint)} timed out after ${connectTimeoutMs} ms`)), connectTimeoutMs);
      }),
    ]);
    if (endpoint.password !== undefined) {
      // ioredis sends AUTH on connect but only reports a refusal through the 'error' event; check it explicitly.
      await client.call('PING');
    }
    return client;
  } catch (error) {
    client.disconnect();
    // ioredis reports "Connection is closed" when AUTH is refused; the 'error' event carries the real reason.
    const reason = lastError !== undefined && lastError !== error ? `${errorMessage(error)} (${errorMessage(lastError)})` : errorMessage(error);
    throw new Error(`cannot connect to ${endpointAddress(endpoint)}: ${reason}`, { cause: lastError ?? error });
  } finally {
    clearTimeout(timer);
  }
}

export function closeEngineConnection(client: EngineClient): void {
  client.disconnect();
}

/** Opens a connection for one job and always closes it. */
export async function withEngineConnection<T>(
  endpoint: EngineEndpoint,
  options: ConnectOptions,
  job: (client: EngineClient) => Promise<T>,
): Promise<T> {
  const client = await openEngineConnection(endpoint, options);
  try {
    return await job(client);
  } finally {
    closeEngineConnection(client);
  }
}

/** Sends one raw command; the reply is returned as the engine sent it (strings, numbers, arrays). */
export async function sendCommand(client: EngineClient, command: string, ...args: (string | number)[]): Promise<unknown> {
  return client.call(command, ...args);
}

