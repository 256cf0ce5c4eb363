import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { goJsonSyntaxError } from '../../../sandbox/apiserver/go-json-syntax.js';

describe("Go's encoding/json syntax errors", () => {
  it('names the character and where the scanner was, as encoding/json does', () => {
    const cases: [string, string][] = [
      // what a webhook answered in golden 30: the literal null breaks off after its first letter
      ['{"this is": not json', "invalid character 'o' in literal null (expecting 'u')"],
      ['{"a":[1,{"b":tru}]}', "invalid character '}' in literal true (expecting 'e')"],
      ['x', "invalid character 'x' looking for beginning of value"],
      ['{"a":1,}', "invalid character '}' looking for beginning of object key string"],
      ['[1 2]', "invalid character '2' after array element"],
      ['{"a" 1}', "invalid character '1' after object key"],
      ['{"a":1 "b":2}', `invalid character '"' after object key:value pair`],
      ['{"a":1}x', "invalid character 'x' after top-level value"],
      ['{"a":"\\x"}', "invalid character 'x' in string escape code"],
      ['"\\u12g4"', "invalid character 'g' in \\u hexadecimal character escape"],
      ['-a', "invalid character 'a' in numeric literal"],
      ['1.e5', "invalid character 'e' after decimal point in numeric literal"],
      ['1e+x', "invalid character 'x' in exponent of numeric literal"],
      ["'a'", "invalid character '\\'' looking for beginning of value"],
      ['"a\u0001"', "invalid character '\\x01' in string literal"],
      ['\u0081', "invalid character '\\u0081' looking for beginning of value"],
    ];
    for (const [text, expected] of cases) assert.equal(goJsonSyntaxError(text), expected, text);
  });

  it('reports a text that ends too soon, and nothing for valid JSON', () => {
    for (const text of ['', '  ', '{', '[1,2', '{"a":', '"abc', 'nul', '1e+']) assert.equal(goJsonSyntaxError(text), 'unexpected end of JSON input', text);
    for (const text of ['{}', '[]', ' {"a":[1,{"b":null}],"c":-0.5e3} ', 'true', '"\\u00e9"']) assert.equal(goJsonSyntaxError(text), undefined, text);
  });

  it('scans a long document without recursion', () => {
    const deep = `[${'[1],'.repeat(200_000)}x]`;
    assert.equal(goJsonSyntaxError(deep), "invalid character 'x' looking for beginning of value");
  });
});
