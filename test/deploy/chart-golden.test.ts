/**
 * One source of truth for the install: the chart's golden `helm template` output (charts/redwing/tests/golden/, one
 * file per value set) against what `kubectl kustomize` renders from manifests/, object by object. The default and
 * monitoring value sets must render the kustomize objects exactly (Helm's own labels aside); the cert-manager and
 * namespaces value sets must differ from them only as their values say. Where `helm` is on PATH, `helm lint` and
 * `helm template` are checked against the goldens too.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { Ajv } from 'ajv';
import YAML from 'yaml';
import { serviceDnsNames } from '../../certs/authority.js';

const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const CHART = join(REPO_ROOT, 'charts', 'redwing');
const VALUE_SETS = ['default', 'monitoring', 'cert-manager', 'namespaces'] as const;
/** Labels Helm's templates add to every object (redwing.labels in templates/_helpers.tpl). */
const HELM_LABELS = ['helm.sh/chart', 'app.kubernetes.io/managed-by', 'app.kubernetes.io/instance', 'app.kubernetes.io/version'];

interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}
interface Container { name: string; image: string; env: Array<{ name: string; value?: string }>; volumeMounts: Array<{ name: string; mountPath: string }> }
interface PodSpec { containers: Container[]; volumes: Array<{ name: string; secret?: { secretName: string } }> }
interface Workload extends KubeObject { spec: { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: PodSpec } } }

const hasCommand = (command: string, ...args: string[]): boolean => spawnSync(command, args, { encoding: 'utf8' }).status === 0;
const KUBECTL = hasCommand('kubectl', 'version', '--client');
const HELM = hasCommand('helm', 'version');

function parseObjects(text: string): KubeObject[] {
  return YAML.parseAllDocuments(text).map((doc) => doc.toJS() as unknown).filter((object): object is KubeObject => typeof object === 'object' && object !== null && 'kind' in object);
}

function keyOf(object: KubeObject): string {
  return `${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`;
}

function byKey(objects: KubeObject[]): Map<string, KubeObject> {
  const map = new Map<string, KubeObject>();
  for (const object of objects) {
    assert.ok(!map.has(keyOf(object)), `${keyOf(object)} rendered twice`);
    map.set(keyOf(object), object);
  }
  return map;
}

/** Helm's labels dropped, ConfigMap data without trailing newlines (a `|-` block in the chart). Pure. */
function normalized(object: KubeObject): KubeObject {
  const copy = structuredClone(object);
  const labels = copy.metadata.labels;
  if (labels) for (const label of HELM_LABELS) delete labels[label];
  if (copy.kind === 'ConfigMap' && typeof copy.data === 'object' && copy.data !== null) {
    copy.data = Object.fromEntries(Object.entries(copy.data).map(([key, value]) => [key, String(value).replace(/\n+$/, '')]));
  }
  return copy;
}

function kustomize(overlay: string): Map<string, KubeObject> {
  const result = spawnSync('kubectl', ['kustomize', join(REPO_ROOT, 'deploy', 'kustomize', overlay)], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  // The chart does not create its namespace (`helm install --create-namespace`), kustomize does.
  return byKey(parseObjects(result.stdout).filter((object) => object.kind !== 'Namespace').map(normalized));
}

function golden(valueSet: (typeof VALUE_SETS)[number]): Map<string, KubeObject> {
  return byKey(parseObjects(readFileSync(join(CHART, 'tests', 'golden', `${valueSet}.yaml`), 'utf8')));
}

function assertSameObjects(actual: Map<string, KubeObject>, expected: Map<string, KubeObject>, what: string): void {
  assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort(), `${what}: the same objects`);
  for (const [key, object] of expected) assert.deepEqual(normalized(actual.get(key)!), normalized(object), `${what}: ${key}`);
}

function workload(objects: Map<string, KubeObject>, key: string): Workload {
  const object = objects.get(key);
  assert.ok(object, `${key} rendered`);
  return object as Workload;
}

describe('the chart and kustomize render the same objects', { skip: KUBECTL ? false : 'kubectl is not on PATH' }, () => {
  it('default values: exactly the objects of deploy/kustomize/default', () => {
    assertSameObjects(golden('default'), kustomize('default'), 'default');
  });

  it('every golden object but the CRDs carries Helm\'s labels', () => {
    for (const valueSet of VALUE_SETS) {
      for (const object of golden(valueSet).values()) {
        if (object.kind === 'CustomResourceDefinition') continue;
        for (const label of HELM_LABELS) assert.ok(object.metadata.labels?.[label], `${valueSet}: ${keyOf(object)} has ${label}`);
      }
    }
  });

  it('the monitoring pack: exactly the objects of deploy/kustomize/monitoring', () => {
    assertSameObjects(golden('monitoring'), kustomize('monitoring'), 'monitoring');
  });

  it('cert-manager: a Certificate for the webhook Service mounted as its --cert-dir, cainjector annotations, no Secret or webhook-configuration access', () => {
    const chart = golden('cert-manager');
    const expected = kustomize('default');
    const certificate = chart.get('Certificate/redwing-system/redwing-webhook') as KubeObject & { spec: { secretName: string; dnsNames: string[]; issuerRef: { kind: string; name: string } } };
    assert.ok(certificate, 'the Certificate');
    assert.deepEqual(certificate.spec.dnsNames, serviceDnsNames('redwing-webhook', 'redwing-system'), 'the names the API server dials');
    assert.ok(chart.has(`${certificate.spec.issuerRef.kind}/redwing-system/${certificate.spec.issuerRef.name}`), 'its Issuer');

    const webhook = workload(chart, 'Deployment/redwing-system/redwing-webhook');
    const container = webhook.spec.template.spec.containers[0]!;
    const certDir = container.env.find((variable) => variable.name === 'REDWING_CERT_DIR')?.value;
    const mount = container.volumeMounts.find((volumeMount) => volumeMount.mountPath === certDir);
    assert.ok(mount, 'the cert dir is a mount');
    assert.equal(webhook.spec.template.spec.volumes.find((volume) => volume.name === mount.name)?.secret?.secretName, certificate.spec.secretName);
    for (const kind of ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']) {
      assert.equal(chart.get(`${kind}//redwing-webhook`)?.metadata.annotations?.['cert-manager.io/inject-ca-from'], 'redwing-system/redwing-webhook');
    }
    const clusterRole = chart.get('ClusterRole//redwing-webhook') as KubeObject & { rules: Array<{ apiGroups: string[] }> };
    assert.ok(!clusterRole.rules.some((rule) => rule.apiGroups.includes('admissionregistration.k8s.io')));

    // Everything else as kustomize renders it.
    const changed = new Set(['Certificate/redwing-system/redwing-webhook', 'Issuer/redwing-system/redwing-selfsigned', 'Deployment/redwing-system/redwing-webhook',
      'MutatingWebhookConfiguration//redwing-webhook', 'ValidatingWebhookConfiguration//redwing-webhook', 'ClusterRole//redwing-webhook']);
    const removed = ['Role/redwing-system/redwing-webhook', 'RoleBinding/redwing-system/redwing-webhook'];
    for (const key of removed) assert.ok(expected.has(key) && !chart.has(key), `${key} only in self-managed mode`);
    for (const [key, object] of chart) if (!changed.has(key)) assert.deepEqual(normalized(object), expected.get(key), key);
    const webhookExpected = structuredClone(expected.get('Deployment/redwing-system/redwing-webhook')) as Workload;
    const spec = webhookExpected.spec.template.spec;
    spec.containers[0]!.env.push({ name: 'REDWING_CERT_DIR', value: certDir! });
    spec.containers[0]!.volumeMounts.push({ ...mount });
    spec.volumes.push({ name: mount.name, secret: { secretName: certificate.spec.secretName } });
    assert.deepEqual(normalized(webhook), webhookExpected, 'the webhook Deployment differs by the mount only');
  });

  it('scope namespaces: a reconciler per namespace started with --namespace, Secret RoleBindings there, the image everywhere', () => {
    const chart = golden('namespaces');
    const expected = kustomize('default');
    const values = YAML.parse(readFileSync(join(CHART, 'tests', 'values', 'namespaces.yaml'), 'utf8')) as { image: { repository: string; tag: string }; scope: { namespaces: string[] } };
    const image = `${values.image.repository}:${values.image.tag}`;
    const scopes = values.scope.namespaces;

    assert.ok(!chart.has('ClusterRoleBinding//redwing-reconciler-secrets'), 'no Secret access in every namespace');
    for (const namespace of ['redwing-system', ...scopes]) {
      const binding = chart.get(`RoleBinding/${namespace}/redwing-reconciler-secrets`) as KubeObject & { roleRef: unknown; subjects: unknown };
      const clusterWide = expected.get('ClusterRoleBinding//redwing-reconciler-secrets') as KubeObject & { roleRef: unknown; subjects: unknown };
      assert.ok(binding, `Secrets bound in ${namespace}`);
      assert.deepEqual([binding.roleRef, binding.subjects], [clusterWide.roleRef, clusterWide.subjects]);
    }
    const clusterWide = workload(expected, 'Deployment/redwing-system/redwing-reconciler');
    const selectors = new Set<string>();
    for (const scope of scopes) {
      const deployment = workload(chart, `Deployment/redwing-system/redwing-reconciler-${scope}`);
      const container = deployment.spec.template.spec.containers[0]!;
      assert.equal(container.env.find((variable) => variable.name === 'REDWING_NAMESPACE')?.value, scope);
      for (const [label, value] of Object.entries(deployment.spec.selector.matchLabels)) assert.equal(deployment.spec.template.metadata.labels[label], value, 'the selector selects its pods');
      selectors.add(JSON.stringify(deployment.spec.selector.matchLabels));
      const pdb = chart.get(`PodDisruptionBudget/redwing-system/redwing-reconciler-${scope}`) as KubeObject & { spec: { selector: unknown } };
      assert.deepEqual(pdb.spec.selector, deployment.spec.selector);
      // Otherwise the cluster-wide Deployment.
      const comparable = structuredClone(deployment) as Workload;
      comparable.metadata.name = clusterWide.metadata.name;
      comparable.spec.selector = clusterWide.spec.selector;
      comparable.spec.template.metadata.labels = clusterWide.spec.template.metadata.labels;
      const term = (comparable.spec.template.spec as unknown as { affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: Array<{ podAffinityTerm: { labelSelector: unknown } }> } } }).affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0]!;
      assert.deepEqual(term.podAffinityTerm.labelSelector, { matchLabels: deployment.spec.selector.matchLabels }, 'spread among its own replicas');
      term.podAffinityTerm.labelSelector = { matchLabels: clusterWide.spec.selector.matchLabels };
      comparable.spec.template.spec.containers[0]!.env = container.env.filter((variable) => variable.name !== 'REDWING_NAMESPACE');
      comparable.spec.template.spec.containers[0]!.image = clusterWide.spec.template.spec.containers[0]!.image;
      assert.deepEqual(normalized(comparable), clusterWide, `redwing-reconciler-${scope} is the cluster-wide Deployment scoped`);
    }
    assert.equal(selectors.size, scopes.length, 'no two reconciler Deployments select the same pods');
    for (const object of chart.values()) {
      for (const container of (object as Workload).spec?.template?.spec?.containers ?? []) assert.equal(container.image, image, keyOf(object));
    }
    const scopedOnly = (key: string) => /redwing-reconciler-(secrets|team-)/.test(key) && !key.startsWith('ClusterRole/');
    for (const [key, object] of chart) {
      if (scopedOnly(key)) continue;
      const comparable = normalized(object) as Workload;
      const expectedObject = expected.get(key) as Workload | undefined;
      comparable.spec?.template?.spec?.containers?.forEach((container, index) => {
        container.image = expectedObject?.spec.template.spec.containers[index]?.image ?? container.image;
      });
      assert.deepEqual(comparable, expectedObject, key);
    }
  });
});

describe('the chart sources', () => {
  it('crds/ holds manifests/crds as they are', () => {
    const manifests = readdirSync(join(REPO_ROOT, 'manifests', 'crds')).sort();
    assert.deepEqual(readdirSync(join(CHART, 'crds')).sort(), manifests);
    for (const file of manifests) {
      assert.equal(readFileSync(join(CHART, 'crds', file), 'utf8'), readFileSync(join(REPO_ROOT, 'manifests', 'crds', file), 'utf8'), `${file}: copy manifests/crds/${file} to charts/redwing/crds/`);
    }
  });
});

describe('values.schema.json', () => {
  const validate = new Ajv({ strict: false, allErrors: true }).compile(JSON.parse(readFileSync(join(CHART, 'values.schema.json'), 'utf8')) as object);
  const defaults = YAML.parse(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as Record<string, unknown>;
  const merged = (override: Record<string, Record<string, unknown>>): Record<string, unknown> => {
    const values = structuredClone(defaults);
    for (const [key, value] of Object.entries(override)) values[key] = { ...(values[key] as Record<string, unknown>), ...value };
    return values;
  };

  it('accepts values.yaml and every value set of the goldens', () => {
    assert.ok(validate(defaults), JSON.stringify(validate.errors));
    for (const valueSet of VALUE_SETS.filter((name) => name !== 'default')) {
      const override = YAML.parse(readFileSync(join(CHART, 'tests', 'values', `${valueSet}.yaml`), 'utf8')) as Record<string, Record<string, unknown>>;
      assert.ok(validate(merged(override)), `${valueSet}: ${JSON.stringify(validate.errors)}`);
    }
  });

  it('refuses unknown keys, unknown modes and a namespaces scope without namespaces', () => {
    assert.ok(!validate({ ...defaults, replicas: 3 }), 'a top-level typo');
    assert.ok(!validate(merged({ certificates: { mode: 'vault' } })));
    assert.ok(!validate(merged({ scope: { mode: 'namespaces', namespaces: [] } })));
    assert.ok(!validate(merged({ reconciler: { secretNamespaces: ['Not_A_Namespace'] } })));
  });
});

describe('helm lint and helm template', { skip: HELM ? false : 'helm is not on PATH' }, () => {
  it('lints clean', () => {
    const result = spawnSync('helm', ['lint', '--strict', CHART], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stdout + result.stderr);
  });

  for (const valueSet of VALUE_SETS) {
    it(`renders golden/${valueSet}.yaml`, () => {
      const valuesArgs = valueSet === 'default' ? [] : ['-f', join(CHART, 'tests', 'values', `${valueSet}.yaml`)];
      const result = spawnSync('helm', ['template', 'redwing', CHART, '-n', 'redwing-system', '--include-crds', ...valuesArgs], { encoding: 'utf8' });
      assert.equal(result.status, 0, result.stderr);
      const rendered = byKey(parseObjects(result.stdout));
      const expected = golden(valueSet);
      assert.deepEqual([...rendered.keys()].sort(), [...expected.keys()].sort());
      for (const [key, object] of expected) assert.deepEqual(rendered.get(key), object, key);
    });
  }

  it('installs into redwing-system from another release namespace, creating it (kept on uninstall)', () => {
    const result = spawnSync('helm', ['template', 'redwing', CHART, '-n', 'elsewhere', '--include-crds'], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    const rendered = byKey(parseObjects(result.stdout));
    const namespace = rendered.get('Namespace//redwing-system');
    assert.equal(namespace?.metadata.annotations?.['helm.sh/resource-policy'], 'keep');
    assert.equal(namespace?.metadata.labels?.['pod-security.kubernetes.io/enforce'], 'restricted');
    rendered.delete('Namespace//redwing-system');
    assertSameObjects(rendered, golden('default'), 'release namespace elsewhere');
  });
});
