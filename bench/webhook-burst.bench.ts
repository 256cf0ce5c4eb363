/**
 * `npm run bench:webhook-burst`: the real `redwing webhook` (bin/redwing.js, compiled dist/ when fresh) receives
 * bursts of 16 and 32 concurrent ~6 MiB UPDATE reviews on /validate/kvstore and /mutate/kvstore; prints its RSS
 * before, at the peak and after each burst (the Deployment's limit is 256Mi). Figures only, never asserts.
 *
 *   --sizes LIST   / BENCH_BURST_SIZES    concurrencies (default 16,32)
 *   --mib N        / BENCH_BURST_MIB      review size in MiB (default 6)
 *   BENCH_SERVER_NODE_ARGS               node flags for the webhook process only (e.g. --max-old-space-size=160)
 *   BENCH_WEBHOOK_MAIN                   the entry point to run instead of bin/redwing.js (a compiled cli/main.js
 *                                        of another checkout, to compare before and after)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { largeUpdateReview, runBurst } from './webhook-burst.js';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');

function option(flag: string, env: string, fallback: string): string {
  const index = process.argv.indexOf(flag);
  return index !== -1 ? process.argv[index + 1] ?? fallback : process.env[env] ?? fallback;
}

const sizes = option('--sizes', 'BENCH_BURST_SIZES', '16,32').split(',').map(Number);
const mebibytes = Number(option('--mib', 'BENCH_BURST_MIB', '6'));
const dir = mkdtempSync(join(tmpdir(), 'redwing-bench-burst-'));
const serverNodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
const entry = process.env.BENCH_WEBHOOK_MAIN ?? 'bin/redwing.js';
const child = spawn(process.execPath, [...serverNodeArgs, entry, 'webhook', '--cert-dir', dir, '--port', '0', '--metrics-port', '0'], {
  cwd: ROOT, env: { ...process.env, REDWING_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'inherit'],
});
const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
// Interrupted (Ctrl-C, a timeout): the webhook must not outlive the bench.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  });
}
try {
  const port = await new Promise<number>((resolvePort, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"port":(\d+),"metricsPort":\d+,"msg":"webhook serving"/.exec(output);
      if (match) resolvePort(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`the webhook exited (${code}): ${output}`)));
  });
  const ca = readFileSync(join(dir, 'ca.crt'), 'utf8');
  const body = largeUpdateReview('burst', mebibytes);
  console.log(`review: ${(Buffer.byteLength(body) / 1024 / 1024).toFixed(1)} MiB; webhook pid ${child.pid}`);
  console.log('| path | concurrent | RSS before MiB | RSS peak MiB | RSS after MiB | seconds | answers |');
  console.log('|---|---|---|---|---|---|---|');
  for (const path of ['/validate/kvstore', '/mutate/kvstore']) {
    for (const concurrency of sizes) {
      const result = await runBurst({ pid: child.pid!, port, ca, path, body, concurrency });
      const answers = new Map<string, number>();
      for (const outcome of result.outcomes) answers.set(String(outcome), (answers.get(String(outcome)) ?? 0) + 1);
      console.log(`| ${path} | ${concurrency} | ${mib(result.rssBeforeBytes)} | ${mib(result.rssPeakBytes)} | ${mib(result.rssAfterBytes)} | ${(result.durationMs / 1000).toFixed(1)} | ${[...answers].map(([k, v]) => `${v}x ${k}`).join(', ')} |`);
    }
  }
} finally {
  child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
