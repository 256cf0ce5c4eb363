/** The webhook's certificate expiry series: the notAfter of whatever certificate the source holds at scrape time. */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { createCertificateAuthority, describeCertificate, issueServingCertificate } from '../../certs/authority.js';
import { createWebhookMetrics } from '../../webhook/metrics.js';

const DAY_MS = 86_400_000;

function expiryLine(text: string): string | undefined {
  return /^redwing_webhook_certificate_expiry_timestamp_seconds\{subject="redwing-webhook"\} (\S+)$/m.exec(text)?.[1];
}

describe('redwing_webhook_certificate_expiry_timestamp_seconds', () => {
  it('is absent before a certificate is loaded and follows a renewal at the next scrape', async () => {
    const metrics = createWebhookMetrics({ processMetrics: false });
    let current: string | undefined;
    metrics.watchServingCertificate(() => current);
    assert.doesNotMatch(await metrics.registry.metrics(), /^redwing_webhook_certificate_expiry_timestamp_seconds/m, 'no sample before a load');

    const ca = createCertificateAuthority({ commonName: 'test-ca' });
    const first = issueServingCertificate(ca, { commonName: 'redwing-webhook', dnsNames: ['redwing-webhook'], validityMs: 10 * DAY_MS });
    current = first.certPem;
    assert.equal(Number(expiryLine(await metrics.registry.metrics())), describeCertificate(first.certPem).notAfter.getTime() / 1000);

    const renewed = issueServingCertificate(ca, { commonName: 'redwing-webhook', dnsNames: ['redwing-webhook'], validityMs: 30 * DAY_MS });
    current = renewed.certPem;
    const exported = Number(expiryLine(await metrics.registry.metrics()));
    assert.equal(exported, describeCertificate(renewed.certPem).notAfter.getTime() / 1000);
    assert.ok(exported * 1000 - Date.now() > 29 * DAY_MS);
  });
});
