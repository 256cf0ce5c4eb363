/**
 * `kubectl apply -k deploy/kustomize/default` as a user runs it, against the sandbox API server: every object the
 * overlay renders is created as it is (no pods run here: the operator running as pods is another test's).
 */
import { strict as assert } from 'node:assert';
import { execFile, spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import YAML from 'yaml';
import { KubeClient } from '../../kube/client.js';
import { useTestApiServer } from '../helpers/api-server.js';

const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const OVERLAY = join(REPO_ROOT, 'deploy', 'kustomize', 'default');
const KUBECTL = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
// Asynchronous: the API server answers from this same process.
const run = promisify(execFile);

interface RenderedObject { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }

/** The API path of an object of a built-in or Redwing kind (plural: lower-case kind + s, as every kind here has). */
function objectPath(object: RenderedObject): string {
  const [group, version] = object.apiVersion.includes('/') ? object.apiVersion.split('/') as [string, string] : ['', object.apiVersion];
  const base = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
  const namespace = object.metadata.namespace ? `/namespaces/${object.metadata.namespace}` : '';
  return `${base}${namespace}/${object.kind.toLowerCase()}s/${object.metadata.name}`;
}

describe('kubectl apply -k deploy/kustomize/default', { skip: KUBECTL ? false : 'kubectl is not on PATH', timeout: 120_000 }, () => {
  const api = useTestApiServer({ dirPrefix: 'redwing-kustomize-apply-' });

  it('creates every object the overlay renders, as it is', async () => {
    const rendered = await run('kubectl', ['kustomize', OVERLAY], { encoding: 'utf8' });
    const objects = YAML.parseAllDocuments(rendered.stdout).map((doc) => doc.toJS() as RenderedObject);
    assert.ok(objects.length > 10);

    const applied = await run('kubectl', ['--kubeconfig', api.server.kubeconfigPath, 'apply', '-k', OVERLAY], { encoding: 'utf8' });
    assert.equal(applied.stdout.trim().split('\n').filter((line) => line.endsWith(' created')).length, objects.length, applied.stdout);

    const client = new KubeClient(api.kubeConfig);
    try {
      for (const object of objects) {
        const stored = await client.get<RenderedObject & { spec?: unknown; rules?: unknown; webhooks?: Array<{ clientConfig: unknown }> }>(objectPath(object));
        assert.equal(stored.metadata.name, object.metadata.name);
        const expected = object as typeof stored;
        if (expected.rules) assert.deepEqual(stored.rules, expected.rules, `${object.kind} ${object.metadata.name}: rules`);
        if (expected.webhooks) assert.deepEqual(stored.webhooks?.map((webhook) => webhook.clientConfig), expected.webhooks.map((webhook) => webhook.clientConfig));
      }
    } finally {
      client.close();
    }
  });
});
