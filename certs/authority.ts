import { generateKeyPair, generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

/** A certificate and its private key, both PEM. */
export interface KeyPairPem {
  certPem: string;
  keyPem: string;
}

export interface CertificateAuthorityOptions {
  commonName: string;
  /** PEM RSA private key to use instead of generating one (see `generateRsaKeyPem`) */
  keyPem?: string;
  /** default 10 years */
  validityMs?: number;
  now?: Date;
  /** default 1 hour: tolerates clock skew between us and the API server */
  backdateMs?: number;
}

export interface ServingCertificateOptions {
  commonName: string;
  /** PEM RSA private key to use instead of generating one (see `generateRsaKeyPem`) */
  keyPem?: string;
  dnsNames: string[];
  ipAddresses?: string[];
  /** default 1 year */
  validityMs?: number;
  /** default 1 hour */
  backdateMs?: number;
  now?: Date;
  /** also allow use as a TLS client certificate */
  clientAuth?: boolean;
}

export interface CertificateDescription {
  notBefore: Date;
  notAfter: Date;
  subjectCommonName: string;
  issuerCommonName: string;
  dnsNames: string[];
  ipAddresses: string[];
  isCa: boolean;
  /** lowercase hex SHA-256 of the DER encoding, no separators */
  fingerprintSha256: string;
  serialNumberHex: string;
}

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;
export const DEFAULT_CA_VALIDITY_MS = 10 * 365 * DAY_MS;
export const DEFAULT_SERVING_VALIDITY_MS = 365 * DAY_MS;
export const DEFAULT_BACKDATE_MS = HOUR_MS;
export const DEFAULT_RENEW_FRACTION = 2 / 3;
const RSA_MODULUS_BITS = 2048;

const RSA_KEY_OPTIONS = {
  modulusLength: RSA_MODULUS_BITS,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
} as const;

/**
 * node-forge's pure-JS RSA key generation takes seconds per 2048-bit key; Node's native generator takes
 * ~0.1-0.8 s, so keys are made natively and handed to forge only for certificate assembly.
 */
function rsaKeyPair(keyPem = generateKeyPairSync('rsa', RSA_KEY_OPTIONS).privateKey): {
  privateKey: forge.pki.rsa.PrivateKey;
  publicKey: forge.pki.rsa.PublicKey;
  keyPem: string;
} {
  const privateKey = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  const publicKey = forge.pki.setRsaPublicKey(privateKey.n, privateKey.e);
  return { privateKey, publicKey, keyPem };
}

/**
 * A 2048-bit RSA key (PKCS#1 PEM) made on libuv's thread pool: a process that is serving requests should not
 * stall its event loop for the hundreds of milliseconds a synchronous generation takes.
 */
export function generateRsaKeyPem(): Promise<string> {
  return new Promise((resolve, reject) => {
    generateKeyPair('rsa', RSA_KEY_OPTIONS, (error, _publicKey, privateKey) => (error ? reject(error) : resolve(privateKey)));
  });
}

/** forge writes CRLF; everything else (Node, kubectl, Secret consumers) writes LF. */
function toLfPem(pem: string): string {
  return pem.replace(/\r\n/g, '\n');
}

/** Positive, 128-bit random serial (RFC 5280 allows up to 20 octets; high bit cleared so it stays positive). */
function randomSerialHex(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return bytes.toString('hex');
}

function validityWindow(now: Date | undefined, validityMs: number, backdateMs: number): { notBefore: Date; notAfter: Date } {
  if (!(validityMs > 0)) throw new Error(`validityMs must be positive, got ${validityMs}`);
  if (!(backdateMs >= 0)) throw new Error(`backdateMs must not be negative, got ${backdateMs}`);
  const nowMs = (now ?? new Date()).getTime();
  return { notBefore: new Date(nowMs - backdateMs), notAfter: new Date(nowMs + validityMs) };
}

export function createCertificateAuthority(options: CertificateAuthorityOptions): KeyPairPem {
  const { privateKey, publicKey, keyPem } = rsaKeyPair(options.keyPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = randomSerialHex();
  const window = validityWindow(options.now, options.validityMs ?? DEFAULT_CA_VALIDITY_MS, options.backdateMs ?? DEFAULT_BACKDATE_MS);
  cert.validity.notBefore = window.notBefore;
  cert.validity.notAfter = window.notAfter;
  const subject = [{ name: 'commonName', value: options.commonName }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true, pathLenConstraint: 0 },
    { name: 'keyUsage', critical: true, keyCertSign: true, cRLSign: true, digitalSignature: true },
    // Old and new CA share a subject during rotation; key identifiers let verifiers pick the right issuer.
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(privateKey, forge.md.sha256.create());
  return { certPem: toLfPem(forge.pki.certificateToPem(cert)), keyPem };
}

export function issueServingCertificate(ca: KeyPairPem, options: ServingCertificateOptions): KeyPairPem {
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const caKey = forge.pki.privateKeyFromPem(ca.keyPem);
  const ipAddresses = options.ipAddresses ?? [];
  if (options.dnsNames.length === 0 && ipAddresses.length === 0) {
    throw new Error('a serving certificate needs at least one DNS name or IP address');
  }
  const { publicKey, keyPem } = rsaKeyPair(options.keyPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = randomSerialHex();
  const window = validityWindow(options.now, options.validityMs ?? DEFAULT_SERVING_VALIDITY_MS, options.backdateMs ?? DEFAULT_BACKDATE_MS);
  if (window.notBefore.getTime() + (options.backdateMs ?? DEFAULT_BACKDATE_MS) >= caCert.validity.notAfter.getTime()) {
    throw new Error(`CA "${commonNameOf(caCert.subject.attributes)}" expired at ${caCert.validity.notAfter.toISOString()}`);
  }
  // A leaf must not outlive its issuer, or verifiers reject it before its own notAfter.
  const notAfter = window.notAfter.getTime() > caCert.validity.notAfter.getTime() ? caCert.validity.notAfter : window.notAfter;
  cert.validity.notBefore = window.notBefore;
  cert.validity.notAfter = notAfter;
  cert.setSubject([{ name: 'commonName', value: options.commonName }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', critical: true, digitalSignature: true, keyEncipherment: true },
    { name: 'extKeyUsage', serverAuth: true, clientAuth: options.clientAuth === true },
    {
      name: 'subjectAltName',
      altNames: [
        ...options.dnsNames.map((value) => ({ type: 2, value })),
        ...ipAddresses.map((ip) => ({ type: 7, ip })),
      ],
    },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { certPem: toLfPem(forge.pki.certificateToPem(cert)), keyPem };
}

function commonNameOf(attributes: forge.pki.CertificateField[]): string {
  const attribute = attributes.find((a) => a.name === 'commonName' || a.shortName === 'CN');
  return typeof attribute?.value === 'string' ? attribute.value : '';
}

interface AltName {
  type: number;
  value?: string;
  ip?: string;
}

export function describeCertificate(certPem: string): CertificateDescription {
  const cert = forge.pki.certificateFromPem(certPem);
  const san = cert.getExtension('subjectAltName') as { altNames?: AltName[] } | null;
  const altNames = san?.altNames ?? [];
  const basicConstraints = cert.getExtension('basicConstraints') as { cA?: boolean } | null;
  const der = forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes();
  return {
    notBefore: cert.validity.notBefore,
    notAfter: cert.validity.notAfter,
    subjectCommonName: commonNameOf(cert.subject.attributes),
    issuerCommonName: commonNameOf(cert.issuer.attributes),
    dnsNames: altNames.filter((n) => n.type === 2 && typeof n.value === 'string').map((n) => n.value as string),
    ipAddresses: altNames.filter((n) => n.type === 7 && typeof n.ip === 'string').map((n) => n.ip as string),
    isCa: basicConstraints?.cA === true,
    fingerprintSha256: forge.md.sha256.create().update(der).digest().toHex(),
    serialNumberHex: cert.serialNumber,
  };
}

/** The names a client inside the cluster may use for a Service: svc, svc.ns, svc.ns.svc, svc.ns.svc.cluster.local. */
export function serviceDnsNames(service: string, namespace: string): string[] {
  return [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`];
}

/** True once `fraction` of the certificate's notBefore..notAfter span has elapsed (or it is already expired). */
export function shouldRenew(certPem: string, now: Date, fraction: number = DEFAULT_RENEW_FRACTION): boolean {
  if (!(fraction > 0 && fraction <= 1)) throw new Error(`fraction must be in (0, 1], got ${fraction}`);
  return now.getTime() >= renewalTime(certPem, fraction).getTime();
}

/** When `shouldRenew` turns true for this certificate. */
export function renewalTime(certPem: string, fraction: number = DEFAULT_RENEW_FRACTION): Date {
  const { notBefore, notAfter } = forge.pki.certificateFromPem(certPem).validity;
  const lifetimeMs = notAfter.getTime() - notBefore.getTime();
  return new Date(notBefore.getTime() + lifetimeMs * fraction);
}

/** True when `certPem` was signed by the CA `caCertPem` (signature and issuer name both match). */
export function isIssuedBy(certPem: string, caCertPem: string): boolean {
  try {
    return forge.pki.certificateFromPem(caCertPem).verify(forge.pki.certificateFromPem(certPem));
  } catch {
    return false;
  }
}

/** True when the private key belongs to the certificate. */
export function keyMatchesCertificate(certPem: string, keyPem: string): boolean {
  try {
    const cert = forge.pki.certificateFromPem(certPem);
    const key = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
    const publicKey = cert.publicKey as forge.pki.rsa.PublicKey;
    return publicKey.n.equals(key.n) && publicKey.e.equals(key.e);
  } catch {
    return false;
  }
}

export { splitPemBundle } from '../shared/pem-bundle.js';
