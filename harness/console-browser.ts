/**
 * A real headless Chromium on a console page, for the console's browser tests and its benchmark: Debian's
 * `chromium` (installed by scripts/ensure-deps.mjs) driven by playwright-core through `executablePath`, so no
 * browser is ever downloaded. `REDWING_CHROMIUM` names another binary.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.REDWING_CHROMIUM ?? '/usr/bin/chromium';

/** Why the browser cannot run here (one line for a skip), or undefined when it can. */
export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM_PATH) ? undefined : `no Chromium at ${CHROMIUM_PATH} (scripts/ensure-deps.mjs installs Debian's chromium; REDWING_CHROMIUM names another)`;
}

export interface ConsoleBrowser {
  browser: Browser;
  page: Page;
  close(): Promise<void>;
}

/** One browser with one page, the size the README's screenshots are taken at. */
export async function launchConsoleBrowser(): Promise<ConsoleBrowser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ['--disable-gpu', '--disable-dev-shm-usage'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    return { browser, page, close: () => browser.close() };
  } catch (error) {
    await browser.close();
    throw new Error('could not open a page in Chromium', { cause: error });
  }
}

/** Opens the console at `url` and logs in with the console's kubeconfig, as a user of `npm start` does. */
export async function logInWithKubeconfig(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.click('#use-kubeconfig');
  await page.waitForSelector('#stores');
}

/** Waits until the view in #app has drawn its data (the views set data-loaded once the first answer is shown). */
export async function viewLoaded(page: Page, timeoutMs = 15_000): Promise<void> {
  await page.waitForSelector('#app[data-loaded="true"]', { timeout: timeoutMs });
}
