/**
 * The HTTPS server of the admission endpoints. The certificate comes from a CertificateSource and is swapped in
 * place (`setSecureContext`) whenever it changes: renewals and CA rotations never restart the process.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, RequestListener } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { CertificateSource, ServingMaterial } from '../certs/certificate-source.js';
import type { Logger } from '../shared/logger.js';

/**
 * Above the API server's idle-connection timeout (90 s): the client must be the side that closes an idle
 * connection, or it may reuse one we are closing and see a reset (Node's default is 5 s).
 */
export const KEEP_ALIVE_TIMEOUT_MS = 95_000;
/** Time to receive the request headers (Pepr and controller-runtime use 32 s). */
export const HEADERS_TIMEOUT_MS = 32_000;
/** A whole request; the API server gives up far earlier (timeoutSeconds <= 30). */
export const REQUEST_TIMEOUT_MS = 60_000;
export const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;
/**
 * A connection must complete its TLS handshake, then send its first request's headers, within these. Node applies
 * none of its HTTP timeouts to a connection that never starts a request (measured: kept open indefinitely), and
 * TLS' own handshake timeout is 120 s: idle connections could pile up until the process ran out of sockets or
 * memory. The API server sends its request as soon as it has connected.
 */
export const HANDSHAKE_TIMEOUT_MS = 10_000;
export const FIRST_REQUEST_TIMEOUT_MS = 10_000;

export interface WebhookServerOptions {
  app: RequestListener;
  certificateSource: CertificateSource;
  port: number;
  /** Default: all interfaces. */
  host?: string;
  /** How long close() waits for requests in flight before cutting connections. */
  drainTimeoutMs?: number;
  /** Default FIRST_REQUEST_TIMEOUT_MS (tests shorten it). */
  firstRequestTimeoutMs?: number;
  logger?: Logger;
}

export interface WebhookServer {
  server: Server;
  port: number;
  /** Stops accepting, lets requests in flight finish (up to the drain timeout), then closes every connection. */
  close(): Promise<void>;
}

function secureContextOf(material: ServingMaterial): { cert: string; key: string } {
  return { cert: material.certPem, key: material.keyPem };
}

/**
 * Destroys a connection that has not sent a request within `timeoutMs` of its handshake. Later idle periods are the
 * keep-alive timeout's business. The timer lives on the socket, so the request path pays one property check.
 */
function closeConnectionsWithoutRequest(server: Server, timeoutMs: number): void {
  const pending = new WeakMap<TLSSocket, NodeJS.Timeout>();
  server.on('secureConnection', (socket: TLSSocket) => {
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    timer.unref();
    pending.set(socket, timer);
    socket.once('close', () => clearTimeout(timer));
  });
  server.on('request', (req: IncomingMessage) => {
    const socket = req.socket as TLSSocket;
    const timer = pending.get(socket);
    if (timer === undefined) return;
    clearTimeout(timer);
    pending.delete(socket);
  });
}

export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  const firstRequestTimeoutMs = options.firstRequestTimeoutMs ?? FIRST_REQUEST_TIMEOUT_MS;
  const server = createServer({
    ...secureContextOf(options.certificateSource.current()), minVersion: 'TLSv1.2',
    handshakeTimeout: Math.min(HANDSHAKE_TIMEOUT_MS, firstRequestTimeoutMs),
  }, options.app);
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  closeConnectionsWithoutRequest(server, firstRequestTimeoutMs);
  const unsubscribe = options.certificateSource.onChange((material) => {
    try {
      server.setSecureContext(secureContextOf(material));
      options.logger?.info('serving certificate reloaded');
    } catch (error: unknown) {
      // Keep serving the previous certificate rather than none.
      options.logger?.error({ err: error }, 'reloading the serving certificate failed');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((error: unknown) => {
    unsubscribe();
    throw new Error(`the webhook server could not listen on port ${options.port}`, { cause: error });
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      unsubscribe();
      const timer = setTimeout(() => server.closeAllConnections(), options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS);
      timer.unref();
      server.close(() => {
        clearTimeout(timer);
        resolve();
      });
      server.closeIdleConnections();
    });
    return closing;
  };
  return { server, port, close };
}
