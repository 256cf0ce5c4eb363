// One container's life in the sandbox kubelet, on real processes: failed starts are retried, early deaths explained.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { pino } from 'pino';
import type { ContainerProcess } from '../../../sandbox/kubelet/container-process.js';
import { ContainerRunner, type ContainerRunnerOptions, type Prepared } from '../../../sandbox/kubelet/container-runner.js';
import { waitFor } from '../../../harness/wait-for.js';

const dir = mkdtempSync(join(tmpdir(), 'redwing-runner-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Recorded {
  events: string[];
  logs: Record<string, unknown>[];
}

function makeRunner(name: string, prepare: () => Promise<Prepared>, overrides: Partial<ContainerRunnerOptions> = {}): { runner: ContainerRunner; seen: Recorded } {
  const seen: Recorded = { events: [], logs: [] };
  const logger = pino({ level: 'warn' }, { write: (line: string) => { seen.logs.push(JSON.parse(line) as Record<string, unknown>); } });
  const runner = new ContainerRunner({
    container: { name },
    image: 'busybox',
    podIP: '127.0.0.1',
    podRef: `test_${name}`,
    restartPolicy: 'Always',
    prepare,
    terminationGraceSeconds: () => 1,
    backoffBaseMs: 50,
    onChange: () => undefined,
    onEvent: (type, reason, message) => seen.events.push(`${type} ${reason} ${message}`),
    logger,
    ...overrides,
  });
  return { runner, seen };
}

function shellSpec(name: string, script: string): Prepared {
  return {
    ok: true,
    spec: { argv: ['/bin/sh', '-c', script], env: { PATH: '/usr/bin:/bin' }, containerDir: join(dir, name), mounts: [], mountNamespace: false },
  };
}

test('a start that fails inside the kubelet is reported as RunContainerError and retried, not abandoned', async () => {
  let calls = 0;
  const { runner, seen } = makeRunner('flaky', async () => {
    calls++;
    if (calls === 1) throw new Error('spawn EAGAIN');
    return shellSpec('flaky', 'exec sleep 30');
  });
  runner.start();
  try {
    await waitFor('the failed start reported', () => runner.state.waiting?.reason === 'RunContainerError' || runner.state.running);
    await waitFor('the retried start running', () => runner.state.running && runner.process && !runner.process.exitInfo);
    assert.ok(seen.events.includes('Warning Failed Error: spawn EAGAIN'), seen.events.join('\n'));
    assert.ok(seen.logs.some((entry) => entry.msg === 'container run failed; retrying'));
    assert.equal(calls, 2);
    assert.equal(runner.restartCount, 0, 'no instance ran before, so nothing was restarted');
  } finally {
    await runner.stop(1);
  }
});

test('an error after the process started kills that instance before the retry: never two instances at once', async () => {
  const started: ContainerProcess[] = [];
  const { runner } = makeRunner('stray', async () => shellSpec('stray', 'exec sleep 30'), {
    onEvent: (_type, reason) => {
      if (reason !== 'Started') return;
      started.push(runner.process!);
      if (started.length === 1) throw new Error('event sink broke');
    },
  });
  runner.start();
  try {
    await waitFor('the retried instance running', () => started.length === 2 && runner.state.running);
    const [first, second] = started as [ContainerProcess, ContainerProcess];
    assert.equal(first.exitInfo?.exitCode, 137, 'the instance started before the error was killed');
    assert.equal(second.exitInfo, undefined);
    assert.equal(runner.process, second);
  } finally {
    await runner.stop(1);
  }
});

test('a container that dies right after its start is logged with its exit code and the end of its output', async () => {
  const { runner, seen } = makeRunner('early', async () => shellSpec('early', 'echo "bind: address already in use" >&2; exit 3'), { restartPolicy: 'Never' });
  runner.start();
  const exit = await runner.done;
  assert.equal(exit?.exitCode, 3);
  assert.equal(runner.state.terminated?.exitCode, 3);
  const entry = seen.logs.find((e) => e.msg === 'container exited soon after its start');
  assert.ok(entry, JSON.stringify(seen.logs));
  assert.equal(entry.exitCode, 3);
  assert.match(String(entry.log), /address already in use/);
});

test('a container that completes (exit 0) quickly is not reported as an early death', async () => {
  const { runner, seen } = makeRunner('done', async () => shellSpec('done', 'true'), { restartPolicy: 'OnFailure' });
  runner.start();
  assert.equal((await runner.done)?.exitCode, 0);
  assert.deepEqual(seen.logs, []);
});

test('a container killed by a signal soon after its start is not reported as an early death (the kill was meant)', async () => {
  const { runner, seen } = makeRunner('killed', async () => shellSpec('killed', 'exec sleep 30'), { restartPolicy: 'Never' });
  runner.start();
  const proc = await waitFor('running', () => runner.state.running && runner.process);
  proc.signal('SIGKILL');
  assert.equal((await runner.done)?.exitCode, 137);
  assert.deepEqual(seen.logs, []);
});
