// The one label-selector implementation: the string form (labels.Parse) and the object form
// (LabelSelectorAsSelector), answered as apimachinery answers them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LabelSelectorError, labelSelectorMatches, labelSelectorRequirements, labelSelectorSelects, matchesLabels, parseLabelSelector } from '../../shared/label-selector.js';

const labels = { app: 'web', tier: 'front', empty: '', 'redwing.dev/role': 'master', n: '5' };

describe('label selector strings', () => {
  const cases: [string, boolean][] = [
    ['', true], ['  ', true], ['app=web', true], ['app==web', true], ['app!=web', false], ['app!=db', true],
    ['missing!=x', true], ['app in (web,db)', true], ['app in (db)', false], ['app notin (db)', true],
    ['app notin (web)', false], ['missing notin (db)', true], ['missing in (db)', false],
    ['tier', true], ['!tier', false], ['!missing', true], ['app=web,tier=front', true], ['app=web,tier=back', false],
    ['redwing.dev/role=master', true], ['app in ()', false], ['empty in ()', true], ['empty=', true], ['app=', false],
    ['empty in (,x)', true], ['app notin (,)', true], ['n>4', true], ['n<4', false], ['missing>1', false],
    ['app = web , tier in ( front )', true],
  ];
  for (const [selector, expected] of cases) {
    it(`${JSON.stringify(selector)} -> ${expected}`, () => assert.equal(matchesLabels(parseLabelSelector(selector), labels), expected));
  }

  const refused: [string, string][] = [
    ['app in (web', "unable to parse requirement: found '', expected: ',' or ')'"],
    ['app=we b', "found 'b', expected: ',' or 'end of string'"],
    ['Bad Key=1', "unable to parse requirement: found 'Key', expected: in, notin, =, ==, !=, gt, lt"],
    ['app=web,', "found '', expected: identifier after ','"],
    [',app', "found ',', expected: !, identifier, or 'end of string'"],
    ['-bad=x', 'unable to parse requirement: invalid label key "-bad": name part must consist of alphanumeric characters, \'-\', \'_\' or \'.\', and must start and end with an alphanumeric character'],
    ['app=-x', 'unable to parse requirement: invalid label value: "-x"'],
    ['n>x', "unable to parse requirement: for 'Gt', 'Lt' operators, exactly one integer value is required"],
    ['!a=b', "found '=', expected: ',' or 'end of string'"],
    // the words gt and lt are identifiers to the lexer; only > and < are operators
    ['n gt 4', "unable to parse requirement: found 'gt', expected: in, notin, =, ==, !=, gt, lt"],
  ];
  for (const [selector, detail] of refused) {
    it(`refuses ${JSON.stringify(selector)} in apimachinery's words, naming the selector`, () => {
      assert.throws(() => parseLabelSelector(selector), (e: unknown) => e instanceof LabelSelectorError && e.detail === detail
        && e.message === `invalid label selector ${JSON.stringify(selector)}: ${detail}`);
    });
  }
});

describe('LabelSelector objects', () => {
  it('matchLabels and matchExpressions all hold', () => {
    const selector = { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'back'] }, { key: 'gone', operator: 'DoesNotExist' }] };
    assert.equal(labelSelectorMatches(selector, labels), true);
    assert.equal(labelSelectorMatches(selector, { ...labels, gone: 'x' }), false);
    assert.equal(labelSelectorMatches(selector, { ...labels, tier: 'mid' }), false);
    assert.equal(labelSelectorMatches(selector, undefined), false);
  });

  it('an empty selector matches everything', () => {
    assert.deepEqual(labelSelectorRequirements({}), []);
    assert.equal(labelSelectorMatches({}, undefined), true);
  });

  it('NotIn and DoesNotExist match a missing key; In and Exists do not', () => {
    assert.equal(labelSelectorMatches({ matchExpressions: [{ key: 'missing', operator: 'NotIn', values: ['a'] }] }, labels), true);
    assert.equal(labelSelectorMatches({ matchExpressions: [{ key: 'missing', operator: 'DoesNotExist' }] }, labels), true);
    assert.equal(labelSelectorMatches({ matchExpressions: [{ key: 'missing', operator: 'In', values: ['a'] }] }, labels), false);
    assert.equal(labelSelectorMatches({ matchExpressions: [{ key: 'missing', operator: 'Exists' }] }, labels), false);
  });

  const refused: [unknown, string][] = [
    [{ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }, "for 'in', 'notin' operators, values set can't be empty"],
    [{ matchExpressions: [{ key: 'a', operator: 'NotIn' }] }, "for 'in', 'notin' operators, values set can't be empty"],
    [{ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }, 'values set must be empty for exists and does not exist'],
    [{ matchExpressions: [{ key: 'a', operator: 'Equals', values: ['x'] }] }, '"Equals" is not a valid label selector operator'],
    [{ matchLabels: { 'bad key': 'x' } }, 'invalid label key "bad key": name part must consist of alphanumeric characters, \'-\', \'_\' or \'.\', and must start and end with an alphanumeric character'],
    [{ matchLabels: { a: 'bad value' } }, 'invalid label value: "bad value"'],
    [{ matchLabels: { a: 1 } }, 'matchLabels.a must be a string'],
    ['app=web', 'must be an object with matchLabels and/or matchExpressions'],
  ];
  for (const [selector, detail] of refused) {
    it(`refuses ${JSON.stringify(selector)}: ${detail}`, () => {
      assert.throws(() => labelSelectorRequirements(selector), (e: unknown) => e instanceof LabelSelectorError && e.detail === detail
        && e.message.includes(JSON.stringify(selector)));
    });
  }
});

describe('labelSelectorSelects', () => {
  it('matches as labelSelectorMatches, and an invalid selector selects nothing', () => {
    assert.equal(labelSelectorSelects({ matchLabels: { app: 'web' } }, labels), true);
    assert.equal(labelSelectorSelects({ matchExpressions: [{ key: 'missing', operator: 'NotIn', values: [] }] }, labels), false);
    assert.equal(labelSelectorSelects({ matchExpressions: [{ key: 'missing', operator: 'NotIn', values: ['x'] }] }, labels), true);
  });
});
