/**
 * PEM certificate bundles as text, without node-forge: the reconciler combines CA bundles on every reconcile of a
 * store that requires client certificates, and loading forge for that would cost about 10 MB of RSS.
 */

/** Splits a PEM bundle into its individual certificates (anything else is dropped). */
export function splitPemBundle(bundlePem: string): string[] {
  const blocks = bundlePem.replace(/\r\n/g, '\n').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  return blocks?.map((pem) => `${pem}\n`) ?? [];
}

/** One bundle holding every certificate of `bundles` once, in first-seen order (undefined entries are skipped). */
export function combinePemBundles(bundles: ReadonlyArray<string | undefined>): string {
  const seen = new Set<string>();
  for (const bundle of bundles) {
    for (const certificate of splitPemBundle(bundle ?? '')) seen.add(certificate);
  }
  return [...seen].join('');
}
