/**
 * The console in a real headless Chromium against the sandbox with the webhook and the reconciler: a store created
 * from the form goes Ready on its page live, the webhook's field error shows next to its field, and a killed master's
 * failover appears on the timeline without a reload; the list filters, the store page scales and backs up, switches
 * the master over (its outcome shown live, not as a failover), and an edit is dry-run and saved. One browser and one
 * sandbox for the file.
 *
 * `REDWING_CONSOLE_SCREENSHOTS=docs/images` also saves the README's screenshots (store list, create form, store page).
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page, Request } from 'playwright-core';
import { pino } from 'pino';
import { startS3Server } from '../../harness/s3-server.js';
import { chromiumMissing, launchConsoleBrowser, logInWithKubeconfig, viewLoaded, type ConsoleBrowser } from '../../harness/console-browser.js';
import { startConsole, type RunningConsole } from '../../console/server.js';
import { resolveClusterAccess } from '../../kube/cluster-access.js';
import { paths } from '../../kube/paths.js';
import { runReconciler, type RunningReconciler } from '../../reconciler/controller/main.js';
import { kvstore, listStorePods, waitFor } from '../reconciler/controller/e2e-helpers.js';
import { startConsoleStack, type ConsoleStack } from './console-stack.js';

const SCREENSHOT_DIR = process.env.REDWING_CONSOLE_SCREENSHOTS;
const STORE = 'web';
const S3_KEYS = { accessKeyId: 'redwing-console-e2e', secretAccessKey: 'a-secret-of-forty-characters-0123456789ab' };
const missing = chromiumMissing();
if (missing) console.log(`# skipped the console browser tests: ${missing}`);

/** `[id="field-spec.replicas"]`: the form's ids hold dots, which a `#id` selector would read as classes. */
const field = (path: string) => `[id="field-${path}"]`;

/** A screenshot from the top of the page, `height` pixels high, or the whole page. */
async function screenshot(page: Page, name: string, height: number | 'full'): Promise<void> {
  if (!SCREENSHOT_DIR) return;
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot(height === 'full' ? { path: join(SCREENSHOT_DIR, name), fullPage: true } : { path: join(SCREENSHOT_DIR, name), clip: { x: 0, y: 0, width: 1400, height } });
}

/** Marks the document, so a later check tells a live update from a reload (which would drop the mark). */
async function markDocument(page: Page): Promise<void> {
  await page.evaluate(() => { document.documentElement.dataset.sameDocument = 'yes'; });
}

async function sameDocument(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.dataset.sameDocument === 'yes');
}

describe('console in Chromium, on the sandbox with the webhook and the reconciler', { skip: missing !== undefined, timeout: 300_000 }, () => {
  let stack: ConsoleStack;
  let browser: ConsoleBrowser;
  let page: Page;
  let namespaced: RunningReconciler | undefined;
  let restarted: RunningConsole | undefined;

  before(async () => {
    stack = await startConsoleStack();
    browser = await launchConsoleBrowser();
    page = browser.page;
    await logInWithKubeconfig(page, stack.console.url);
  });

  after(async () => {
    await restarted?.stop();
    await namespaced?.stop();
    await browser?.close();
    await stack?.stop();
  });

  it('creates a store from the form and shows it go Ready live, by pushed updates only', async () => {
    await page.goto(`${stack.console.url}#/create`);
    await page.fill(field('metadata.name'), STORE);
    await page.fill(field('spec.replicas'), '2');
    await page.waitForSelector('#dry-run-status.ok', { timeout: 15_000 });
    assert.match(await page.inputValue('#yaml'), /name: web[\s\S]*replicas: 2/);
    // the dry-run's answer carries the webhook's defaults
    assert.match(await page.textContent('#admitted') ?? '', /engine: redis[\s\S]*downAfterMilliseconds: 1000/);
    await markDocument(page);
    const requests: string[] = [];
    const record = (request: Request) => requests.push(`${request.method()} ${new URL(request.url()).pathname}`);
    page.on('request', record);
    await page.click('#submit');
    await page.waitForURL(/#\/stores\/default\/web$/);
    await page.waitForFunction(() => document.getElementById('phase')?.textContent === 'Ready', undefined, { timeout: 120_000, polling: 100 });
    page.off('request', record);
    assert.ok(await sameDocument(page), 'the page was not reloaded');
    // the create, one event stream, and the store's objects read as its pods came (not on a timer): nothing polled
    assert.deepEqual([...new Set(requests)].sort(), ['GET /api/events/stores/default/web', 'GET /api/stores/default/web/resources', 'POST /api/stores']);
    assert.equal(requests.filter((request) => request.includes('/events/')).length, 1);
    assert.ok(requests.filter((request) => request.endsWith('/resources')).length <= 4, requests.join(', '));
    const pods = await listStorePods(stack.cluster.client, STORE);
    const master = pods.find((pod) => pod.role === 'master')?.name;
    assert.ok(master);
    await page.waitForFunction((name) => document.getElementById('master')?.textContent === name
      && document.querySelectorAll('#pods [data-role="master"]').length === 1
      && document.querySelectorAll('#pods [data-role="replica"]').length === 1, master, { timeout: 15_000 });
  });

  it('lists the stores of a namespaced reconciler beside the cluster-wide ones, naming who manages each', async () => {
    const { client } = stack.cluster;
    await client.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } });
    namespaced = await runReconciler({
      kubeConfig: stack.cluster.reconcilerKubeConfig, namespace: 'team-a', identity: 'team-a-reconciler', metricsPort: 0, leaderElect: false,
      logger: pino({ level: 'silent' }), backups: { s3: { environment: {}, retryBaseMs: 5 } },
    });
    await client.create(paths.kvstores('team-a'), kvstore('cache', { replicas: 1 }, 'team-a'));
    if (SCREENSHOT_DIR) await client.create(paths.kvstores('default'), kvstore('sessions', { replicas: 1 }));
    await page.goto(`${stack.console.url}#/`);
    await viewLoaded(page);
    const row = page.locator('#stores tr[data-key="team-a/cache"][data-phase="Ready"]');
    await row.waitFor({ timeout: 60_000 });
    assert.match(await row.textContent() ?? '', /namespaced \(team-a-reconciler\)/);
    assert.match(await page.locator('#stores tr[data-key="default/web"]').textContent() ?? '', /cluster-wide/);
    await page.selectOption('#namespace-filter', 'team-a');
    assert.equal(await page.locator('#stores tbody tr:not([hidden])').count(), 1);
    await page.selectOption('#namespace-filter', '');
    if (SCREENSHOT_DIR) await page.waitForSelector('#stores tr[data-key="default/sessions"][data-phase="Ready"]', { timeout: 60_000 });
    await screenshot(page, 'console-store-list.png', 300);
  });

  it("shows the webhook's field error next to its field before anything is stored", async () => {
    await page.goto(`${stack.console.url}#/create`);
    await page.fill(field('metadata.name'), 'refused');
    await page.fill(field('spec.config'), '{"requirepass": "hunter2"}');
    const error = page.locator('[data-path="spec.config"] [data-error-for="spec.config.requirepass"]');
    await error.waitFor({ timeout: 15_000 });
    assert.match(await error.textContent() ?? '', /is set by the operator and may not be set here/);
    assert.match(await page.textContent('#dry-run-status') ?? '', /dry-run refused/);
    assert.equal(await stack.cluster.client.getOptional(paths.kvstore('default', 'refused')), undefined);
    await page.fill(field('spec.replicas'), '3');
    await page.waitForSelector('#dry-run-status.error', { timeout: 15_000 });
    await screenshot(page, 'console-create-form.png', 900);
  });

  it('lists the KVPolicies', async () => {
    await stack.cluster.client.create('/apis/redwing.dev/v1alpha1/kvpolicies', {
      apiVersion: 'redwing.dev/v1alpha1', kind: 'KVPolicy', metadata: { name: 'at-most-five' }, spec: { enforcement: 'Audit', rules: { maxReplicas: 5 } },
    });
    await page.click('header a[href="#/policies"]');
    await viewLoaded(page);
    assert.match(await page.textContent('#policies tbody') ?? '', /at-most-five\s*Audit\s*maxReplicas/);
  });

  it('shows a killed master\'s failover on the timeline without a reload', async () => {
    await page.goto(`${stack.console.url}#/stores/default/${STORE}`);
    await page.waitForFunction(() => document.getElementById('phase')?.textContent === 'Ready', undefined, { timeout: 30_000 });
    await markDocument(page);
    const master = await page.textContent('#master') ?? '';
    assert.ok(master.startsWith(`${STORE}-`), `master shown: ${master}`);
    await stack.cluster.sandbox.faults.crashPod('default', master);
    const entry = page.locator(`#timeline li[data-title^="Failover ${master} →"]`);
    await entry.waitFor({ timeout: 60_000 });
    assert.ok(await sameDocument(page), 'the page was not reloaded');
    assert.notEqual(await page.textContent('#master'), master);
    assert.match(await entry.textContent() ?? '', /status\.lastFailover/);
    await waitFor('the store Ready again', async () => (await page.textContent('#phase')) === 'Ready', 60_000, 200);
    await page.waitForSelector('#events td', { timeout: 5_000 });
  });

  it('filters the list, and scales the store and backs it up from its page', async () => {
    await page.goto(`${stack.console.url}#/`);
    await viewLoaded(page);
    const visibleRows = () => page.locator('#stores tbody tr:not([hidden])').count();
    assert.ok(await visibleRows() >= 1);
    await page.fill('#search', 'no-such-store');
    assert.equal(await visibleRows(), 0);
    await page.fill('#search', STORE);
    assert.equal(await page.locator('#stores tbody tr:not([hidden]) a').first().textContent(), STORE);
    await page.click(`#stores a[href="#/stores/default/${STORE}"]`);
    await page.waitForFunction(() => document.getElementById('phase')?.textContent === 'Ready', undefined, { timeout: 30_000 });
    await markDocument(page);

    await page.fill('#scale-replicas', '3');
    await page.click('#scale');
    await page.waitForSelector('#action-result.ok', { timeout: 10_000 });
    await page.waitForFunction(() => document.querySelectorAll('#pods tbody tr').length === 3
      && document.getElementById('phase')?.textContent === 'Ready', undefined, { timeout: 90_000, polling: 200 });

    // the store's snapshots go to a loopback S3 server; Back up now sends a backup there
    const s3 = await startS3Server({ credentials: [S3_KEYS], buckets: ['backups'] });
    try {
      const { client } = stack.cluster;
      await client.create(paths.core('secrets', 'default'), {
        apiVersion: 'v1', kind: 'Secret', metadata: { name: 'web-s3' }, stringData: { AWS_ACCESS_KEY_ID: S3_KEYS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3_KEYS.secretAccessKey },
      });
      const patched = await client.patch<{ metadata: { generation: number } }>(paths.kvstore('default', STORE),
        { spec: { snapshot: { dir: 's3://backups/web', s3: { endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentialsSecret: { name: 'web-s3' } } } } }, 'merge');
      // the actions are redrawn for the new spec; type into the new ones
      await page.waitForSelector(`#actions[data-generation="${patched.metadata.generation}"]`, { timeout: 10_000 });
      // the field left empty: the backup goes where the store's snapshots go
      assert.match(await page.getAttribute('#backup-dir', 'placeholder') ?? '', /^s3:\/\/backups\/web /);
      await page.click('#back-up');
      await page.waitForSelector('#backups [data-phase="Succeeded"]', { timeout: 60_000 });
      const backups = await client.list<{ spec: { store: string; dir?: string }; status?: { url?: string } }>('/apis/redwing.dev/v1alpha1/namespaces/default/kvbackups');
      assert.deepEqual(backups.items.map((backup) => backup.spec), [{ store: STORE }]);
      const url = backups.items[0].status?.url ?? '';
      assert.match(url, /^s3:\/\/backups\/web\//);
      assert.ok((await page.textContent('#backups'))?.includes(url), `the page shows ${url}`);
      assert.deepEqual(await s3.keys('backups'), [url.replace('s3://backups/', '')]);
    } finally {
      await s3.close();
    }
    assert.ok(await sameDocument(page), 'the page was not reloaded');
    await page.waitForFunction(() => document.getElementById('phase')?.textContent === 'Ready', undefined, { timeout: 30_000 });
    await screenshot(page, 'console-store-page.png', 'full');
  });

  it('switches the master over from its page and shows the outcome live, not as a failover', async () => {
    await page.goto(`${stack.console.url}#/stores/default/${STORE}`);
    await page.waitForFunction(() => document.getElementById('phase')?.textContent === 'Ready', undefined, { timeout: 30_000 });
    await markDocument(page);
    const master = await page.textContent('#master') ?? '';
    // the target list is filled from the pods the feed pushes: the ready replicas
    await page.waitForFunction(() => (document.getElementById('switchover-target') as HTMLSelectElement | null)?.options.length === 3, undefined, { timeout: 10_000 });
    const target = await page.locator('#switchover-target option').nth(1).getAttribute('value') ?? '';
    assert.ok(target.startsWith(`${STORE}-`) && target !== master, `target ${target}, master ${master}`);
    await page.selectOption('#switchover-target', target);
    let asked = '';
    page.once('dialog', (dialog) => {
      asked = dialog.message();
      void dialog.accept();
    });
    await page.click('#switchover');
    await page.waitForSelector('#action-result.ok', { timeout: 15_000 });
    assert.match(asked, /writes pause briefly.*no acknowledged write is lost/s, 'the confirmation says what happens');
    assert.match(await page.textContent('#action-result') ?? '', new RegExp(`Switchover: switched the master over from ${master} to ${target}`));
    await page.waitForFunction((name) => document.getElementById('master')?.textContent === name, target, { timeout: 10_000 });
    assert.equal(await page.locator(`#timeline li[data-title^="Failover ${master} → ${target}"]`).count(), 0, 'not recorded as a failover');
    assert.ok(await sameDocument(page), 'the page was not reloaded');
    const store = await stack.cluster.client.get<{ metadata: { annotations?: Record<string, string> } }>(paths.kvstore('default', STORE));
    assert.equal(store.metadata.annotations?.['redwing.dev/switchover'], undefined, 'the request was removed');
  });

  it("edits the store's spec in the form, dry-run first, and saves it", async () => {
    await page.goto(`${stack.console.url}#/stores/default/${STORE}`);
    // what the reconciler made for the store, read as the user
    await page.waitForFunction(() => document.getElementById('resource-table')?.textContent?.includes('StatefulSetweb3/3 ready, updates OnDelete'), undefined, { timeout: 15_000 });
    const resources = await page.textContent('#resource-table') ?? '';
    for (const expected of ['Serviceweb-replicas', 'PersistentVolumeClaimdata-web-2', 'Secretweb-authOpaque, keys: password (values not shown)']) {
      assert.ok(resources.includes(expected), `${expected} in ${resources}`);
    }
    await page.click('#actions a[href^="#/edit/"] button');
    await page.waitForURL(/#\/edit\/default\/web$/);
    await page.waitForSelector('#dry-run-status.ok', { timeout: 15_000 });
    assert.equal(await page.inputValue(field('spec.replicas')), '3');
    await page.fill(field('spec.failover.downAfterMilliseconds'), '2500');
    await page.waitForFunction(() => document.getElementById('yaml')?.textContent !== null
      && (document.getElementById('yaml') as HTMLTextAreaElement).value.includes('downAfterMilliseconds: 2500'), undefined, { timeout: 5_000 });
    await page.waitForSelector('#dry-run-status.ok', { timeout: 15_000 });
    await page.click('#submit');
    await page.waitForURL(/#\/stores\/default\/web$/);
    const stored = await stack.cluster.client.get<{ spec: { replicas: number; failover: { downAfterMilliseconds: number } } }>(paths.kvstore('default', STORE));
    assert.equal(stored.spec.failover.downAfterMilliseconds, 2500);
    assert.equal(stored.spec.replicas, 3);
  });

  it('draws a field the installed CRD gained, with its help and bounds, with no UI change', async () => {
    const crdPath = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/kvstores.redwing.dev';
    type Crd = { spec: { versions: Array<{ schema: { openAPIV3Schema: { properties: { spec: { properties: Record<string, unknown> } } } } }> } };
    const crd = await stack.cluster.client.get<Crd>(crdPath);
    crd.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.warmupSeconds = {
      // no default: the API server would write it into every stored store, which this operator's webhook refuses
      type: 'integer', minimum: 0, maximum: 600, description: 'A knob a newer operator added.',
    };
    await stack.cluster.client.request('PUT', crdPath, crd);
    await page.goto(`${stack.console.url}#/create`);
    const input = page.locator(field('spec.warmupSeconds'));
    await input.waitFor({ timeout: 10_000 });
    assert.equal(await input.getAttribute('max'), '600');
    assert.match(await page.locator('[data-path="spec.warmupSeconds"]').textContent() ?? '', /A knob a newer operator added\./);
  });

  it('says when the live updates drop, and when they stopped for good', async () => {
    await page.goto(`${stack.console.url}#/stores/default/${STORE}`);
    await viewLoaded(page);
    assert.equal(await page.isHidden('#connection'), true);
    await stack.console.stop();
    await page.waitForSelector('#connection:not([hidden])', { timeout: 10_000 });
    assert.match(await page.textContent('#connection') ?? '', /reconnecting/);
    // a console started again on the same port knows no session: the browser's reconnect gets a 401 and gives up
    restarted = await startConsole({
      access: await resolveClusterAccess(stack.cluster.kubeConfig), offerKubeconfig: true, readOnly: false, port: stack.console.port, logger: pino({ level: 'silent' }),
    });
    await page.waitForFunction(() => /reload the page/.test(document.getElementById('connection')?.textContent ?? ''), undefined, { timeout: 15_000 });
  });
});
