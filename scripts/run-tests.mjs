// Runs every test file under test/ with Node's own runner through tsx. The list is built here (not by a shell
// glob) so that nested folders are found on every shell, and so CI prints the runner's own summary lines.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function findTests(dir) {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return entry === 'fixtures' ? [] : findTests(path);
    return entry.endsWith('.test.ts') ? [path] : [];
  });
}

const filter = process.argv.slice(2);
const files = findTests('test').filter((f) => filter.length === 0 || filter.some((s) => f.includes(s))).sort();
const result = spawnSync(process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', `--test-timeout=${process.env.REDWING_TEST_TIMEOUT_MS ?? 180000}`, ...files],
  { stdio: 'inherit' });
process.exit(result.status ?? 1);
