import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  compileExpression, compiledExpressionCacheSize, prepareBindings, toCelValue, type CelBindings, type CompiledExpression,
} from '../../policy/cel.js';

const store = {
  apiVersion: 'redwing.dev/v1alpha1', kind: 'KVStore',
  metadata: { name: 'cache', namespace: 'prod', labels: { team: 'payments' } },
  spec: { replicas: 3, image: 'registry.internal/redis:7.4', config: { 'maxmemory-policy': 'allkeys-lru' }, tls: { enabled: true } },
};

function bindings(overrides: Partial<CelBindings> = {}): CelBindings {
  return {
    object: store, oldObject: null,
    request: { operation: 'CREATE', namespace: 'prod', userInfo: { username: 'alice' } },
    ...overrides,
  };
}

function compiled(expression: string): CompiledExpression {
  const result = compileExpression(expression);
  assert.ok(result.ok, result.ok ? '' : result.error);
  return result.program;
}

/** The result without its cost (asserted separately where it matters). */
function run(expression: string, b = bindings()) {
  const { cost: _cost, ...rest } = compiled(expression).evaluate(prepareBindings(b));
  return rest;
}

describe('CEL compilation', () => {
  it('reports syntax errors with line and column', () => {
    const result = compileExpression('object.spec.replicas >');
    assert.equal(result.ok, false);
    assert.match(!result.ok ? result.error : '', /^syntax error at line 1, column 22: /);
    const multiline = compileExpression('object.spec.replicas > 1 &&\n  object.spec.tls.enabled ==');
    assert.match(!multiline.ok ? multiline.error : '', /line 2, column/);
  });

  it('refuses unknown variables and functions, with their position', () => {
    const variable = compileExpression('object.spec.replicas == replicas');
    assert.match(!variable.ok ? variable.error : '', /at line 1, column 25: undeclared reference to "replicas"/);
    const fn = compileExpression('object.spec.image.hasPrefix("x")');
    assert.match(!fn.ok ? fn.error : '', /undeclared function "hasPrefix"/);
  });

  it('refuses expressions that can never be bool, accepts dyn ones', () => {
    for (const expression of ['object.spec.replicas + 1', '"yes"', 'size(object.spec.config)', 'true ? 1 : 2', 'object.spec.config.map(k, k)']) {
      const result = compileExpression(expression);
      assert.equal(result.ok, false, expression);
      assert.match(!result.ok ? result.error : '', /must evaluate to a bool/);
    }
    for (const expression of ['object.spec.tls.enabled', 'has(object.spec.tls)', 'object.spec.config.all(k, k != "x")', 'oldObject == null || true']) {
      assert.equal(compileExpression(expression).ok, true, expression);
    }
  });

  it('enforces size limits', () => {
    const long = compileExpression(`${'true && '.repeat(600)}true`);
    assert.match(!long.ok ? long.error : '', /characters long; the limit is 4096/);
    const nodes = compileExpression(`${'1 < 2 && '.repeat(300)}true`);
    assert.match(!nodes.ok ? nodes.error : '', /syntax nodes; the limit is 1000/);
    assert.match(((r) => (r.ok ? '' : r.error))(compileExpression('  ')), /is empty/);
  });

  it('caches compiled programs by expression text', () => {
    const text = `object.metadata.name == "cache-${Date.now()}"`;
    const before = compiledExpressionCacheSize();
    const first = compileExpression(text);
    const second = compileExpression(text);
    assert.equal(first, second);
    assert.equal(compiledExpressionCacheSize(), before + 1);
  });
});

describe('CEL evaluation', () => {
  it('sees object, oldObject and request', () => {
    assert.deepEqual(run('object.spec.tls.enabled && object.metadata.labels.team == "payments"'), { ok: true, allowed: true });
    assert.deepEqual(run('request.operation == "CREATE" && oldObject == null && request.userInfo.username == "alice"'), { ok: true, allowed: true });
    assert.deepEqual(run('request.namespace == "dev"'), { ok: true, allowed: false });
    const update = bindings({ oldObject: { ...store, spec: { ...store.spec, replicas: 5 } }, request: { operation: 'UPDATE', namespace: 'prod', userInfo: { username: 'bob' } } });
    assert.deepEqual(run('object.spec.replicas >= oldObject.spec.replicas', update), { ok: true, allowed: false });
  });

  it('treats whole JSON numbers as int (Kubernetes semantics)', () => {
    assert.deepEqual(run('object.spec.replicas % 2 == 1 && object.spec.replicas == 3'), { ok: true, allowed: true });
    assert.equal(toCelValue(3), 3n);
    assert.equal(toCelValue(0.5), 0.5);
  });

  it('supports macros and string extensions', () => {
    assert.deepEqual(run('object.spec.config.all(k, !k.startsWith("notify"))'), { ok: true, allowed: true });
    assert.deepEqual(run('object.spec.image.split("/")[0] == "registry.internal"'), { ok: true, allowed: true });
    assert.deepEqual(run('object.spec.image.matches("^registry\\\\.internal/")'), { ok: true, allowed: true });
    assert.deepEqual(run('matches(object.spec.image, "^registry") && !object.spec.image.matches("^docker")'), { ok: true, allowed: true });
    const badRegex = run('object.spec.image.matches("(")');
    assert.equal(badRegex.ok, false, 'an invalid pattern is an evaluation error');
  });

  it('runtime errors are errors, not a silent allow', () => {
    const missing = run('object.spec.persistence.enabled');
    assert.equal(missing.ok, false);
    assert.match(!missing.ok ? missing.error : '', /persistence/);
    const notBool = run('object.spec.replicas');
    assert.deepEqual(notBool, { ok: false, error: 'returned an int (3), not a bool' });
    const division = run('object.spec.replicas / 0 == 1');
    assert.equal(division.ok, false);
  });

  it('stops at the cost budget, even when || would swallow the error', () => {
    const big = { ...store, spec: { ...store.spec, args: Array.from({ length: 200 }, (_, i) => `--x${i}`) } };
    const expression = 'object.spec.args.all(a, object.spec.args.all(b, a != b || a == b)) || true';
    const prepared = prepareBindings(bindings({ object: big }));
    const limited = compiled(expression).evaluate(prepared, { maxCost: 5_000, timeoutMs: 60_000 });
    assert.equal(limited.ok, false);
    assert.match(!limited.ok ? limited.error : '', /exceeded the cost budget of 5000/);
    // The same expression over a small list fits in the default budget.
    assert.deepEqual(run(expression), { ok: true, allowed: true });
  });

  it('stops at the time limit', () => {
    const big = { ...store, spec: { ...store.spec, args: Array.from({ length: 400 }, (_, i) => `--x${i}`) } };
    // 400^3 iterations: minutes without a bound. The cost budget is lifted so only the clock can stop it.
    const expression = 'object.spec.args.all(a, object.spec.args.all(b, object.spec.args.all(c, a != "")))';
    const result = compiled(expression).evaluate(prepareBindings(bindings({ object: big })), { maxCost: Number.MAX_SAFE_INTEGER, timeoutMs: 5 });
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.error, 'exceeded the CPU time limit of 5 ms');
    assert.equal(!result.ok && result.budgetExceeded, 'time');
  });
});
