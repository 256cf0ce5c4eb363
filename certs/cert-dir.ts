import { watch, type FSWatcher } from 'node:fs';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogger, type Logger } from '../shared/logger.js';
import { isIssuedBy, keyMatchesCertificate, serviceDnsNames, type KeyPairPem } from './authority.js';
import type { CertificateSource, ServingMaterial } from './certificate-source.js';
import { MaterialHolder } from './material-holder.js';
import { applyRotationAction, createInitialState, defaultRotationPolicy, generateKeysFor, servingProblem, type RotationPolicy } from './rotation.js';

export const CERT_DIR_FILES = { caCert: 'ca.crt', caKey: 'ca.key', servingCert: 'tls.crt', servingKey: 'tls.key' } as const;

export interface CertDirSourceOptions {
  dir: string;
  /** default `redwing-webhook` */
  service?: string;
  /** default `redwing-system` */
  namespace?: string;
  logger?: Logger;
  /** re-read interval in case fs.watch misses an event (default 2s) */
  pollIntervalMs?: number;
  /** use fs.watch besides polling (default true; some mounts deliver no events) */
  watch?: boolean;
  /** certificate lifetimes etc. when we create (and renew) the files ourselves */
  rotation?: Partial<Omit<RotationPolicy, 'dnsNames' | 'ipAddresses'>>;
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`reading ${path} failed`, { cause: error });
  }
}

/** Write-then-rename, so a reader never sees half a file. */
async function writeAtomically(path: string, content: string, mode: number): Promise<void> {
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temporary, content, { mode });
  await chmod(temporary, mode);
  await rename(temporary, path);
}

interface DirContents {
  caCert?: string | undefined;
  caKey?: string | undefined;
  servingCert?: string | undefined;
  servingKey?: string | undefined;
}

async function readDir(dir: string): Promise<DirContents> {
  const [caCert, caKey, servingCert, servingKey] = await Promise.all(
    [CERT_DIR_FILES.caCert, CERT_DIR_FILES.caKey, CERT_DIR_FILES.servingCert, CERT_DIR_FILES.servingKey].map((f) => readOptional(join(dir, f))),
  );
  return { caCert, caKey, servingCert, servingKey };
}

/** The CA whose key we hold, if ca.crt/ca.key are a matching pair (a cert-manager mount has no ca.key). */
function ownCa(contents: DirContents): KeyPairPem | undefined {
  if (!contents.caCert || !contents.caKey || !keyMatchesCertificate(contents.caCert, contents.caKey)) return undefined;
  return { certPem: contents.caCert, keyPem: contents.caKey };
}

/**
 * Creates missing files, and renews the serving certificate when we hold its CA key and it is due (or lacks names).
 * Files we did not make (no ca.key, or tls.crt from another issuer) are left alone: their owner renews them.
 */
export async function ensureCertDir(dir: string, policy: RotationPolicy, logger: Logger, options: { create: boolean; now?: Date }): Promise<void> {
  const now = options.now ?? new Date();
  if (options.create) await mkdir(dir, { recursive: true });
  const contents = await readDir(dir);
  const ca = ownCa(contents);
  const servingPresent = contents.servingCert !== undefined && contents.servingKey !== undefined;
  if (servingPresent && !(ca && isIssuedBy(contents.servingCert!, ca.certPem))) return;
  if (servingPresent && ca) {
    const state = { ca, serving: { certPem: contents.servingCert!, keyPem: contents.servingKey! }, caBundlePem: ca.certPem };
    // Only the leaf is renewed here: with no API server to inject into, a CA change would break every client.
    const reason = servingProblem(state, policy, now);
    if (!reason) return;
    const action = { kind: 'issue-serving', reason } as const;
    const next = applyRotationAction(state, action, policy, now, await generateKeysFor(action))!;
    logger.info({ dir, reason }, 'renewing serving certificate in cert dir');
    await writeServing(dir, next.serving);
    return;
  }
  // Only at start-up: a file missing later is more likely another writer mid-update than a request for new files.
  if (!options.create) return;
  const keys = await generateKeysFor('initial');
  const state = ca
    ? applyRotationAction({ ca, serving: ca, caBundlePem: ca.certPem }, { kind: 'issue-serving', reason: 'missing' }, policy, now, keys)!
    : createInitialState(policy, now, keys);
  if (!ca) {
    await writeAtomically(join(dir, CERT_DIR_FILES.caKey), state.ca.keyPem, 0o600);
    await writeAtomically(join(dir, CERT_DIR_FILES.caCert), state.ca.certPem, 0o644);
  }
  logger.info({ dir, createdCa: !ca }, 'created serving certificate in cert dir');
  await writeServing(dir, state.serving);
}

async function writeServing(dir: string, serving: KeyPairPem): Promise<void> {
  await writeAtomically(join(dir, CERT_DIR_FILES.servingKey), serving.keyPem, 0o600);
  await writeAtomically(join(dir, CERT_DIR_FILES.servingCert), serving.certPem, 0o644);
}

/** ca.crt, tls.crt and tls.key as serving material, or undefined while they are missing or mismatched. */
async function readMaterial(dir: string): Promise<ServingMaterial | undefined> {
  const contents = await readDir(dir);
  if (!contents.servingCert || !contents.servingKey) return undefined;
  // Writers (cert-manager, our own renewal) replace tls.crt and tls.key one after the other.
  if (!keyMatchesCertificate(contents.servingCert, contents.servingKey)) return undefined;
  return { certPem: contents.servingCert, keyPem: contents.servingKey, caBundlePem: contents.caCert ?? '' };
}

/** `--cert-dir` mode: files created or reused, reloaded when they change (fs.watch plus a poll as fallback). */
export async function createCertDirSource(options: CertDirSourceOptions): Promise<CertificateSource> {
  const logger = options.logger ?? createLogger('certs');
  const service = options.service ?? 'redwing-webhook';
  const namespace = options.namespace ?? 'redwing-system';
  const policy = defaultRotationPolicy({
    caCommonName: `${service}-ca`,
    servingCommonName: `${service}.${namespace}.svc`,
    ...options.rotation,
    dnsNames: ['localhost', ...serviceDnsNames(service, namespace)],
    ipAddresses: ['127.0.0.1'],
  });
  const holder = new MaterialHolder((error) => logger.error({ err: error }, 'certificate change listener failed'));
  const dir = options.dir;

  await ensureCertDir(dir, policy, logger, { create: true });
  const first = await readMaterial(dir);
  if (!first) throw new Error(`${dir}: tls.crt and tls.key missing or not a matching pair`);
  holder.set(first);

  let stopped = false;
  let reloading: Promise<void> = Promise.resolve();
  const reload = (): Promise<void> => {
    reloading = reloading.then(async () => {
      if (stopped) return;
      try {
        await ensureCertDir(dir, policy, logger, { create: false });
        const material = await readMaterial(dir);
        if (material && holder.set(material)) logger.info({ dir }, 'reloaded serving certificate from cert dir');
      } catch (error: unknown) {
        logger.warn({ err: error, dir }, 'cert dir reload failed; keeping the current certificate');
      }
    });
    return reloading;
  };

  let debounce: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  try {
    if (options.watch === false) throw new Error('fs.watch disabled by option');
    watcher = watch(dir, () => {
      if (debounce) clearTimeout(debounce);
      debounce = setTimeout(() => void reload(), 50);
    });
    watcher.on('error', (error) => logger.debug({ err: error }, 'fs.watch failed; relying on polling'));
  } catch (error: unknown) {
    logger.debug({ err: error }, 'fs.watch unavailable; relying on polling');
  }
  const poll = setInterval(() => void reload(), options.pollIntervalMs ?? 2000);

  return {
    current: () => holder.current(),
    onChange: (listener) => holder.onChange(listener),
    isReady: () => holder.loaded(),
    stop: async () => {
      stopped = true;
      clearInterval(poll);
      if (debounce) clearTimeout(debounce);
      watcher?.close();
      await reloading;
    },
  };
}
