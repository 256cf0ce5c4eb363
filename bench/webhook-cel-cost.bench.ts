/**
 * `npx tsx bench/webhook-cel-cost.bench.ts`: what one CEL cost unit is worth in CPU time, per kind of work (string
 * functions, regular expressions, deep comparisons, loops), on inputs large enough to cost tens of thousands of
 * units. Each row is the best of five warm runs with the budget lifted. docs/policy.md ("CEL bounds") quotes it.
 */
import { compileExpression, prepareBindings, type EvaluationResult } from '../policy/cel.js';

function calibrate(expression: string, spec: Record<string, unknown>, oldSpec?: Record<string, unknown>): void {
  const compiled = compileExpression(expression);
  if (!compiled.ok) throw new Error(`${expression}: ${compiled.error}`);
  let bestMicros = Number.POSITIVE_INFINITY;
  let result: EvaluationResult | undefined;
  for (let run = 0; run < 5; run += 1) {
    const bindings = prepareBindings({
      object: { spec }, oldObject: oldSpec ? { spec: oldSpec } : null, request: { operation: 'CREATE', namespace: 'bench', userInfo: { username: 'bench' } },
    });
    const before = process.cpuUsage();
    result = compiled.program.evaluate(bindings, { maxCost: 1e9, timeoutMs: 1e6 });
    const used = process.cpuUsage(before);
    bestMicros = Math.min(bestMicros, used.user + used.system);
  }
  const cost = result!.cost;
  console.log(`| \`${expression}\` | ${cost} | ${bestMicros} | ${(bestMicros / cost).toFixed(3)} |${result!.ok ? '' : ` ${result!.error}`}`);
}

const text = 'Ab'.repeat(150_000);
const args = Array.from({ length: 20_000 }, (_, i) => `--arg-${i}`);
const config = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`key-${i}`, `value-${i}`]));
console.log('| expression | cost units | CPU µs | µs per unit |');
console.log('|---|---|---|---|');
calibrate('object.spec.s.lowerAscii() != ""', { s: text });
calibrate('strings.quote(object.spec.s) != ""', { s: text });
calibrate('size(object.spec.s) > 0', { s: text });
calibrate('object.spec.s.split("b").size() > 0', { s: text });
calibrate('object.spec.s.replace("b", "cc") != ""', { s: text });
calibrate('object.spec.s.matches("^[Ab]*$")', { s: text.slice(0, 20_000) });
calibrate('object.spec.args.join(",") != ""', { args });
calibrate('"--arg-19999" in object.spec.args', { args });
calibrate('object.spec.config == oldObject.spec.config', { config }, { config: { ...config } });
calibrate('"%s".format([object.spec.config]) != ""', { config });
calibrate('object.spec.args.all(a, a.startsWith("--"))', { args });
calibrate('object.spec.args.map(a, a).size() > 0', { args: args.slice(0, 3_000) });
