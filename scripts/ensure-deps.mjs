// Installs what `npm start` and `npm test` need on a fresh machine: npm dependencies (when node_modules is
// missing or older than the lock file), redis-server, valkey-server (Debian 12 has Valkey 8 only in
// bookworm-backports) and prometheus-redis-exporter (through apt-get, only when running as root; the sandbox runs them
// for the engines and the metrics sidecar).
// Plain JavaScript on purpose: it must run before tsx is installed.
import { execSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';

function run(command) {
  console.error(`[redwing] ${command}`);
  execSync(command, { stdio: ['ignore', 'inherit', 'inherit'] });
}

function ensureNodeModules() {
  const lockTime = existsSync('package-lock.json') ? statSync('package-lock.json').mtimeMs : 0;
  const marker = 'node_modules/.package-lock.json';
  if (existsSync(marker) && statSync(marker).mtimeMs >= lockTime) return;
  run(existsSync('package-lock.json') ? 'npm ci --no-audit --no-fund' : 'npm install --no-audit --no-fund');
}

function hasCommand(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Installs a Debian package when its program is missing. Debian's packages start a system service on the default
 * port (6379, 9121); the sandbox runs its own processes, so that service is stopped.
 */
function ensureAptProgram({ command, aptPackage, service, purpose, required = true, suite }) {
  if (hasCommand(command)) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    console.error(`[redwing] ${command} is not installed and this is not root, so it cannot be installed here.\n` +
      `          Install it with: sudo apt-get install -y ${suite ? `-t ${suite.name} ` : ''}${aptPackage}   (${purpose})`);
    if (required) process.exitCode = 1;
    return;
  }
  if (suite && ensureAptSuite(suite)) aptUpdated = false;
  if (!aptUpdated) run('apt-get update -qq');
  aptUpdated = true;
  const target = suite ? `-t ${suite.name} ` : '';
  try {
    run(`DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${target}${aptPackage}`);
  } catch (error) {
    console.error(`[redwing] apt-get could not install ${aptPackage}: ${error instanceof Error ? error.message : String(error)}`);
    if (required) process.exitCode = 1;
    return;
  }
  spawnSync('sh', ['-c', `service ${service} stop || systemctl stop ${service} || true`], { stdio: 'ignore' });
}

let aptUpdated = false;

const APT_SOURCES_DIR = '/etc/apt/sources.list.d';

/**
 * Adds an apt suite (one `deb` line in its own file) unless some source already names it. Returns whether it added
 * one, so the package lists are updated again.
 */
function ensureAptSuite({ name, line }) {
  const files = ['/etc/apt/sources.list', ...listSourceFiles()];
  const named = files.some((file) => {
    try {
      return readFileSync(file, 'utf8').split('\n').some((row) => !row.trim().startsWith('#') && row.includes(name));
    } catch {
      return false;
    }
  });
  if (named) return false;
  const file = `${APT_SOURCES_DIR}/${name}.list`;
  console.error(`[redwing] adding ${name} to apt's sources (${file})`);
  writeFileSync(file, `${line}\n`);
  return true;
}

function listSourceFiles() {
  try {
    return readdirSync(APT_SOURCES_DIR).filter((f) => f.endsWith('.list') || f.endsWith('.sources')).map((f) => `${APT_SOURCES_DIR}/${f}`);
  } catch {
    return [];
  }
}

ensureNodeModules();
ensureAptProgram({ command: 'redis-server', aptPackage: 'redis-server', service: 'redis-server', purpose: 'the pods of the sandbox run it' });
ensureAptProgram({
  command: 'valkey-server', aptPackage: 'valkey-server', service: 'valkey-server',
  purpose: 'the sandbox runs it for valkey stores; Debian 12 has it in bookworm-backports',
  suite: { name: 'bookworm-backports', line: 'deb http://deb.debian.org/debian bookworm-backports main' },
  // Only valkey stores need it: without it their pods report ImageNotRunnable and the valkey tests skip.
  required: false,
});
ensureAptProgram({
  command: 'prometheus-redis-exporter', aptPackage: 'prometheus-redis-exporter', service: 'prometheus-redis-exporter',
  purpose: 'the sandbox runs it for the exporter sidecar of stores with exporter.enabled',
  // Only stores with the exporter need it: without it their exporter container reports ImageNotRunnable.
  required: false,
});
ensureAptProgram({
  command: 'chromium', aptPackage: 'chromium', service: 'chromium',
  purpose: "the console's browser tests and README screenshots drive it headless through playwright-core",
  // Only the console's browser tests need it: without it they skip.
  required: false,
});
