import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeCliError } from '../../cli/cli-errors.js';
import { RECONCILER_COMMAND, WEBHOOK_COMMAND } from '../../cli/commands.js';
import { StartupError } from '../../cli/startup-checks.js';

function listenError(code: string, port: number): Error {
  return Object.assign(new Error(`listen ${code}: address already in use 0.0.0.0:${port}`), { code, port, syscall: 'listen' });
}

test('a listen error names the port flag holding that port', () => {
  const flags = { port: 9443, 'metrics-port': 8080 };
  const wrapped = new Error('the webhook could not start', { cause: new Error('could not listen on port 8080', { cause: listenError('EADDRINUSE', 8080) }) });
  assert.equal(describeCliError(WEBHOOK_COMMAND, flags, wrapped), '--metrics-port 8080: port 8080 is already in use');
  assert.equal(describeCliError(WEBHOOK_COMMAND, flags, listenError('EACCES', 9443)), '--port 9443: port 9443 needs privileges (ports below 1024)');
});

test('otherwise the chain of messages, each said once, on one line', () => {
  const error = new Error('cannot read kubeconfig /x', { cause: new Error('ENOENT: no such file\nor directory') });
  assert.equal(describeCliError(RECONCILER_COMMAND, {}, error), 'cannot read kubeconfig /x: ENOENT: no such file or directory');
  const repeated = new Error('listen failed: boom', { cause: new Error('boom') });
  assert.equal(describeCliError(RECONCILER_COMMAND, {}, repeated), 'listen failed: boom');
  assert.equal(describeCliError(RECONCILER_COMMAND, {}, 'text'), 'text');
});

test('a StartupError is complete: its cause is not printed', () => {
  const error = new StartupError('--kubeconfig /x: does not exist', { cause: new Error('ENOENT: stat /x') });
  assert.equal(describeCliError(RECONCILER_COMMAND, {}, error), '--kubeconfig /x: does not exist');
});
