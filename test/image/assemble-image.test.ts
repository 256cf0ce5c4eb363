/**
 * The container image's final stage, assembled by scripts/assemble-image.mjs into a folder under the OS temp dir
 * (outside the checkout, so Node cannot fall back on the repository's node_modules): its commands run from that
 * folder alone, with the ServiceAccount roles of manifests/rbac/ against a sandbox API server.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import YAML from 'yaml';
import { KubeClient } from '../../kube/client.js';
import { installCrds } from '../reconciler/controller/e2e-helpers.js';
import { useTestApiServer } from '../helpers/api-server.js';
import { identityFromManifests } from '../helpers/manifest-identity.js';
import { waitFor } from '../../harness/wait-for.js';
import { runCli, startCli, type RunningCli } from '../cli/cli-process.js';
import { productionPackagePaths, imagePackageJson, type Lockfile } from '../../scripts/assemble-image.mjs';

const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
/** The image runs dist/ (the Dockerfile sets it too); NODE_OPTIONS must not smuggle in a loader from the test run. */
const IMAGE_ENV = { REDWING_RUN_FROM: 'dist', NODE_OPTIONS: '', NODE_PATH: '' };

function walkFiles(dir: string, found: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walkFiles(path, found);
    else found.push(path);
  }
  return found;
}

/** path -> size and mtime of every file under `dir`. */
function fileStates(dir: string): Record<string, string> {
  return Object.fromEntries(walkFiles(dir).map((path) => {
    const stat = statSync(path);
    return [path, `${stat.size}@${stat.mtimeMs}`];
  }));
}

/** The node flags of a component's Deployment in manifests/ (`command: [node, ...flags, bin/redwing.js]`). */
function deploymentNodeFlags(component: 'webhook' | 'reconciler'): string[] {
  const objects = YAML.parseAllDocuments(readFileSync(join(REPO_ROOT, 'manifests', component, 'deployment.yaml'), 'utf8')).map((doc) => doc.toJS() as unknown);
  const deployment = objects.find((object) => (object as { kind?: string }).kind === 'Deployment') as { spec: { template: { spec: { containers: Array<{ command: string[] }> } } } };
  const command = deployment.spec.template.spec.containers[0]!.command;
  assert.deepEqual([command[0], command.at(-1)], ['node', 'bin/redwing.js'], `${component}: the command the image's working directory expects`);
  return command.slice(1, -1);
}

describe('the production dependency tree of package-lock.json', () => {
  const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as Lockfile;
  const paths = productionPackagePaths(lock);

  it('holds every production dependency but tsx, and nothing only dev or tsx needs', () => {
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    for (const name of Object.keys(manifest.dependencies).filter((name) => name !== 'tsx')) {
      assert.ok(paths.includes(`node_modules/${name}`), name);
    }
    for (const excluded of ['node_modules/tsx', 'node_modules/esbuild', 'node_modules/typescript', 'node_modules/oxlint']) {
      assert.ok(!paths.includes(excluded), excluded);
    }
    assert.deepEqual(paths.filter((path) => lock.packages[path]?.dev === true), [], 'no package the lockfile marks dev-only');
  });

  it('resolves a dependency from the nearest node_modules, as Node does', () => {
    const nested: Lockfile = {
      packages: {
        '': { dependencies: { a: '1', b: '1' } },
        'node_modules/a': { dependencies: { c: '2' } },
        'node_modules/a/node_modules/c': {},
        'node_modules/b': { dependencies: { c: '1' } },
        'node_modules/c': {},
        'node_modules/unused': {},
      },
    };
    assert.deepEqual(productionPackagePaths(nested, []), ['node_modules/a', 'node_modules/a/node_modules/c', 'node_modules/b', 'node_modules/c']);
  });

  it('writes a package.json without scripts, dev dependencies or tsx', () => {
    const written = imagePackageJson({ name: 'redwing', version: '1.2.3', scripts: { test: 'x' }, dependencies: { tsx: '1', yaml: '2' }, devDependencies: { typescript: '7' } });
    assert.deepEqual(written.dependencies, { yaml: '2' });
    assert.equal(written.scripts, undefined);
    assert.equal(written.devDependencies, undefined);
    assert.equal(written.type, 'module');
  });
});

describe('the assembled image folder', { timeout: 300_000 }, () => {
  let imageDir = '';
  let workDir = '';
  const api = useTestApiServer({ dirPrefix: 'redwing-image-' });
  const running: RunningCli[] = [];

  before(() => {
    workDir = mkdtempSync(join(tmpdir(), 'redwing-image-test-'));
    imageDir = join(workDir, 'app');
    const assembled = spawnSync(process.execPath, ['scripts/assemble-image.mjs', imageDir], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 240_000 });
    assert.equal(assembled.status, 0, `assemble-image failed: ${assembled.stderr}`);
  });

  after(async () => {
    for (const cli of running) {
      if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
      await cli.exited;
    }
    rmSync(workDir, { recursive: true, force: true });
  });

  it('holds compiled JavaScript and production packages only: no TypeScript, tests, tsx or compiler', () => {
    const files = walkFiles(imageDir).map((path) => path.slice(imageDir.length + 1));
    assert.deepEqual(files.filter((path) => path.startsWith('dist/') && path.endsWith('.ts') && !path.endsWith('.d.ts')), []);
    assert.ok(files.includes('dist/cli/main.js'));
    assert.ok(files.includes('manifests/webhook/webhook-configurations.yaml'), 'cli/local-install.ts reads it at run time');
    assert.ok(!existsSync(join(imageDir, 'dist', 'test')) && !existsSync(join(imageDir, 'dist', 'bench')));
    for (const absent of ['tsx', 'esbuild', 'typescript', 'supertest', 'oxlint']) {
      assert.ok(!existsSync(join(imageDir, 'node_modules', absent)), `node_modules/${absent}`);
    }
    const manifest = JSON.parse(readFileSync(join(imageDir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    assert.equal(manifest.dependencies.tsx, undefined);
    assert.ok(statSync(join(imageDir, 'dist', 'cli', 'main.js')).isFile());
  });

  it('prints the usage of redwing --help', async () => {
    const result = await runCli(['--help'], { env: IMAGE_ENV, root: imageDir });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Usage: redwing <command>/);
    assert.match(result.stdout, /reconciler/);
  });

  it('refuses a missing kubeconfig with one line naming the flag', async () => {
    for (const command of ['webhook', 'reconciler']) {
      const result = await runCli([command, '--kubeconfig', join(workDir, 'absent.kubeconfig')], { env: IMAGE_ENV, root: imageDir });
      assert.equal(result.code, 1, `${command}: ${result.stderr}`);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      assert.match(result.stderr, new RegExp(`^redwing ${command}: --kubeconfig .*absent\\.kubeconfig: does not exist`));
    }
  });

  it('runs the webhook and the reconciler with their Deployments\' node flags, as their ServiceAccounts, until ready, writing nothing into the folder', async () => {
    const before = fileStates(imageDir);
    const client = new KubeClient(api.kubeConfig);
    await installCrds(client);
    client.close();
    const kubeconfigOf = async (component: 'webhook' | 'reconciler'): Promise<string> => {
      const path = join(workDir, `${component}.kubeconfig`);
      writeFileSync(path, (await identityFromManifests(api.kubeConfig, component)).exportConfig(), { mode: 0o600 });
      return path;
    };
    const webhook = startCli(['webhook', '--kubeconfig', await kubeconfigOf('webhook'), '--cert-dir', join(workDir, 'certs'), '--port', '0', '--metrics-port', '0'], IMAGE_ENV, deploymentNodeFlags('webhook'), imageDir);
    const reconciler = startCli(['reconciler', '--kubeconfig', await kubeconfigOf('reconciler'), '--metrics-port', '0'], IMAGE_ENV, deploymentNodeFlags('reconciler'), imageDir);
    running.push(webhook, reconciler);
    const webhookLog = await webhook.waitForLog('webhook serving', 60_000);
    const reconcilerLog = await reconciler.waitForLog('reconciler started', 60_000);
    for (const port of [webhookLog.metricsPort, reconcilerLog.metricsPort]) {
      await waitFor(`/readyz on ${String(port)}`, async () => (await fetch(`http://127.0.0.1:${String(port)}/readyz`)).status === 200, 60_000);
    }
    for (const cli of [webhook, reconciler]) cli.child.kill('SIGTERM');
    for (const cli of [webhook, reconciler]) {
      const result = await cli.exited;
      assert.equal(result.code, 0, result.stderr);
      assert.doesNotMatch(result.stderr, /tsx|Cannot find (module|package)/);
    }
    assert.deepEqual(fileStates(imageDir), before, 'a read-only root filesystem is enough: nothing in the folder was written');
  });
});
