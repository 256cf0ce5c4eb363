import { test } from 'node:test';
import assert from 'node:assert/strict';
import { environmentVariableName, formatHelp, parseFlags } from '../../cli/flags.js';
import { COMMANDS, WEBHOOK_COMMAND } from '../../cli/commands.js';

test('flags default, come from the environment, and the command line wins', () => {
  assert.equal(parseFlags(WEBHOOK_COMMAND, [], {}).port, 9443);
  assert.equal(parseFlags(WEBHOOK_COMMAND, [], { REDWING_PORT: '1234' }).port, 1234);
  assert.equal(parseFlags(WEBHOOK_COMMAND, ['--port', '99'], { REDWING_PORT: '1234' }).port, 99);
  assert.equal(parseFlags(WEBHOOK_COMMAND, ['--metrics-port=7'], {})['metrics-port'], 7);
});

test('repeatable flags collect every value; the environment takes a comma list', () => {
  assert.deepEqual(parseFlags(WEBHOOK_COMMAND, ['--policy', 'a.yaml', '--policy', 'b.yaml'], {}).policy, ['a.yaml', 'b.yaml']);
  assert.deepEqual(parseFlags(WEBHOOK_COMMAND, [], { REDWING_POLICY: 'a.yaml,b.yaml' }).policy, ['a.yaml', 'b.yaml']);
});

test('bad input names the flag and what to do', () => {
  assert.throws(() => parseFlags(WEBHOOK_COMMAND, ['--port', 'abc'], {}), /--port must be a whole number, got "abc"/);
  assert.throws(() => parseFlags(WEBHOOK_COMMAND, [], { REDWING_PORT: '-1' }), /REDWING_PORT must be a whole number/);
  assert.throws(() => parseFlags(WEBHOOK_COMMAND, ['--nope'], {}), /redwing webhook: .*nope.*--help/);
});

test('every command documents every flag and its environment variable', () => {
  for (const command of COMMANDS) {
    const help = formatHelp(command);
    for (const flag of command.flags) {
      assert.match(help, new RegExp(`--${flag.name}`));
      assert.match(help, new RegExp(environmentVariableName(flag.name)));
    }
  }
});

test('port flags take 0 to 65535 and nothing else', () => {
  assert.equal(parseFlags(WEBHOOK_COMMAND, ['--port', '0'], {}).port, 0);
  assert.equal(parseFlags(WEBHOOK_COMMAND, ['--port', '65535'], {}).port, 65535);
  assert.throws(() => parseFlags(WEBHOOK_COMMAND, ['--port', '65536'], {}), /--port must be a port number from 0 to 65535, got 65536/);
  assert.throws(() => parseFlags(WEBHOOK_COMMAND, [], { REDWING_METRICS_PORT: '99999' }), /REDWING_METRICS_PORT must be a port number/);
  assert.throws(() => parseFlags(WEBHOOK_COMMAND, ['--port', ''], {}), /--port must be a whole number, got ""/);
});

test("a --namespace reconciler's own namespace comes from the Deployment's POD_NAMESPACE, not from the watched one", async () => {
  const { operatorNamespace } = await import('../../cli/run-reconciler.js');
  const reconciler = COMMANDS.find((command) => command.name === 'reconciler')!;
  const watching = (argv: string[]) => parseFlags(reconciler, ['--namespace', 'shop', ...argv], {});
  assert.deepEqual(operatorNamespace(watching([]), { POD_NAMESPACE: 'redwing-system' }), { operatorNamespace: 'redwing-system' });
  assert.deepEqual(operatorNamespace(watching(['--operator-namespace', 'ops']), { POD_NAMESPACE: 'redwing-system' }), { operatorNamespace: 'ops' });
  // Out of a cluster with neither: the reconciler's own default applies (runReconciler).
  assert.deepEqual(operatorNamespace(watching([]), {}), {});
});
