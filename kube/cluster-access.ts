/**
 * How Redwing's processes reach the API server, without loading @kubernetes/client-node (about 70 MB of RSS, most of
 * it generated API classes none of them uses: they talk raw JSON through client.ts). Supports what
 * DESIGN.md needs: the in-cluster service account, and a kubeconfig file whose user has a client certificate, a
 * token or token file, or basic auth, with the CA as data or file. A kubeconfig whose user needs an exec plugin or
 * an auth provider (EKS, GKE, OIDC) is handed to client-node's KubeConfig, loaded only then.
 *
 * A KubeConfig object is accepted wherever a ClusterAccess is (tests and `redwing start` already hold one).
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';

export interface ClusterTls {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  rejectUnauthorized?: boolean;
}

/** What client.ts needs from a configuration. */
export interface ClusterAccess {
  server: string;
  tls: ClusterTls;
  /** Per request: a service-account token file is re-read so a rotated (projected) token is picked up. */
  headers(): Promise<Record<string, string>>;
}

/** The part of client-node's KubeConfig the reconciler uses. */
export type KubeConfigLike = Pick<KubeConfig, 'getCurrentCluster' | 'applyToHTTPSOptions'>;

export type ClusterSource = ClusterAccess | KubeConfigLike;

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** Kubelet refreshes projected tokens well before expiry; a minute-old copy is always still valid. */
const TOKEN_REREAD_MS = 60_000;

function isKubeConfigLike(source: ClusterSource): source is KubeConfigLike {
  return typeof (source as KubeConfigLike).applyToHTTPSOptions === 'function';
}

/** Reads a token file at most once a minute. */
function tokenFileReader(path: string): () => string {
  let cached = '';
  let readAtMs = 0;
  return () => {
    if (Date.now() - readAtMs > TOKEN_REREAD_MS) {
      cached = readFileSync(path, 'utf8').trim();
      readAtMs = Date.now();
    }
    return cached;
  };
}

function bearer(token: () => string): () => Promise<Record<string, string>> {
  return async () => ({ Authorization: `Bearer ${token()}` });
}

/** The service account of the pod the reconciler runs in. */
export function inClusterAccess(env: NodeJS.ProcessEnv = process.env, dir = SERVICE_ACCOUNT_DIR): ClusterAccess {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT ?? '443';
  if (!host) throw new Error('not running in a cluster: KUBERNETES_SERVICE_HOST is unset');
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return {
    server: `https://${hostPart}:${port}`,
    tls: { ca: readFileSync(join(dir, 'ca.crt')) },
    headers: bearer(tokenFileReader(join(dir, 'token'))),
  };
}

interface NamedEntry<T> { name: string; [key: string]: unknown; cluster?: T; user?: T; context?: T }
interface KubeconfigCluster { server?: string; 'certificate-authority'?: string; 'certificate-authority-data'?: string; 'insecure-skip-tls-verify'?: boolean }
interface KubeconfigUser {
  'client-certificate'?: string; 'client-certificate-data'?: string; 'client-key'?: string; 'client-key-data'?: string;
  token?: string; tokenFile?: string; username?: string; password?: string; exec?: unknown; 'auth-provider'?: unknown;
}
export interface KubeconfigFile {
  apiVersion?: string;
  kind?: string;
  'current-context'?: string;
  clusters?: Array<NamedEntry<KubeconfigCluster>>;
  users?: Array<NamedEntry<KubeconfigUser>>;
  contexts?: Array<NamedEntry<{ cluster?: string; user?: string }>>;
}

/** `*-data` (base64) wins over the file path, as in kubectl; relative paths are relative to the kubeconfig. */
function material(data: string | undefined, file: string | undefined, baseDir: string): Buffer | undefined {
  if (data) return Buffer.from(data, 'base64');
  if (file) return readFileSync(isAbsolute(file) ? file : join(baseDir, file));
  return undefined;
}

/** Undefined when the user needs client-node (exec plugin, auth provider). */
export function parseKubeconfig(file: KubeconfigFile, baseDir: string): ClusterAccess | undefined {
  const contextName = file['current-context'];
  const context = file.contexts?.find((entry) => entry.name === contextName)?.context ?? (contextName ? undefined : file.contexts?.[0]?.context);
  if (!context) throw new Error(`the kubeconfig has no context ${contextName ?? '(none set)'}`);
  const cluster = file.clusters?.find((entry) => entry.name === context.cluster)?.cluster;
  if (!cluster?.server) throw new Error(`the kubeconfig's cluster ${context.cluster ?? '(unset)'} has no server`);
  const user = file.users?.find((entry) => entry.name === context.user)?.user ?? {};
  if (user.exec || user['auth-provider']) return undefined;
  const tls: ClusterTls = {
    ca: material(cluster['certificate-authority-data'], cluster['certificate-authority'], baseDir),
    cert: material(user['client-certificate-data'], user['client-certificate'], baseDir),
    key: material(user['client-key-data'], user['client-key'], baseDir),
  };
  if (cluster['insecure-skip-tls-verify']) tls.rejectUnauthorized = false;
  let headers: () => Promise<Record<string, string>> = async () => ({});
  if (user.token) headers = bearer(() => user.token!);
  else if (user.tokenFile) headers = bearer(tokenFileReader(isAbsolute(user.tokenFile) ? user.tokenFile : join(baseDir, user.tokenFile)));
  else if (user.username !== undefined && user.password !== undefined) {
    const basic = Buffer.from(`${user.username}:${user.password}`).toString('base64');
    headers = async () => ({ Authorization: `Basic ${basic}` });
  }
  return { server: cluster.server.replace(/\/+$/, ''), tls, headers };
}

/** JSON is YAML too; the YAML parser (about 9 MB of RSS) is loaded only for a kubeconfig that is not JSON. */
export async function parseKubeconfigText(text: string): Promise<KubeconfigFile> {
  try {
    return JSON.parse(text) as KubeconfigFile;
  } catch {
    const { parse } = await import('yaml');
    return parse(text) as KubeconfigFile;
  }
}

/** Loads client-node only for what the built-in loader does not cover. */
async function loadWithClientNode(path: string): Promise<KubeConfigLike> {
  const { KubeConfig: FullKubeConfig } = await import('@kubernetes/client-node');
  const kubeConfig = new FullKubeConfig();
  kubeConfig.loadFromFile(path);
  return kubeConfig;
}

/**
 * The cluster for `--kubeconfig PATH`, else `$KUBECONFIG` (first file of a list), else in-cluster when
 * KUBERNETES_SERVICE_HOST is set, else ~/.kube/config.
 */
export async function loadClusterAccess(path: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<ClusterSource> {
  let file = path ?? env.KUBECONFIG?.split(':').find((entry) => entry !== '');
  if (!file && env.KUBERNETES_SERVICE_HOST) return inClusterAccess(env);
  file ??= join(homedir(), '.kube', 'config');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read kubeconfig ${file}`, { cause: error });
  }
  return parseKubeconfig(await parseKubeconfigText(text), dirname(file)) ?? loadWithClientNode(file);
}

/** The API server URL and TLS options of either kind of source, resolved once. */
export async function resolveClusterAccess(source: ClusterSource): Promise<ClusterAccess> {
  if (!isKubeConfigLike(source)) return source;
  const cluster = source.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  // client-node refreshes exec/OIDC tokens inside applyToHTTPSOptions, so it is asked again for every request.
  const options: { ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer; rejectUnauthorized?: boolean } = {};
  await source.applyToHTTPSOptions(options);
  return {
    server: cluster.server,
    tls: { ca: options.ca, cert: options.cert, key: options.key, rejectUnauthorized: options.rejectUnauthorized },
    headers: async () => {
      const fresh: { headers?: Record<string, string> } = {};
      await source.applyToHTTPSOptions(fresh);
      return { ...(fresh.headers ?? {}) };
    },
  };
}
