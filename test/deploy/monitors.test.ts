/**
 * The scrape configuration of deploy/kustomize/monitoring points at what exists: each ServiceMonitor selects one of
 * the operator's Services by its labels and names one of its ports, and the stores' PodMonitor selects the labels the
 * reconciler puts on store pods and names the exporter container's port.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import YAML from 'yaml';
import { EXPORTER_PORT_NAME } from '../../reconciler/desired/constants.js';
import { storeLabels } from '../../shared/labels.js';

const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const KUBECTL = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;

interface Rendered {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec: {
    selector: { matchLabels: Record<string, string> };
    ports?: Array<{ name: string }>;
    endpoints?: Array<{ port: string; honorLabels?: boolean }>;
    podMetricsEndpoints?: Array<{ port: string }>;
    namespaceSelector?: { any?: boolean };
  };
}

const selects = (selector: Record<string, string>, labels: Record<string, string> | undefined): boolean =>
  Object.entries(selector).every(([key, value]) => labels?.[key] === value);

describe('the monitors of deploy/kustomize/monitoring', { skip: KUBECTL ? false : 'kubectl is not on PATH' }, () => {
  const result = spawnSync('kubectl', ['kustomize', join(REPO_ROOT, 'deploy', 'kustomize', 'monitoring')], { encoding: 'utf8' });
  const objects = KUBECTL ? YAML.parseAllDocuments(result.stdout).map((doc) => doc.toJS() as Rendered) : [];

  it('each ServiceMonitor selects exactly one operator Service and scrapes a port it has', () => {
    const services = objects.filter((object) => object.kind === 'Service');
    const monitors = objects.filter((object) => object.kind === 'ServiceMonitor');
    assert.equal(monitors.length, 2);
    for (const monitor of monitors) {
      const selected = services.filter((service) => selects(monitor.spec.selector.matchLabels, service.metadata.labels));
      assert.equal(selected.length, 1, `${monitor.metadata.name} selects ${selected.map((service) => service.metadata.name).join(', ')}`);
      for (const endpoint of monitor.spec.endpoints ?? []) {
        assert.ok(selected[0]!.spec.ports?.some((port) => port.name === endpoint.port), `${monitor.metadata.name}: port ${endpoint.port}`);
      }
    }
    const reconciler = monitors.find((monitor) => monitor.metadata.name === 'redwing-reconciler');
    assert.equal(reconciler?.spec.endpoints?.[0]?.honorLabels, true, 'per-store series keep their own namespace and pod labels');
  });

  it('the PodMonitor selects store pods in every namespace and scrapes the exporter port', () => {
    const podMonitor = objects.find((object) => object.kind === 'PodMonitor');
    assert.ok(podMonitor);
    assert.ok(selects(podMonitor.spec.selector.matchLabels, storeLabels('any-store')), 'the labels of every store pod');
    assert.equal(podMonitor.spec.namespaceSelector?.any, true);
    assert.deepEqual(podMonitor.spec.podMetricsEndpoints?.map((endpoint) => endpoint.port), [EXPORTER_PORT_NAME]);
  });

  it('the dashboard ConfigMap carries the Grafana sidecar label', () => {
    const dashboard = objects.find((object) => object.kind === 'ConfigMap' && object.metadata.name === 'redwing-dashboard');
    assert.equal(dashboard?.metadata.labels?.grafana_dashboard, '1');
  });
});

interface DashboardPanel { id: number; type: string; title: string; gridPos: { x: number; w: number }; targets?: Array<{ expr: string }> }

describe('the Grafana dashboard', () => {
  const dashboard = JSON.parse(readFileSync(join(REPO_ROOT, 'charts', 'redwing', 'files', 'monitoring', 'redwing-dashboard.json'), 'utf8')) as {
    uid: string; panels: DashboardPanel[]; templating: { list: Array<{ name: string }> };
  };

  it('has unique panel ids, panels within the 24-column grid, a query in every panel, and only defined variables', () => {
    const ids = dashboard.panels.map((panel) => panel.id);
    assert.equal(new Set(ids).size, ids.length);
    const variables = new Set(dashboard.templating.list.map((variable) => variable.name));
    for (const panel of dashboard.panels) {
      assert.ok(panel.gridPos.x + panel.gridPos.w <= 24, panel.title);
      if (panel.type === 'row') continue;
      assert.ok((panel.targets ?? []).length > 0, `${panel.title} has a query`);
      for (const { expr } of panel.targets ?? []) {
        for (const [, name] of expr.matchAll(/\$(\w+)/g)) assert.ok(variables.has(name!), `${panel.title}: $${name} is defined`);
      }
    }
  });
});
