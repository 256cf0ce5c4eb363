import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { formatLogLine } from '../../shared/log-line-format.js';
import { createLogger, prettyDestination, wantsPrettyLogs } from '../../shared/logger.js';

/** The lines a real logger writes, captured. */
function captureJsonLines(log: (logger: ReturnType<typeof createLogger>) => void): string[] {
  const out = new PassThrough();
  const chunks: string[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  log(createLogger('redwing', { level: 'info', destination: out }));
  return chunks.join('').split('\n').filter(Boolean);
}

describe('log lines for a terminal', () => {
  it('turns a pino JSON line into time, level, component, message and the other fields', () => {
    const [line] = captureJsonLines((logger) => logger.child({ component: 'reconciler' }).info({ store: 'default/cache', replicas: 3 }, 'store ready'));
    const pretty = formatLogLine(line!, { colour: false });
    assert.match(pretty, /^\d\d:\d\d:\d\d INFO  reconciler: store ready store=default\/cache replicas=3$/);
    assert.doesNotMatch(pretty, /[{}]|"pid"|hostname/);
  });

  it('shows an error\'s message, colours warnings only when asked, and quotes values with spaces', () => {
    const [line] = captureJsonLines((logger) => logger.warn({ err: new Error('connect ECONNREFUSED'), reason: 'no answer yet' }, 'probe failed'));
    assert.match(formatLogLine(line!, { colour: false }), /WARN  redwing: probe failed reason="no answer yet" error="connect ECONNREFUSED"$/);
    assert.match(formatLogLine(line!, { colour: true }), /\u001b\[33mWARN /);
  });

  it('keeps secrets redacted and leaves a line that is not JSON as it is', () => {
    const [line] = captureJsonLines((logger) => logger.info({ password: 'hunter2' }, 'rotated'));
    assert.doesNotMatch(formatLogLine(line!, { colour: false }), /hunter2/);
    assert.equal(formatLogLine('plain text', { colour: false }), 'plain text');
  });

  it('is chosen for a TTY unless REDWING_LOG_FORMAT says otherwise', () => {
    assert.equal(wantsPrettyLogs({}, true), true);
    assert.equal(wantsPrettyLogs({}, false), false);
    assert.equal(wantsPrettyLogs({ REDWING_LOG_FORMAT: 'json' }, true), false);
    assert.equal(wantsPrettyLogs({ REDWING_LOG_FORMAT: 'pretty' }, false), true);
  });

  it('the pretty destination writes one formatted line per record', () => {
    const out = new PassThrough();
    const destination = prettyDestination(out, false);
    destination.write(`${JSON.stringify({ level: 50, time: 0, name: 'redwing', msg: 'boom' })}\n`);
    assert.equal(String(out.read()), '00:00:00 ERROR redwing: boom\n');
  });
});
