// Installs what `npm start` and `npm test` need on a fresh machine: npm dependencies (when node_modules is
// missing or older than the lock file), redis-server and prometheus-redis-exporter (through apt-get, only when running
// as root; the sandbox runs them for the engine and the metrics sidecar).
// Plain JavaScript on purpose: it must run before tsx is installed.
import { execSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

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
function ensureAptProgram({ command, aptPackage, service, purpose, required = true }) {
  if (hasCommand(command)) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    console.error(`[redwing] ${command} is not installed and this is not root, so it cannot be installed here.\n` +
      `          Install it with: sudo apt-get install -y ${aptPackage}   (${purpose})`);
    if (required) process.exitCode = 1;
    return;
  }
  if (!aptUpdated) run('apt-get update -qq');
  aptUpdated = true;
  run(`DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${aptPackage}`);
  spawnSync('sh', ['-c', `service ${service} stop || systemctl stop ${service} || true`], { stdio: 'ignore' });
}

let aptUpdated = false;

ensureNodeModules();
ensureAptProgram({ command: 'redis-server', aptPackage: 'redis-server', service: 'redis-server', purpose: 'the pods of the sandbox run it' });
ensureAptProgram({
  command: 'prometheus-redis-exporter', aptPackage: 'prometheus-redis-exporter', service: 'prometheus-redis-exporter',
  purpose: 'the sandbox runs it for the exporter sidecar of stores with exporter.enabled',
  // Only stores with the exporter need it: without it their exporter container reports ImageNotRunnable.
  required: false,
});
