/**
 * Every CEL function call is charged before it runs (policy/cel-cost.ts): the expressions of issue 12 that
 * blocked the webhook for minutes and took gigabytes now end at once with a cost error naming the call.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileExpression, prepareBindings, type EvaluationResult } from '../../policy/cel.js';
import { replaceLinear, replacementLength } from '../../policy/cel-cost.js';
import { regexProgramSize } from '../../policy/cel-regex.js';
import type { CelLimits } from '../../policy/cel.js';

function evaluate(expression: string, spec: Record<string, unknown>, limits: Partial<CelLimits> = {}, oldSpec?: Record<string, unknown>): EvaluationResult & { wallMs: number } {
  const compiled = compileExpression(expression);
  assert.ok(compiled.ok, compiled.ok ? '' : compiled.error);
  const bindings = prepareBindings({
    object: { metadata: { name: 'cache' }, spec },
    oldObject: oldSpec ? { metadata: { name: 'cache' }, spec: oldSpec } : null,
    request: { operation: oldSpec ? 'UPDATE' : 'CREATE', namespace: 'prod', userInfo: { username: 'alice' } },
  });
  const started = performance.now();
  const result = compiled.program.evaluate(bindings, limits);
  return { ...result, wallMs: performance.now() - started };
}

function errorOf(result: EvaluationResult): string {
  assert.equal(result.ok, false, 'expected an evaluation error');
  return result.ok ? '' : result.error;
}

const HUGE_IMAGE = `registry.example/${'r'.repeat(30_000)}`;

describe('CEL call costs: the expensive cases of issue 12', () => {
  it('replace("", image) on a 30,000-character image is refused before it runs', () => {
    const result = evaluate('object.spec.image.replace("", object.spec.image) != ""', { image: HUGE_IMAGE });
    assert.match(errorOf(result), /^exceeded the cost budget of 50000: replace\(\) would cost \d+, 50000 remained$/);
    assert.equal(!result.ok && result.budgetExceeded, 'cost');
    assert.ok(result.wallMs < 1000, `took ${result.wallMs} ms`);
  });

  it('args.join(image) is refused from its result size, without building it', () => {
    const heapBefore = process.memoryUsage().heapUsed;
    const args = Array.from({ length: 5_000 }, (_, i) => `--a${i}`);
    const result = evaluate('object.spec.args.join(object.spec.image).size() > 0', { image: HUGE_IMAGE, args });
    assert.match(errorOf(result), /cost budget of 50000: join\(\) would cost/);
    assert.ok(result.wallMs < 1000, `took ${result.wallMs} ms`);
    assert.ok(process.memoryUsage().heapUsed - heapBefore < 64 * 1024 * 1024, 'no string of gigabytes was built');
  });

  it('deep equality and format are charged what they traverse, and refused before traversing a huge map', () => {
    const config = Object.fromEntries(Array.from({ length: 150_000 }, (_, i) => [`key${i}`, `value${i}`]));
    const equal = evaluate('object.spec.config == oldObject.spec.config', { config }, {}, { config: { ...config } });
    assert.match(errorOf(equal), /cost budget of 50000: operator == would cost/);
    assert.ok(equal.wallMs < 1000, `took ${equal.wallMs} ms`);
    const formatted = evaluate('"%s".format([object.spec.config]) != ""', { config });
    assert.match(errorOf(formatted), /format\(\) would cost/);
    // A small map costs a few units: per side the map (1), its entry (2), a one-character key and value (1 each),
    // times the deep-traversal factor 3, plus 1 for the call.
    const small = evaluate('object.spec.config == oldObject.spec.config', { config: { a: '1' } }, {}, { config: { a: '1' } });
    assert.deepEqual({ ok: small.ok, cost: small.cost }, { ok: true, cost: 1 + 3 * (5 + 5) });
  });

  it('regular expressions are charged by text length times pattern size', () => {
    const result = evaluate('object.spec.image.matches("^registry\\\\.example/[a-z]+$")', { image: HUGE_IMAGE });
    assert.match(errorOf(result), /matches\(\) would cost/);
    const realistic = evaluate('object.spec.image.matches("^registry\\\\.example/")', { image: 'registry.example/redis:7.4' });
    assert.equal(realistic.ok && realistic.allowed, true);
    assert.ok(realistic.cost < 500, `a realistic match costs ${realistic.cost}`);
  });

  it('a pattern taken from the object is bounded in length and charged its compiled size', () => {
    // A 30,000-character literal took RE2JS 3.4 s to compile; repetitions expand the program a thousandfold.
    const long = evaluate('"abc".matches(object.spec.pattern)', { pattern: 'a'.repeat(30_000) });
    assert.match(errorOf(long), /^the regular expression is 30000 characters long; at most 1024 are accepted/);
    assert.ok(long.wallMs < 1000, `took ${long.wallMs} ms`);
    const repeated = evaluate('"abc".matches(object.spec.pattern)', { pattern: 'a{1000}'.repeat(30) });
    assert.match(errorOf(repeated), /cost budget of 50000: matches\(\) would cost/);
    assert.ok(repeated.wallMs < 1000, `took ${repeated.wallMs} ms`);
  });

  it('the CPU time limit is checked between calls too, not only in loops', () => {
    // No loop; every call is cheap enough on its own, and the cost budget is lifted: only the clock can stop it.
    const chain = Array.from({ length: 60 }, () => 'object.spec.image.lowerAscii()').join(' + ');
    const result = evaluate(`(${chain}).size() > 0`, { image: 'A'.repeat(200_000) }, { maxCost: Number.MAX_SAFE_INTEGER, timeoutMs: 2 });
    assert.equal(errorOf(result), 'exceeded the CPU time limit of 2 ms');
    assert.ok(result.wallMs < 1000, `took ${result.wallMs} ms`);
  });

  it('a time-out charges the whole allowance, so the request budget drains', () => {
    const chain = Array.from({ length: 60 }, () => 'object.spec.image.lowerAscii()').join(' + ');
    const result = evaluate(`(${chain}).size() > 0`, { image: 'A'.repeat(200_000) }, { maxCost: 10_000_000, timeoutMs: 2 });
    assert.equal(!result.ok && result.budgetExceeded, 'time');
    assert.equal(result.cost, 10_000_000);
  });
});

describe('CEL call costs: normal expressions', () => {
  it('cost what they did plus a few units per call', () => {
    const spec = { image: 'registry.example/redis:7.4', args: ['--appendonly', 'yes'], config: { 'maxmemory-policy': 'allkeys-lru' } };
    for (const expression of [
      'object.spec.image.startsWith("registry.example/")',
      'object.spec.args.all(a, !a.startsWith("--requirepass"))',
      '!("save" in object.spec.config) && object.spec.config["maxmemory-policy"] != "noeviction"',
      'object.spec.image.split(":")[1] == "7.4"',
      'object.spec.image.replace("registry.example/", "") == "redis:7.4"',
      '["a", "b"].join("-") == "a-b"',
    ]) {
      const result = evaluate(expression, spec);
      assert.equal(result.ok && result.allowed, true, `${expression}: ${JSON.stringify(result)}`);
      assert.ok(result.cost < 100, `${expression} costs ${result.cost}`);
    }
  });
});

describe('regexProgramSize', () => {
  it('counts atoms and operators, and copies what a repetition repeats, nested ones multiplied', () => {
    assert.equal(regexProgramSize('abc'), 3);
    assert.equal(regexProgramSize('[a-z]\\d\\pL\\p{Greek}'), 4);
    assert.equal(regexProgramSize('x{1000}'), 1000);
    assert.equal(regexProgramSize('x{2,5}y'), 6);
    assert.equal(regexProgramSize('(ab){3}'), 9);
    assert.ok(regexProgramSize('((x{10}){10}){10}') >= 1000);
    assert.ok(regexProgramSize('^[a-z][a-z0-9-]{0,30}$') < 40);
  });
});

describe('replaceLinear', () => {
  it('has the semantics of cel-go (Go strings.Replace)', () => {
    assert.equal(replaceLinear('abc', '', 'x', -1), 'xaxbxcx');
    assert.equal(replaceLinear('abc', '', 'x', 2), 'xaxbc');
    assert.equal(replaceLinear('a.b.c', '.', '::', -1), 'a::b::c');
    assert.equal(replaceLinear('a.b.c', '.', '::', 1), 'a::b.c');
    assert.equal(replaceLinear('a.b.c', '.', '::', 0), 'a.b.c');
    assert.equal(replaceLinear('aaaa', 'aa', 'b', -1), 'bb');
    assert.equal(replaceLinear('é😀', '', '|', -1), '|é|😀|');
  });

  it('predicts its result length without building it', () => {
    for (const [text, old, replacement, limit] of [['abc', '', 'xy', -1], ['a.b.c', '.', '::', 1], ['aaaa', 'aa', '', -1], ['abc', 'z', 'q', -1]] as const) {
      assert.equal(replacementLength(text, old, replacement, limit), replaceLinear(text, old, replacement, limit).length, `${text} ${old}`);
    }
  });

  it('is what CEL replace() runs', () => {
    const result = evaluate('object.spec.image.replace("", "-") == "-a-b-"', { image: 'ab' });
    assert.equal(result.ok && result.allowed, true);
  });
});
