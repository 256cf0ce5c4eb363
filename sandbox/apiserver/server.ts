/**
 * The sandbox's Kubernetes API server: HTTPS on loopback, bearer-token auth, a kubeconfig in the sandbox dir.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'pino';
import pino from 'pino';
import YAML from 'yaml';
import { createCertificateAuthority, issueServingCertificate } from '../../certs/authority.js';
import type { StaticToken } from './auth.js';
import { ANONYMOUS_USER, TokenAuthenticator } from './auth.js';
import { WebhookAdmission } from './admission.js';
import { ApiCore } from './core.js';
import { installCrdController } from './crd.js';
import { StandardDefaults } from './defaults.js';
import type { RawRequest } from './context.js';
import { route, sendError } from './router.js';
import { ApiError, unauthorized } from './status-errors.js';
import type { KubeObject } from './types.js';
import { nowTimestamp } from './types.js';
import { newUid } from './object-meta.js';
import { authenticateServiceAccountToken } from './token-request.js';
import { loadState, persistStore, restoreObjects } from './persistence.js';
import { authorizeRequest } from './rbac/request-authorization.js';
import { errorMessage } from '../../shared/error-message.js';

export interface ApiServerOptions {
  dir: string;
  host?: string;
  port?: number;
  logger?: Logger;
  /** extra bearer tokens (e.g. a service account identity for tests) */
  tokens?: StaticToken[];
  /** how many write events watches can resume from (default 10000); older resourceVersions get 410 */
  watchHistorySize?: number;
  /** largest accepted request body (default 8 MiB) */
  maxBodyBytes?: number;
  /**
   * Behave like kube-apiserver where the sandbox normally diverges: loopback Endpoints/EndpointSlice addresses are
   * refused (422) and ClusterIPs come from 127.96.0.0/16. Proves the node side needs no sandbox-only behaviour.
   */
  strict?: boolean;
  /** Keep every object in `<dir>/apiserver-state.json` and start from it when it exists (persistence.ts). */
  persist?: boolean;
}

export interface RunningApiServer {
  url: string;
  token: string;
  caCertPem: string;
  kubeconfigPath: string;
  stop(): Promise<void>;
  /** in-process access for tests (e.g. `core.store.compact()`) */
  core: ApiCore;
}

const INITIAL_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

function seedNamespaces(core: ApiCore): void {
  for (const name of INITIAL_NAMESPACES) {
    if (core.store.get('/namespaces', undefined, name)) continue;
    const ns: KubeObject = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, uid: newUid(), creationTimestamp: nowTimestamp(), labels: { 'kubernetes.io/metadata.name': name } },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    };
    core.store.create('/namespaces', ns);
  }
}

function kubeconfig(url: string, caCertPem: string, token: string): string {
  return YAML.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'sandbox', cluster: { server: url, 'certificate-authority-data': Buffer.from(caCertPem).toString('base64') } }],
    users: [{ name: 'sandbox-admin', user: { token } }],
    contexts: [{ name: 'sandbox', context: { cluster: 'sandbox', user: 'sandbox-admin', namespace: 'default' } }],
    'current-context': 'sandbox',
  });
}

export async function startApiServer(options: ApiServerOptions): Promise<RunningApiServer> {
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger ?? pino({ name: 'sandbox-apiserver', level: process.env.LOG_LEVEL ?? 'warn' });
  mkdirSync(options.dir, { recursive: true });
  const ca = createCertificateAuthority({ commonName: 'redwing-sandbox-ca' });
  const serving = issueServingCertificate(ca, { commonName: 'sandbox-apiserver', dnsNames: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc'], ipAddresses: [host, '127.0.0.1'] });
  const token = randomBytes(24).toString('hex');
  const core = new ApiCore(logger, options.watchHistorySize);
  const auth = new TokenAuthenticator(join(options.dir, 'tokens.csv'), (candidate) => authenticateServiceAccountToken(core, core.serviceAccountTokens, candidate));
  auth.add({ token, user: 'sandbox-admin', groups: ['system:masters'] });
  for (const t of options.tokens ?? []) auth.add(t);

  const defaults = new StandardDefaults(core, { strict: options.strict });
  core.defaults = defaults;
  installCrdController(core);
  core.admission = new WebhookAdmission(core);
  const saved = options.persist ? loadState(options.dir) : undefined;
  if (saved) {
    restoreObjects(core, saved, (service) => defaults.reserveRestoredService(service));
    logger.info({ objects: saved.length, dir: options.dir }, 'sandbox state restored');
  }
  seedNamespaces(core);
  core.rbac.seedBootstrapPolicy();
  const persistence = options.persist ? persistStore(core.store, options.dir, logger) : undefined;

  const maxBody = options.maxBodyBytes ?? 8 * 1024 * 1024;
  let serverAddress = '';
  const server = createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBody) chunks.push(chunk);
    });
    req.on('end', () => {
      const raw: RawRequest = { req, res, body: Buffer.concat(chunks), user: { username: 'system:anonymous', groups: ['system:unauthenticated'] }, serverAddress };
      const url = new URL(req.url ?? '/', 'https://localhost');
      const user = auth.authenticate(req.headers.authorization);
      if (!user) {
        sendError(raw, unauthorized(), url, logger);
        return;
      }
      try {
        raw.user = authorizeRequest(core.rbac.current(), user, req.method ?? 'GET', url, req.headersDistinct, core.rbacAudit);
      } catch (error) {
        // a refusal usually means a role lacks a rule: say so where a test's output shows it
        if (user !== ANONYMOUS_USER) logger.warn({ user: user.username, method: req.method, path: req.url, message: errorMessage(error) }, 'request forbidden by RBAC');
        sendError(raw, error, url, logger);
        return;
      }
      if (size > maxBody) {
        sendError(raw, new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${maxBody}`), url, logger);
        return;
      }
      route(core, raw).catch((error: unknown) => sendError(raw, error, url, logger));
    });
  });
  server.keepAliveTimeout = 65_000;
  const sockets = new Set<import('node:net').Socket>();
  server.on('secureConnection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  serverAddress = `${host}:${address.port}`;
  const url = `https://${serverAddress}`;
  const kubeconfigPath = join(options.dir, 'kubeconfig');
  writeFileSync(kubeconfigPath, kubeconfig(url, ca.certPem, token), { mode: 0o600 });
  writeFileSync(join(options.dir, 'ca.crt'), ca.certPem);
  logger.info({ url, kubeconfigPath }, 'sandbox API server listening');

  return {
    url,
    token,
    caCertPem: ca.certPem,
    kubeconfigPath,
    core,
    stop: async () => {
      persistence?.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}
