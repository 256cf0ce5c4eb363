/** The `dyn()` rewrite of variable roots: the same answers as the expression as written, on the same bindings. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { celEnv, isCelError, parse, plan } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import { CEL_VARIABLES, prepareBindings } from '../../policy/cel.js';
import { readVariablesDirectly } from '../../policy/cel-variables.js';

const ENV = celEnv({ funcs: [...strings] });

function run(expression: string, rewrite: boolean, bindings: ReturnType<typeof prepareBindings>): unknown {
  const parsed = parse(expression);
  if (rewrite) readVariablesDirectly(parsed.expr, CEL_VARIABLES);
  const result = plan(ENV, parsed)(bindings.celValues);
  return isCelError(result) ? `error: ${result.message}` : result;
}

describe('readVariablesDirectly', () => {
  const bindings = prepareBindings({
    object: { metadata: { name: 'cache', labels: { team: 'a' } }, spec: { replicas: 3, config: { 'notify-x': 'y' }, args: ['--a'] } },
    oldObject: null,
    request: { operation: 'UPDATE', namespace: 'shop', userInfo: { username: 'alice', groups: ['devs'] } },
  });

  it('gives the same results, errors included', () => {
    const expressions = [
      'object.spec.replicas >= 1 && object.spec.replicas <= 7',
      'has(object.spec.tls) || object.metadata.name == "cache"',
      'object.spec.config.all(k, !k.startsWith("notify"))',
      'object.spec.args.exists(a, a == "--a") && "team" in object.metadata.labels',
      'oldObject == null || oldObject.spec.replicas <= object.spec.replicas',
      'request.userInfo.groups.exists(g, g == "devs") && request.namespace == "shop"',
      '[object].all(object, object.spec.replicas == 3)',
      'object.spec.missing.field == 1',
      'object.spec.replicas + 1',
    ];
    for (const expression of expressions) {
      assert.deepEqual(run(expression, true, bindings), run(expression, false, bindings), expression);
    }
    assert.equal(run('object.spec.replicas >= 1', true, bindings), true);
  });

  it('wraps each variable root of a select in dyn(), and nothing else', () => {
    const parsed = parse('object.spec.replicas > 0 && request.namespace != "" && [1].all(x, x > 0)');
    readVariablesDirectly(parsed.expr, CEL_VARIABLES);
    const text = JSON.stringify(parsed.expr, (_key, value: unknown) => (typeof value === 'bigint' ? String(value) : value));
    assert.equal(text.match(/"function":"dyn"/g)?.length, 2);
  });
});
