import { keyMatchesCertificate, splitPemBundle, type KeyPairPem } from './authority.js';

/**
 * Everything the webhook's certificates consist of, as stored in Secret `redwing-webhook-tls`.
 *
 * Steady state: `caBundlePem` holds only `ca.certPem`. During a CA rotation the bundle holds old and new CA:
 * first the new CA waits in `nextCa` (trusted, not yet signing) until the bundle is injected everywhere; then it
 * becomes `ca` and re-issues `serving`; after `dropPreviousCaAfter` the old CA leaves the bundle.
 */
export interface WebhookTlsState {
  /** the CA that signed `serving` (`ca.crt`, `ca.key`) */
  ca: KeyPairPem;
  /** the serving certificate (`tls.crt`, `tls.key`) */
  serving: KeyPairPem;
  /** what API servers must trust (`ca-bundle.crt`); always contains `ca.certPem` */
  caBundlePem: string;
  /** a new CA already in the bundle but not yet signing (`next-ca.crt`, `next-ca.key`) */
  nextCa?: KeyPairPem;
  /** when CAs other than `ca` may leave the bundle (annotation) */
  dropPreviousCaAfter?: Date;
}

export const SECRET_KEYS = {
  servingCert: 'tls.crt',
  servingKey: 'tls.key',
  caCert: 'ca.crt',
  caKey: 'ca.key',
  caBundle: 'ca-bundle.crt',
  nextCaCert: 'next-ca.crt',
  nextCaKey: 'next-ca.key',
} as const;

export const DROP_PREVIOUS_CA_AFTER_ANNOTATION = 'redwing.dev/drop-previous-ca-after';

export type DecodeResult = { ok: true; state: WebhookTlsState } | { ok: false; reason: string };

function decodeBase64(value: string | undefined): string | undefined {
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
}

function pair(certPem: string | undefined, keyPem: string | undefined, label: string): KeyPairPem | string {
  if (!certPem || !keyPem) return `${label}: certificate or key missing`;
  if (!keyMatchesCertificate(certPem, keyPem)) return `${label}: key does not match certificate (or does not parse)`;
  return { certPem, keyPem };
}

/** Reads Secret `data` (base64 values) and annotations into a state, or says why it cannot be used. */
export function decodeTlsSecret(data: Record<string, string> | undefined, annotations: Record<string, string> | undefined): DecodeResult {
  const text = (key: string): string | undefined => decodeBase64(data?.[key]);
  const ca = pair(text(SECRET_KEYS.caCert), text(SECRET_KEYS.caKey), 'CA');
  if (typeof ca === 'string') return { ok: false, reason: ca };
  const serving = pair(text(SECRET_KEYS.servingCert), text(SECRET_KEYS.servingKey), 'serving');
  if (typeof serving === 'string') return { ok: false, reason: serving };
  const state: WebhookTlsState = { ca, serving, caBundlePem: ca.certPem };
  const bundle = text(SECRET_KEYS.caBundle);
  if (bundle !== undefined && splitPemBundle(bundle).length > 0) {
    state.caBundlePem = ensureBundleContains(bundle, ca.certPem);
  }
  const nextCert = text(SECRET_KEYS.nextCaCert);
  const nextKey = text(SECRET_KEYS.nextCaKey);
  if (nextCert !== undefined || nextKey !== undefined) {
    const next = pair(nextCert, nextKey, 'next CA');
    if (typeof next === 'string') return { ok: false, reason: next };
    state.nextCa = next;
    state.caBundlePem = ensureBundleContains(state.caBundlePem, next.certPem);
  }
  const dropAfter = annotations?.[DROP_PREVIOUS_CA_AFTER_ANNOTATION];
  if (dropAfter !== undefined) {
    const when = new Date(dropAfter);
    if (!Number.isNaN(when.getTime())) state.dropPreviousCaAfter = when;
  }
  return { ok: true, state };
}

/** Secret `data` (base64 values) and the annotation for a state. */
export function encodeTlsSecret(state: WebhookTlsState): { data: Record<string, string>; annotations: Record<string, string> } {
  const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
  const data: Record<string, string> = {
    [SECRET_KEYS.servingCert]: base64(state.serving.certPem),
    [SECRET_KEYS.servingKey]: base64(state.serving.keyPem),
    [SECRET_KEYS.caCert]: base64(state.ca.certPem),
    [SECRET_KEYS.caKey]: base64(state.ca.keyPem),
    [SECRET_KEYS.caBundle]: base64(state.caBundlePem),
  };
  if (state.nextCa) {
    data[SECRET_KEYS.nextCaCert] = base64(state.nextCa.certPem);
    data[SECRET_KEYS.nextCaKey] = base64(state.nextCa.keyPem);
  }
  const annotations: Record<string, string> = {};
  if (state.dropPreviousCaAfter) annotations[DROP_PREVIOUS_CA_AFTER_ANNOTATION] = state.dropPreviousCaAfter.toISOString();
  return { data, annotations };
}

/** Normalised PEM: one certificate per block, each ending in a newline, duplicates removed, order kept. */
export function normaliseBundle(bundlePem: string): string {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const pem of splitPemBundle(bundlePem)) {
    const key = pem.replace(/\s+/g, '');
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(pem);
  }
  return out.join('');
}

export function ensureBundleContains(bundlePem: string, certPem: string): string {
  return normaliseBundle(bundlePem + '\n' + certPem);
}

/** True when every certificate of `required` is also in `bundle`. */
export function bundleCovers(bundlePem: string, requiredPem: string): boolean {
  const have = new Set(splitPemBundle(bundlePem).map((pem) => pem.replace(/\s+/g, '')));
  return splitPemBundle(requiredPem).every((pem) => have.has(pem.replace(/\s+/g, '')));
}

export function sameBundle(a: string, b: string): boolean {
  return normaliseBundle(a) === normaliseBundle(b);
}

export function sameState(a: WebhookTlsState, b: WebhookTlsState): boolean {
  const x = encodeTlsSecret(a);
  const y = encodeTlsSecret(b);
  return JSON.stringify(x) === JSON.stringify(y);
}
