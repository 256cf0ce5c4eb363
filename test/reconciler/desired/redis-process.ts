// Starts real redis-server processes from rendered configs and runs the rendered probe script against them.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnRedisServer } from '../../../harness/redis-server.js';

export function cli(port: number, args: string[], password?: string, connectionArgs: string[] = []): { code: number; out: string } {
  const result = spawnSync('redis-cli', ['--no-auth-warning', '-h', '127.0.0.1', '-p', String(port), ...connectionArgs, ...args], {
    encoding: 'utf8', env: { ...process.env, ...(password ? { REDISCLI_AUTH: password } : {}) }, timeout: 5000,
  });
  return { code: result.status ?? -1, out: `${result.stdout}${result.stderr}`.trim() };
}

export interface RedisProcess {
  port: number;
  dir: string;
  child: ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface StartOptions {
  /** Serve TLS on the chosen port (tls-port) instead of plain TCP; `cliArgs` then carry redis-cli's TLS flags. */
  tls?: boolean;
  cliArgs?: string[];
}

/**
 * Runs redis-server on the rendered config. Only the host-specific parts change: the port and bind address on the
 * command line (later arguments win, as in the pod), and the config's `dir` line, which redis-server applies (chdir)
 * while reading the file, before any command-line argument: the pod's `/data` does not exist on a test host.
 */
export async function startRedis(config: string, extraArgs: string[], dir?: string, options: StartOptions = {}): Promise<RedisProcess> {
  const dataDir = dir ?? mkdtempSync(join(tmpdir(), 'redwing-desired-'));
  const configPath = join(dataDir, 'redis.conf');
  writeFileSync(configPath, config.replace(/^dir .*$/m, `dir ${dataDir}`));
  const port = await freePort();
  const listener = options.tls ? ['--port', '0', '--tls-port', String(port)] : ['--port', String(port)];
  const { child, exited } = await spawnRedisServer([configPath, ...listener, '--bind', '127.0.0.1', ...extraArgs], `redis-server on ${port}`,
    () => /PONG|NOAUTH/.test(cli(port, ['PING'], undefined, options.cliArgs).out));
  return {
    port,
    dir: dataDir,
    child,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export interface ProbeRun {
  code: number;
  out: string;
}

/** Runs the rendered probe script against a local engine: only its port and password file are host-specific. */
function localScript(script: string, port: number, passwordFile: string, paths: Record<string, string>): string {
  let local = script.replaceAll('-p 6379', `-p ${port}`).replaceAll('/var/run/secrets/redwing/auth/password', passwordFile);
  for (const [from, to] of Object.entries(paths)) local = local.replaceAll(from, to);
  return local;
}

export function runProbe(
  script: string, mode: string, port: number, env: Record<string, string>, passwordFile: string, paths: Record<string, string> = {},
): ProbeRun {
  const local = localScript(script, port, passwordFile, paths);
  const result = spawnSync('sh', ['-c', local, 'probe.sh', mode], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env }, timeout: 10000 });
  return { code: result.status ?? -1, out: `${result.stdout}${result.stderr}`.trim() };
}

/** runProbe without blocking the test, for a probe run that lasts while the test changes the engine. */
export function startProbe(script: string, mode: string, port: number, env: Record<string, string>, passwordFile: string): Promise<ProbeRun> {
  const child = spawn('sh', ['-c', localScript(script, port, passwordFile, {}), 'probe.sh', mode], { env: { PATH: process.env.PATH ?? '', ...env } });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { out += chunk.toString(); });
  const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  return new Promise((resolve) => child.once('close', (code) => { clearTimeout(killer); resolve({ code: code ?? -1, out: out.trim() }); }));
}
