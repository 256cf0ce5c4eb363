/**
 * Every metric name the Grafana dashboard and the alert rules use exists in real /metrics output: the reconciler and
 * the webhook run in-process against a sandbox, and a store runs the exporter sidecar (prometheus-redis-exporter)
 * with a master and a replica, whose exporters are scraped too.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import YAML from 'yaml';
import { paths } from '../../kube/paths.js';
import { runWebhook, type RunningWebhook } from '../../webhook/main.js';
import { sandboxTestLogger } from '../../harness/sandbox-logger.js';
import { kvstore, useReconcilerOnSandbox, waitFor, waitStoreReady } from '../reconciler/controller/e2e-helpers.js';

const MONITORING_DIR = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../charts/redwing/files/monitoring');
const STORE = 'monitored';
const EXPORTER_PORT = 9121;

/** Metric names in a PromQL expression: Redwing's own series and the exporter's. Pure. */
function metricNamesIn(expression: string): string[] {
  return [...expression.matchAll(/\b(?:redwing|redis)_[a-z0-9_]+\b/g)].map((match) => match[0]);
}

/** The names a scrape exposes (from `# TYPE` lines), with the series names a histogram or summary adds. Pure. */
function exposedNames(metricsText: string): Set<string> {
  const names = new Set<string>();
  for (const match of metricsText.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name, type] = match as unknown as [string, string, string];
    names.add(name);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
    if (type === 'summary') for (const suffix of ['_sum', '_count']) names.add(`${name}${suffix}`);
  }
  return names;
}

function expressionsOf(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) expressionsOf(item, found);
  else if (typeof value === 'object' && value !== null) {
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'expr' && typeof inner === 'string') found.push(inner);
      else expressionsOf(inner, found);
    }
  }
  return found;
}

function usedMetricNames(): { dashboard: Set<string>; alerts: Set<string> } {
  const dashboard: unknown = JSON.parse(readFileSync(join(MONITORING_DIR, 'redwing-dashboard.json'), 'utf8'));
  const rule: unknown = YAML.parse(readFileSync(join(MONITORING_DIR, 'prometheus-rule.yaml'), 'utf8'));
  // Template variables query label_values(...) outside `expr`: they count too.
  const variables = JSON.stringify((dashboard as { templating?: unknown }).templating ?? {});
  return {
    dashboard: new Set([...expressionsOf(dashboard), variables].flatMap(metricNamesIn)),
    alerts: new Set(expressionsOf(rule).flatMap(metricNamesIn)),
  };
}

async function scrape(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  assert.equal(response.status, 200, url);
  return response.text();
}

describe('metric name extraction', () => {
  it('finds the series names of an expression, histogram suffixes included', () => {
    assert.deepEqual(metricNamesIn('histogram_quantile(0.99, sum by (le) (rate(redwing_reconcile_duration_seconds_bucket[5m]))) / redis_up'), ['redwing_reconcile_duration_seconds_bucket', 'redis_up']);
    const names = exposedNames('# HELP a_seconds x\n# TYPE a_seconds histogram\na_seconds_bucket{le="1"} 0\n# TYPE b_total counter\n');
    assert.deepEqual([...names].sort(), ['a_seconds', 'a_seconds_bucket', 'a_seconds_count', 'a_seconds_sum', 'b_total']);
  });
});

describe('the monitoring pack against real /metrics', { timeout: 600_000 }, () => {
  const certDir = mkdtempSync(join(tmpdir(), 'redwing-monitoring-certs-'));
  let webhook: RunningWebhook | undefined;
  after(async () => {
    await webhook?.stop();
    rmSync(certDir, { recursive: true, force: true });
  });
  const e2e = useReconcilerOnSandbox();

  it('uses only metric names the reconciler, the webhook or the exporter exposes', async () => {
    const used = usedMetricNames();
    const redisNames = [...used.dashboard].filter((name) => name.startsWith('redis_'));
    assert.ok(redisNames.length >= 2 && used.alerts.size >= 5, 'the dashboard reads the exporter and the rules read metrics at all');

    webhook = await runWebhook({ port: 0, metricsPort: 0, host: '127.0.0.1', namespace: 'redwing-system', service: 'redwing-webhook', certDir, logger: sandboxTestLogger() });
    await e2e.cluster.client.create(paths.kvstores('default'), kvstore(STORE, { replicas: 2, exporter: { enabled: true } }));
    const pods = await waitStoreReady(e2e.cluster.client, STORE, 2);

    const texts = [
      await scrape(`http://127.0.0.1:${e2e.reconciler.metricsPort}/metrics`),
      await scrape(`http://127.0.0.1:${webhook.metricsPort}/metrics`),
    ];
    for (const pod of pods) {
      // The exporter reports replication series only once it has logged in to its engine (redis_up 1).
      texts.push(await waitFor(`redis_up 1 from the exporter of ${pod.name}`, async () => {
        const text = await scrape(`http://${pod.ip!}:${EXPORTER_PORT}/metrics`);
        return /^redis_up 1$/m.test(text) ? text : undefined;
      }, 60_000));
    }
    const exposed = new Set(texts.flatMap((text) => [...exposedNames(text)]));
    for (const [where, names] of Object.entries(used)) {
      const missing = [...names].filter((name) => !exposed.has(name)).sort();
      assert.deepEqual(missing, [], `${where}: metric names no /metrics output has`);
    }
  });
});
