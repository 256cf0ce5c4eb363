/**
 * The alert rules and the dashboard's queries through Prometheus's own promtool, where it is on PATH (Debian's
 * `prometheus` package): every expression parses, and `promtool test rules` shows each alert firing on the series
 * that mean trouble and staying quiet on healthy ones.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import YAML from 'yaml';

const MONITORING_DIR = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../charts/redwing/files/monitoring');
const PROMTOOL = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;

interface AlertRule { alert: string; expr: string; labels?: Record<string, string>; annotations?: Record<string, string> }
interface RuleFile { spec: { groups: Array<{ name: string; rules: AlertRule[] }> } }

const ruleFile = YAML.parse(readFileSync(join(MONITORING_DIR, 'prometheus-rule.yaml'), 'utf8')) as RuleFile;
const rules = ruleFile.spec.groups.flatMap((group) => group.rules);

/** The alert's annotations with `{{ $labels.x }}` filled in; `value` stands for a `{{ $value | ... }}` part. Pure. */
function annotationsOf(alert: string, labels: Record<string, string>, value = ''): Record<string, string> {
  const rule = rules.find((candidate) => candidate.alert === alert);
  assert.ok(rule, alert);
  return Object.fromEntries(Object.entries(rule.annotations ?? {}).map(([key, text]) => [key, text
    .replace(/\{\{ \$labels\.(\w+) \}\}/g, (_, name: string) => labels[name] ?? '')
    .replace(/\{\{ \$value[^}]*\}\}/g, value)]));
}

/** One promtool case: the alert fires with these labels (severity from the rule) at `at`, or does not fire. */
function expectAlert(alert: string, at: string, labels?: Record<string, string>, value?: string): unknown {
  const rule = rules.find((candidate) => candidate.alert === alert)!;
  return {
    eval_time: at,
    alertname: alert,
    exp_alerts: labels ? [{ exp_labels: { ...rule.labels, ...labels }, exp_annotations: annotationsOf(alert, labels, value) }] : [],
  };
}

const store = (pod: string) => `namespace="shop",store="cache",pod="${pod}"`;

const TESTS = [
  {
    // cache: two replicas, no master. ok: a master that answers.
    interval: '1m',
    input_series: [
      { series: `redwing_pod_role{${store('cache-0')},role="replica"}`, values: '1x10' },
      { series: `redwing_pod_role{${store('cache-1')},role="replica"}`, values: '1x10' },
      { series: `redwing_pod_up{${store('cache-0')}}`, values: '1x10' },
      { series: `redwing_pod_up{${store('cache-1')}}`, values: '1x10' },
      { series: 'redwing_pod_role{namespace="shop",store="ok",pod="ok-0",role="master"}', values: '1x10' },
      { series: 'redwing_pod_up{namespace="shop",store="ok",pod="ok-0"}', values: '1x10' },
    ],
    alert_rule_test: [expectAlert('RedwingStoreNoMaster', '5m', { namespace: 'shop', store: 'cache' }), expectAlert('RedwingPodDown', '10m')],
  },
  {
    // The master role on a pod that no longer answers counts as no master, and the pod is down.
    interval: '1m',
    input_series: [
      { series: `redwing_pod_role{${store('cache-0')},role="master"}`, values: '1x10' },
      { series: `redwing_pod_up{${store('cache-0')}}`, values: '0x10' },
    ],
    alert_rule_test: [
      expectAlert('RedwingStoreNoMaster', '5m', { namespace: 'shop', store: 'cache' }),
      expectAlert('RedwingPodDown', '10m', { namespace: 'shop', store: 'cache', pod: 'cache-0' }),
    ],
  },
  {
    interval: '1m',
    input_series: [
      { series: 'redwing_failovers_total{namespace="shop",store="cache"}', values: '0 0 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1' },
      { series: 'redwing_failovers_total{namespace="shop",store="calm"}', values: '0x24' },
    ],
    alert_rule_test: [expectAlert('RedwingFailoverHappened', '3m', { namespace: 'shop', store: 'cache' }), expectAlert('RedwingFailoverHappened', '20m')],
  },
  {
    interval: '1m',
    input_series: [
      { series: `redis_master_link_up{${store('cache-1')}}`, values: '1 1 0x8' },
      { series: `redwing_replication_lag_bytes{${store('cache-2')}}`, values: '100000000x10' },
      { series: 'redwing_last_snapshot_succeeded{namespace="shop",store="cache"}', values: '0x10' },
      { series: 'redwing_last_snapshot_succeeded{namespace="shop",store="fine"}', values: '1x10' },
    ],
    alert_rule_test: [
      expectAlert('RedwingReplicationBroken', '6m', { namespace: 'shop', store: 'cache', pod: 'cache-1' }),
      expectAlert('RedwingReplicationLagging', '7m', { namespace: 'shop', store: 'cache', pod: 'cache-2' }, '95.37Mi'),
      expectAlert('RedwingSnapshotFailing', '3m', { namespace: 'shop', store: 'cache' }),
    ],
  },
  {
    // Unix time 0 at the start: a certificate that expires three days after the evaluation time fires, one of 30 days
    // does not. Errors (not denials) from the webhook fire; a reconciler with no leader fires.
    interval: '1m',
    input_series: [
      { series: 'redwing_webhook_certificate_expiry_timestamp_seconds{subject="redwing-webhook"}', values: `${2 * 3600 + 3 * 86400}x180` },
      { series: 'redwing_webhook_certificate_expiry_timestamp_seconds{subject="fresh"}', values: `${30 * 86400}x180` },
      { series: 'redwing_webhook_admission_requests_total{webhook="validate-kvstore",operation="CREATE",result="error"}', values: '0+5x20' },
      { series: 'redwing_webhook_admission_requests_total{webhook="mutate-kvstore",operation="CREATE",result="denied"}', values: '0+5x20' },
      { series: 'redwing_reconcile_errors_total', values: '0+1x30' },
      { series: 'redwing_leader', values: '0x10' },
    ],
    alert_rule_test: [
      expectAlert('RedwingCertificateExpiring', '2h', { subject: 'redwing-webhook' }, '3d 0h 0m 0s'),
      expectAlert('RedwingWebhookErrors', '15m', { webhook: 'validate-kvstore' }),
      expectAlert('RedwingReconcileErrors', '25m', {}),
      expectAlert('RedwingNoReconcilerLeader', '8m', {}),
    ],
  },
];

/** The dashboard's queries (template variables filled in) as recording rules, so that promtool parses each. Pure. */
function dashboardQueriesAsRules(dashboard: unknown): Array<{ record: string; expr: string }> {
  const expressions: string[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (typeof value === 'object' && value !== null) {
      for (const [key, inner] of Object.entries(value)) {
        if (key === 'expr' && typeof inner === 'string') expressions.push(inner);
        else visit(inner);
      }
    }
  };
  visit(dashboard);
  return expressions.map((expr, index) => ({ record: `dashboard:query_${index}`, expr: expr.replace(/\$namespace/g, 'shop').replace(/\$store/g, 'cache') }));
}

describe('alert rules and dashboard queries through promtool', { skip: PROMTOOL ? false : 'promtool is not on PATH (Debian package prometheus)' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'redwing-promtool-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('parses every alert expression and every dashboard query', () => {
    const dashboard: unknown = JSON.parse(readFileSync(join(MONITORING_DIR, 'redwing-dashboard.json'), 'utf8'));
    const queries = dashboardQueriesAsRules(dashboard);
    assert.ok(queries.length > 15);
    writeFileSync(join(dir, 'rules.yaml'), YAML.stringify({ groups: ruleFile.spec.groups }));
    writeFileSync(join(dir, 'dashboard.yaml'), YAML.stringify({ groups: [{ name: 'dashboard', rules: queries }] }));
    const result = spawnSync('promtool', ['check', 'rules', join(dir, 'rules.yaml'), join(dir, 'dashboard.yaml')], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stdout + result.stderr);
  });

  it('fires each alert on trouble and stays quiet on healthy series', () => {
    writeFileSync(join(dir, 'rules.yaml'), YAML.stringify({ groups: ruleFile.spec.groups }));
    writeFileSync(join(dir, 'tests.yaml'), YAML.stringify({ rule_files: ['rules.yaml'], evaluation_interval: '1m', tests: TESTS }));
    const tested = new Set(TESTS.flatMap((test) => test.alert_rule_test.map((entry) => (entry as { alertname: string }).alertname)));
    assert.deepEqual(rules.map((rule) => rule.alert).filter((alert) => !tested.has(alert)), [], 'every alert has a case');
    const result = spawnSync('promtool', ['test', 'rules', join(dir, 'tests.yaml')], { encoding: 'utf8', cwd: dir });
    assert.equal(result.status, 0, result.stdout + result.stderr);
  });
});
