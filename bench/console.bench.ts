/**
 * Console benchmark in real headless Chromium (Debian's chromium through playwright-core), against the sandbox:
 * 1. the store list with N stores: from navigation (a full page load, logged in) until every row is in the DOM and
 *    until the frame that paints them has run (the page's own performance marks), over
 *    --loads page loads after one warm-up load;
 * 2. a status change (a status patch of one store, as the reconciler writes it) until the open page shows it, on the
 *    list page and on the store's own page, --trials times each. Both clocks are this machine's: the patch is timed
 *    from just before it is sent, the page records Date.now() in a MutationObserver when the new phase is drawn.
 *
 *   npm run bench:console -- [--stores 500] [--namespaces 20] [--loads 5] [--trials 20]
 *
 * Prints figures only; it asserts nothing about timings.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'playwright-core';
import { pino } from 'pino';
import { startConsole } from '../console/server.js';
import { chromiumMissing, launchConsoleBrowser, logInWithKubeconfig, viewLoaded } from '../harness/console-browser.js';
import { startSandboxCluster } from '../harness/sandbox-cluster.js';
import { resolveClusterAccess } from '../kube/cluster-access.js';
import { patchStatus, seedStores, type SeededStore } from './console-stores.js';

const { values } = parseArgs({
  options: {
    stores: { type: 'string', default: '500' },
    namespaces: { type: 'string', default: '20' },
    loads: { type: 'string', default: '5' },
    trials: { type: 'string', default: '20' },
  },
});
const STORES = Number(values.stores);
const LOADS = Number(values.loads);
const TRIALS = Number(values.trials);

interface PageWindow { benchSeen?: Promise<number> }

function summary(label: string, samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return `| ${label} | ${samples.length} | ${at(0.5).toFixed(0)} | ${at(0.95).toFixed(0)} | ${sorted[sorted.length - 1].toFixed(0)} |`;
}

/** One full page load of the list; the page's own marks, in ms from navigation start. */
async function loadList(page: Page, url: string): Promise<{ received: number; rendered: number; laidOut: number; painted: number; rows: number }> {
  await page.goto('about:blank');
  await page.goto(`${url}#/`);
  await viewLoaded(page, 60_000);
  await page.waitForFunction(() => performance.getEntriesByName('store-list-painted').length > 0, undefined, { timeout: 10_000 });
  return page.evaluate(() => ({
    painted: performance.getEntriesByName('store-list-painted')[0]?.startTime ?? Number.NaN,
    laidOut: performance.getEntriesByName('store-list-laid-out')[0]?.startTime ?? Number.NaN,
    received: performance.getEntriesByName('store-list-received')[0]?.startTime ?? Number.NaN,
    rendered: performance.getEntriesByName('store-list-rendered')[0]?.startTime ?? Number.NaN,
    rows: document.querySelectorAll('#stores tbody tr').length,
  }));
}

/**
 * Arms an observer in the page for `shown()` becoming true, sends the change, and resolves with the delay between
 * sending it and the page drawing it.
 */
async function changeToPage(page: Page, shown: { selector: string; attribute?: string; value: string }, change: () => Promise<unknown>): Promise<number> {
  // No named functions inside: tsx would wrap them in a helper (__name) that the page does not have.
  await page.evaluate(({ selector, attribute, value }) => {
    (window as PageWindow).benchSeen = new Promise<number>((resolve) => {
      const observer = new MutationObserver(() => {
        const element = document.querySelector(selector);
        if ((attribute ? element?.getAttribute(attribute) : element?.textContent) !== value) return;
        observer.disconnect();
        resolve(Date.now());
      });
      observer.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    });
  }, shown);
  const sent = Date.now();
  await change();
  const seen = await Promise.race([
    page.evaluate(() => (window as PageWindow).benchSeen),
    sleep(10_000).then(() => { throw new Error(`the page did not show ${JSON.stringify(shown)} within 10 s`); }),
  ]);
  return Number(seen) - sent;
}

async function main(): Promise<void> {
  const missing = chromiumMissing();
  if (missing) {
    console.log(`bench:console skipped: ${missing}`);
    return;
  }
  const cluster = await startSandboxCluster({ holdPodsPending: true, logger: pino({ level: 'silent' }) });
  const webConsole = await startConsole({
    access: await resolveClusterAccess(cluster.kubeConfig), offerKubeconfig: true, readOnly: false, port: 0, logger: pino({ level: 'silent' }),
  });
  const browser = await launchConsoleBrowser();
  try {
    const seedStart = Date.now();
    const stores = await seedStores(cluster.client, STORES, Number(values.namespaces));
    console.log(`seeded ${stores.length} KVStores in ${values.namespaces} namespaces in ${((Date.now() - seedStart) / 1000).toFixed(1)} s`);
    const { page } = browser;
    await logInWithKubeconfig(page, webConsole.url);

    const first = await loadList(page, webConsole.url);
    const loads = [];
    for (let index = 0; index < LOADS; index += 1) loads.push(await loadList(page, webConsole.url));
    if (loads.some((load) => load.rows !== STORES)) throw new Error(`the list drew ${loads.map((load) => load.rows).join(', ')} rows, not ${STORES}`);

    const listDelays: number[] = [];
    const pageDelays: number[] = [];
    await viewLoaded(page);
    for (let trial = 0; trial < TRIALS; trial += 1) {
      // a Ready store degrades, then recovers: two changes a trial, each timed
      const store = stores[(trial * 37) % stores.length];
      for (const phase of ['Degraded', 'Ready']) {
        listDelays.push(await changeToPage(page, { selector: `tr[data-key="${store.namespace}/${store.name}"]`, attribute: 'data-phase', value: phase },
          () => patchStatus(cluster.client, store, phase)));
      }
    }
    const watched: SeededStore = stores[0];
    await page.goto(`${webConsole.url}#/stores/${watched.namespace}/${watched.name}`);
    await viewLoaded(page);
    for (let trial = 0; trial < TRIALS; trial += 1) {
      const phase = trial % 2 === 0 ? 'Degraded' : 'Ready';
      pageDelays.push(await changeToPage(page, { selector: '#phase', value: phase }, () => patchStatus(cluster.client, watched, phase)));
    }

    console.log(`\nwarm-up load (not counted): list drawn at ${first.rendered.toFixed(0)} ms; load average ${loadavg().map((load) => load.toFixed(1)).join(' ')}`);
    console.log(`\n| ${STORES} stores | n | p50 ms | p95 ms | max ms |\n|---|---|---|---|---|`);
    console.log(summary('list page load: navigation → snapshot received', loads.map((load) => load.received)));
    console.log(summary('list page load: navigation → every row in the DOM', loads.map((load) => load.rendered)));
    console.log(summary('list page load: navigation → laid out', loads.map((load) => load.laidOut)));
    console.log(summary('list page load: navigation → every row painted', loads.map((load) => load.painted)));
    console.log(summary('status patch sent → shown on the open list page', listDelays));
    console.log(summary("status patch sent → shown on the store's page", pageDelays));
  } finally {
    await browser.close();
    await webConsole.stop();
    await cluster.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
