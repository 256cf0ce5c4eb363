// Installs what `npm start` and `npm test` need on a fresh machine: npm dependencies (when node_modules is
// missing or older than the lock file) and redis-server (through apt-get, only when running as root).
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

function ensureRedisServer() {
  if (hasCommand('redis-server')) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    console.error('[redwing] redis-server is not installed and this is not root, so it cannot be installed here.\n' +
      '          Install it with: sudo apt-get install -y redis-server   (the pods of the sandbox run it)');
    process.exitCode = 1;
    return;
  }
  run('apt-get update -qq');
  run('DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server');
  // Debian's package starts a system service on 6379; the sandbox runs its own processes, so stop it.
  spawnSync('sh', ['-c', 'service redis-server stop || systemctl stop redis-server || true'], { stdio: 'ignore' });
}

ensureNodeModules();
ensureRedisServer();
