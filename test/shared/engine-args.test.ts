/** spec.args read as the engines read them; the Redis reading is checked against a real redis-server. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { parseEngineArgs } from '../../shared/engine-args.js';
import { quoteConfigWord, splitConfigLine } from '../../shared/config-line-tokens.js';
import { cli, removeDir, startRedis } from '../reconciler/desired/redis-process.js';

const settingsOf = (engine: 'redis' | 'dragonfly', args: string[]) =>
  parseEngineArgs(engine, args).settings.map(({ key, values, index }) => ({ key, values, index }));

describe('splitConfigLine and quoteConfigWord (sds.c rules)', () => {
  it('splits words, unquotes, decodes escapes, and refuses unbalanced quotes', () => {
    assert.deepEqual(splitConfigLine('  save "" '), ['save', '']);
    assert.deepEqual(splitConfigLine('"\\x72equirepass" \'a\\\'b\''), ['requirepass', 'a\'b']);
    assert.deepEqual(splitConfigLine('require"pass" x'), ['requirepass', 'x']);
    assert.equal(splitConfigLine('"open'), undefined);
    assert.equal(splitConfigLine('"closed"x'), undefined);
  });

  it('quotes any value back into one word', () => {
    for (const value of ['', 'a b', 'quote " and \\ backslash', 'new\nline\ttab\u0001', '--requirepass']) {
      assert.deepEqual(splitConfigLine(`key ${quoteConfigWord(value)}`), ['key', value]);
    }
  });
});

describe('parseEngineArgs: redis and valkey', () => {
  it('reads every spelling of a name redis-server accepts', () => {
    const cases: Array<[string[], string, string[]]> = [
      [['--requirepass', ''], 'requirepass', ['']],
      [['--requirepass x'], 'requirepass', ['x']],
      [['--REQUIREPASS', 'x'], 'requirepass', ['x']],
      [['--"requirepass"', 'x'], 'requirepass', ['x']],
      [['--require"pass"', 'x'], 'requirepass', ['x']],
      [['--"\\x72equirepass"', 'x'], 'requirepass', ['x']],
      [['-- requirepass', 'x'], 'requirepass', ['x']],
      [['--', 'requirepass', 'x'], 'requirepass', ['x']],
      [['--requirepass=x'], 'requirepass', ['x']],
      [['--save'], 'save', ['']],
      [['--appendonly', 'no', '--save', '--port', '0'], 'save', ['']],
    ];
    for (const [args, key, values] of cases) {
      const found = settingsOf('redis', args).filter((setting) => setting.key === key);
      assert.deepEqual(found.map((setting) => setting.values), [values], JSON.stringify(args));
    }
  });

  it('takes the argument after a bare name as its value, even when it starts with --', () => {
    assert.deepEqual(settingsOf('redis', ['--maxmemory-policy', '--requirepass', 'x']), [
      { key: 'maxmemory-policy', values: ['--requirepass', 'x'], index: 0 },
    ]);
  });

  it('--sentinel before another name takes no value (Redis 7.2, Valkey)', () => {
    assert.deepEqual(settingsOf('redis', ['--sentinel', '--requirepass', '']).map(({ key }) => key), ['sentinel', 'requirepass']);
  });

  it('names the argument each setting comes from, including a line injected by a newline', () => {
    const parsed = parseEngineArgs('redis', ['--hz', '20', '--maxmemory-policy allkeys-lru\nrequirepass ""']);
    assert.deepEqual(parsed.settings.map(({ key, index }) => `${key}@${index}`), ['hz@0', 'maxmemory-policy@2', 'requirepass@2']);
    assert.deepEqual(parsed.problems.map(({ index }) => index), [2]);
    assert.match(parsed.problems[0]!.message, /control character/);
  });

  it('reports arguments the engine would misread', () => {
    const problems = (args: string[]) => parseEngineArgs('redis', args).problems.map(({ index, message }) => `${index}: ${message}`);
    assert.match(problems(['+@all'])[0]!, /^0: must start with "--"/, 'a leading value extends the operator\'s own last setting');
    assert.match(problems(['--hz', '20', '-'])[0]!, /^2: .*standard input/);
    assert.match(problems(['--"hz', '20'])[0]!, /^0: has unbalanced quotes/);
    assert.match(problems(['--maxmemory-policy', '--sentinel'])[0]!, /^1: turns the engine into Redis Sentinel/);
    assert.match(problems(['--x$(REDIS_PASSWORD)', 'y'])[0]!, /^0: refers to a container variable/);
    assert.deepEqual(problems(['--hz', '20', '--save', '3600 1', '--maxmemory-policy', 'allkeys-lru', '--client-default-name', 'a$$(b)']), []);
  });
});

describe('parseEngineArgs: dragonfly (abseil flags)', () => {
  it('reads --name=value, --name value, -name and --noname, and stops at --', () => {
    assert.deepEqual(settingsOf('dragonfly', ['--requirepass=', '-port', '7000', '--notls', '--', '--dir=/x']), [
      { key: 'requirepass', values: [''], index: 0 },
      { key: 'port', values: ['7000'], index: 1 },
      { key: 'notls', values: [], index: 3 },
    ]);
  });
});

const hasRedis = spawnSync('redis-server', ['--version']).status === 0;

describe('parseEngineArgs agrees with redis-server', { skip: hasRedis ? false : 'redis-server is not installed' }, () => {
  // Each case starts a real redis-server with the arguments after its own (as in the pod, where the operator's
  // arguments come first and end with a value) and compares what CONFIG GET reports with what the parser read.
  const cases: string[][] = [
    ['--maxmemory-policy', 'allkeys-lru'],
    ['--maxmemory-policy allkeys-lfu'],
    ['--"maxmemory-policy"', 'volatile-lru'],
    ['--"\\x6daxmemory-policy"', 'volatile-lfu'],
    ['--MAXMEMORY-POLICY', 'allkeys-random'],
    ['-- maxmemory-policy', 'volatile-ttl'],
    ['--', 'maxmemory-policy', 'volatile-random'],
    ['--requirepass', 'sekret', '--hz', '15'],
    ['--save', '--appendonly', 'yes'],
    ['--appendonly', 'yes', '--save'],
    ['--save', '60 5', '--maxmemory-policy', 'allkeys-lru'],
  ];
  for (const args of cases) {
    it(JSON.stringify(args), async () => {
      const { settings } = parseEngineArgs('redis', args);
      assert.ok(settings.length > 0);
      const password = settings.find((setting) => setting.key === 'requirepass')?.values[0];
      const redis = await startRedis('dir /replaced-by-start-redis\nsave ""\nappendonly no\n', args);
      try {
        for (const { key, values } of settings) {
          const reply = cli(redis.port, ['CONFIG', 'GET', key], password).out.split('\n');
          // redis-cli prints nothing for an empty value.
          const expected = values.join(' ');
          assert.deepEqual(reply, expected === '' ? [key] : [key, expected], `${key} of ${JSON.stringify(args)}`);
        }
      } finally {
        await redis.stop();
        removeDir(redis.dir);
      }
    });
  }
});
