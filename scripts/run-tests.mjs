// Runs every test file under test/ with Node's own runner through tsx. The list is built here (not by a shell
// glob) so that nested folders are found on every shell, and so CI prints the runner's own summary lines.
// A full run (no filter) also lists the grants of manifests/rbac/ that no test used (scripts/rbac-unused-grants.ts),
// from the RBAC usage every sandbox recorded; that report is printed just before the runner's closing summary.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

function findTests(dir) {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return entry === 'fixtures' ? [] : findTests(path);
    return entry.endsWith('.test.ts') ? [path] : [];
  });
}

const filter = process.argv.slice(2);
const files = findTests('test').filter((f) => filter.length === 0 || filter.some((s) => f.includes(s))).sort();
// Each file's bound, a guard against hangs, not a timing check: the e2e files that install the operator as pods
// take 1–3 minutes on a 2-core CI machine running two files at once, so the bound leaves them room.
const fileTimeoutMs = process.env.REDWING_TEST_TIMEOUT_MS ?? 360000;
// --test-force-exit: a file whose tests all finished exits even if a handle stays open. Once in CI the sidecar-mesh
// file passed every test in 32 s and then sat until its 6-minute guard (a handle of its operator-as-pods teardown,
// not found yet); the pods' processes die with the file's process (setpriv --pdeathsig), so nothing outlives it.
const usageDir = mkdtempSync(join(tmpdir(), 'redwing-rbac-usage-'));
const child = spawn(process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-force-exit', `--test-timeout=${fileTimeoutMs}`, ...files],
  { stdio: ['inherit', 'pipe', 'inherit'], env: { ...process.env, REDWING_RBAC_USAGE_DIR: usageDir } });

// Everything streams through, except the closing summary (from "# tests N" on), held back for the RBAC report.
const summary = [];
const lines = createInterface({ input: child.stdout });
lines.on('line', (line) => {
  if (summary.length > 0 || /^# tests \d+$/.test(line)) summary.push(line);
  else console.log(line);
});
const [code] = await Promise.all([
  new Promise((resolve) => child.once('exit', (status) => resolve(status ?? 1))),
  new Promise((resolve) => lines.once('close', resolve)),
]);

let rbacStatus = 0;
if (filter.length === 0) {
  const report = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/rbac-unused-grants.ts', usageDir], { encoding: 'utf8' });
  for (const line of `${report.stdout}${report.stderr}`.trim().split('\n')) console.log(`# ${line}`);
  rbacStatus = report.status ?? 1;
}
rmSync(usageDir, { recursive: true, force: true });
for (const line of summary) console.log(line);
process.exit(code !== 0 ? code : rbacStatus);
