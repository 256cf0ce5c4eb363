/**
 * What the webhook's HTTPS server consumes: the current serving certificate, key and CA bundle, and a signal when
 * they change (the server then calls `server.setSecureContext({ cert, key })`, no restart).
 */
export interface ServingMaterial {
  certPem: string;
  keyPem: string;
  caBundlePem: string;
}

export interface CertificateSource {
  /** throws if not loaded yet */
  current(): ServingMaterial;
  /** returns unsubscribe */
  onChange(listener: (m: ServingMaterial) => void): () => void;
  /** cert loaded AND (in cluster mode) caBundle injected */
  isReady(): boolean;
  stop(): Promise<void>;
}
