/**
 * Issue 12, point 7: every bad flag, path and port gives one clear line naming the flag and a non-zero exit, never a
 * stack trace or a hang. Runs the real executable (bin/redwing.js) as a child process.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installIntoSandbox } from '../../cli/local-install.js';
import { startTestApiServer, type TestApiServer } from '../helpers/api-server.js';
import { runCli, type CliResult } from './cli-process.js';

/** The whole of stderr is one line starting `redwing <command>: ` and matching `pattern`; no stack frames. */
function assertOneLine(result: CliResult, command: string, pattern: RegExp, exitCode = 1): void {
  assert.equal(result.signal, null, `killed after ${Math.round(result.ms)} ms (hung); stderr: ${result.stderr}`);
  assert.equal(result.code, exitCode, `exit code; stderr: ${result.stderr}`);
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line, got:\n${result.stderr}`);
  assert.ok(lines[0]!.startsWith(`redwing ${command}: `), lines[0]);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
}

function listenOnFreePort(): Promise<{ server: Server; port: number }> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '0.0.0.0', () => resolvePort({ server, port: (server.address() as { port: number }).port }));
  });
}

describe('redwing: bad flags, paths and ports', () => {
  const dir = mkdtempSync(join(tmpdir(), 'redwing-cli-bad-input-'));
  let busy: { server: Server; port: number };
  before(async () => {
    busy = await listenOnFreePort();
  });
  after(() => {
    busy.server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a missing --kubeconfig', async () => {
    const result = await runCli(['reconciler', '--kubeconfig', '/nonexistent', '--metrics-port', '0']);
    assertOneLine(result, 'reconciler', /^redwing reconciler: --kubeconfig \/nonexistent: does not exist$/);
  });

  it('a --kubeconfig that is a FIFO (a blocking read before) or a directory', async () => {
    const fifo = join(dir, 'kubeconfig.fifo');
    execFileSync('mkfifo', [fifo]);
    assertOneLine(await runCli(['reconciler', '--kubeconfig', fifo, '--metrics-port', '0'], { timeoutMs: 20_000 }), 'reconciler', /--kubeconfig .*kubeconfig\.fifo: is not a regular file$/);
    assertOneLine(await runCli(['webhook', '--kubeconfig', dir, '--port', '0', '--metrics-port', '0']), 'webhook', /--kubeconfig .*: is not a regular file$/);
  });

  it('a --kubeconfig that is not YAML names the flag, for both commands', async () => {
    const broken = join(dir, 'broken.kubeconfig');
    writeFileSync(broken, 'not: [yaml\n');
    for (const command of ['reconciler', 'webhook']) {
      const result = await runCli([command, '--kubeconfig', broken, '--metrics-port', '0']);
      assertOneLine(result, command, /--kubeconfig .*broken\.kubeconfig: not a usable kubeconfig: /);
    }
  });

  it('ports out of range', async () => {
    assertOneLine(await runCli(['webhook', '--port', '99999']), 'webhook', /--port must be a port number from 0 to 65535, got 99999$/, 2);
    assertOneLine(await runCli(['reconciler', '--metrics-port', '70000']), 'reconciler', /--metrics-port must be a port number from 0 to 65535/, 2);
    assertOneLine(await runCli(['webhook', '--port', '-3']), 'webhook', /--port.*argument is ambiguous/, 2);
  });

  it('--cert-dir under /proc (it hung forever before)', async () => {
    const result = await runCli(['webhook', '--cert-dir', '/proc/x', '--port', '0', '--metrics-port', '0'], { timeoutMs: 20_000 });
    assertOneLine(result, 'webhook', /^redwing webhook: --cert-dir \/proc\/x: cannot create \/proc\/x: does not exist$/);
  });

  it('--cert-dir that is a file, and --policy files that do not exist', async () => {
    const file = join(dir, 'plain-file');
    writeFileSync(file, 'x');
    assertOneLine(await runCli(['webhook', '--cert-dir', join(file, 'certs'), '--port', '0', '--metrics-port', '0']), 'webhook', /--cert-dir .*plain-file\/certs: a parent is not a directory$/);
    assertOneLine(await runCli(['webhook', '--cert-dir', join(dir, 'certs'), '--policy', join(dir, 'none.yaml')]), 'webhook', /--policy .*none\.yaml: does not exist$/);
  });

  it('a webhook port already in use names the flag', async () => {
    const certs = join(dir, 'certs-clash');
    const https = await runCli(['webhook', '--cert-dir', certs, '--port', String(busy.port), '--metrics-port', '0']);
    assertOneLine(https, 'webhook', new RegExp(`^redwing webhook: --port ${busy.port}: port ${busy.port} is already in use$`));
    const metrics = await runCli(['webhook', '--cert-dir', certs, '--port', '0', '--metrics-port', String(busy.port)]);
    assertOneLine(metrics, 'webhook', new RegExp(`^redwing webhook: --metrics-port ${busy.port}: port ${busy.port} is already in use$`));
  });

  it('a start-up that cannot finish gives up after --startup-timeout', async () => {
    const kubeconfig = join(dir, 'unreachable.kubeconfig');
    writeFileSync(kubeconfig, JSON.stringify({
      apiVersion: 'v1', kind: 'Config', 'current-context': 'x',
      clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:1', 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'u', user: { token: 'x' } }], contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
    }));
    const result = await runCli(['reconciler', '--kubeconfig', kubeconfig, '--metrics-port', '0', '--startup-timeout', '2'], { timeoutMs: 30_000 });
    assertOneLine(result, 'reconciler', /starting the reconciler .* did not finish within 2 s$/);
  });
});

describe('redwing reconciler: a metrics port already in use', () => {
  let api: TestApiServer;
  let busy: { server: Server; port: number };
  before(async () => {
    api = await startTestApiServer({ dirPrefix: 'redwing-cli-reconciler-port-' });
    await installIntoSandbox(api.kubeConfig, { webhookBaseUrl: 'https://127.0.0.1:1', caBundlePem: 'unused', operatorNamespace: 'redwing-system' });
    busy = await listenOnFreePort();
  });
  after(async () => {
    busy.server.close();
    await api.stop();
  });

  it('names --metrics-port', async () => {
    const result = await runCli(['reconciler', '--kubeconfig', api.server.kubeconfigPath, '--metrics-port', String(busy.port)], { timeoutMs: 60_000 });
    assertOneLine(result, 'reconciler', new RegExp(`^redwing reconciler: --metrics-port ${busy.port}: port ${busy.port} is already in use$`));
  });
});
