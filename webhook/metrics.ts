/**
 * Prometheus metrics of the webhook, in a registry of its own (so tests and several servers in one process never
 * collide on prom-client's global registry).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { describeCertificate } from '../certs/authority.js';
import type { PolicyViolation } from '../policy/policy-port.js';

export type WebhookName = 'mutate-kvstore' | 'validate-kvstore' | 'validate-kvpolicy';
export type AdmissionResult = 'allowed' | 'denied' | 'error';

export interface WebhookMetrics {
  registry: Registry;
  recordAdmission(webhook: WebhookName, operation: string, result: AdmissionResult, durationSeconds: number): void;
  recordDenial(webhook: WebhookName, reason: string): void;
  recordPolicyViolations(violations: readonly PolicyViolation[]): void;
  /** Exports the notAfter of the certificate this returns at each scrape (undefined: none loaded yet). */
  watchServingCertificate(currentCertPem: () => string | undefined): void;
}

export interface WebhookMetricsOptions {
  /** Also export process metrics (CPU, memory, event loop lag). Default true. */
  processMetrics?: boolean;
}

export function createWebhookMetrics(options: WebhookMetricsOptions = {}): WebhookMetrics {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'redwing_webhook_' });
  const requests = new Counter({
    name: 'redwing_webhook_admission_requests_total',
    help: 'Admission requests answered, by webhook, operation and result (allowed, denied, error).',
    labelNames: ['webhook', 'operation', 'result'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'redwing_webhook_admission_duration_seconds',
    help: 'Time from request received to answer sent, by webhook and operation.',
    labelNames: ['webhook', 'operation'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });
  const denials = new Counter({
    name: 'redwing_webhook_admission_denials_total',
    help: 'Denied admission requests, by webhook and reason (Invalid, Forbidden, InternalError, BadRequest, ...).',
    labelNames: ['webhook', 'reason'] as const,
    registers: [registry],
  });
  const violations = new Counter({
    name: 'redwing_webhook_policy_violations_total',
    help: 'KVPolicy rule violations seen at admission (dry runs excluded), by policy and enforcement.',
    labelNames: ['policy', 'enforcement'] as const,
    registers: [registry],
  });
  let currentCertPem: () => string | undefined = () => undefined;
  let parsed: { pem: string; subject: string; notAfterSeconds: number } | undefined;
  // Read at scrape time: a renewal (self-managed or cert-manager) shows at the next scrape with no event to miss.
  // Labelled by subject so that it can be absent (a label-less gauge would read 0, "expired") before a load.
  new Gauge({
    name: 'redwing_webhook_certificate_expiry_timestamp_seconds',
    help: 'notAfter of the serving certificate the webhook presents (Unix time), by subject common name.',
    labelNames: ['subject'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const pem = currentCertPem();
      if (pem === undefined) return;
      if (parsed?.pem !== pem) {
        const description = describeCertificate(pem);
        parsed = { pem, subject: description.subjectCommonName, notAfterSeconds: description.notAfter.getTime() / 1000 };
      }
      this.set({ subject: parsed.subject }, parsed.notAfterSeconds);
    },
  });
  return {
    registry,
    watchServingCertificate(source) {
      currentCertPem = source;
    },
    recordAdmission(webhook, operation, result, durationSeconds) {
      requests.inc({ webhook, operation, result });
      duration.observe({ webhook, operation }, durationSeconds);
    },
    recordDenial(webhook, reason) {
      denials.inc({ webhook, reason });
    },
    recordPolicyViolations(list) {
      for (const violation of list) violations.inc({ policy: violation.policy, enforcement: violation.enforcement });
    },
  };
}
