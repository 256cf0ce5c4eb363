/**
 * The syntax error Go's encoding/json reports for a text that is not JSON, word for word: kube-apiserver puts it
 * in its messages ("json parse error: invalid character 'o' in literal null (expecting 'u')", golden 30). This
 * follows the state machine of encoding/json/scanner.go, which checks the whole input before decoding.
 */

type Container = 'object-key' | 'object-value' | 'array';

/** strconv.Quote's short escapes. */
const GO_NAMED_ESCAPES: Record<string, string> = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '\\': '\\\\' };

/** Go's quoteChar: the offending character as `'c'`, escaped as strconv.Quote escapes it. */
function quoteChar(c: string): string {
  if (c === "'") return `'\\''`;
  if (c === '"') return `'"'`;
  const code = c.codePointAt(0) ?? 0;
  const named = GO_NAMED_ESCAPES[c];
  if (named !== undefined) return `'${named}'`;
  if (code < 0x20 || code === 0x7f) return `'\\x${code.toString(16).padStart(2, '0')}'`;
  if (code >= 0x80 && code <= 0x9f) return `'\\u${code.toString(16).padStart(4, '0')}'`;
  return `'${c}'`;
}

const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';
const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const isHex = (c: string): boolean => isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');

class SyntaxError extends Error {}

function fail(c: string, context: string): never {
  throw new SyntaxError(`invalid character ${quoteChar(c)} ${context}`);
}

/** Reads JSON text with Go's scanner and returns its first error, or undefined when the text is valid. */
export function goJsonSyntaxError(text: string): string | undefined {
  const chars = Array.from(text);
  let i = 0;
  const stack: Container[] = [];
  const peek = (): string | undefined => chars[i];
  const next = (): string => {
    const c = chars[i++];
    if (c === undefined) throw new SyntaxError('unexpected end of JSON input');
    return c;
  };
  const skipSpace = (): void => {
    while (i < chars.length && isSpace(chars[i]!)) i++;
  };

  const literal = (word: string): void => {
    for (const expected of word.slice(1)) {
      const c = next();
      if (c !== expected) fail(c, `in literal ${word} (expecting ${quoteChar(expected)})`);
    }
  };
  const string = (): void => {
    for (;;) {
      const c = next();
      if (c === '"') return;
      if (c === '\\') {
        const e = next();
        if (e === 'u') {
          for (let k = 0; k < 4; k++) {
            const h = next();
            if (!isHex(h)) fail(h, 'in \\u hexadecimal character escape');
          }
        } else if (!'bfnrt\\/"'.includes(e)) fail(e, 'in string escape code');
      } else if (c < ' ') fail(c, 'in string literal');
    }
  };
  const digits = (): void => {
    while (i < chars.length && isDigit(chars[i]!)) i++;
  };
  const number = (first: string): void => {
    let c = first;
    if (c === '-') {
      c = next();
      if (!isDigit(c)) fail(c, 'in numeric literal');
    }
    if (c !== '0') digits();
    if (peek() === '.') {
      i++;
      const d = next();
      if (!isDigit(d)) fail(d, 'after decimal point in numeric literal');
      digits();
    }
    if (peek() === 'e' || peek() === 'E') {
      i++;
      let d = next();
      if (d === '+' || d === '-') d = next();
      if (!isDigit(d)) fail(d, 'in exponent of numeric literal');
      digits();
    }
  };

  /** Opens an object and reads its first key, or closes it at once; true when a key was read. */
  const openObject = (): boolean => {
    skipSpace();
    if (peek() === '}') {
      i++;
      return false;
    }
    objectKey();
    return true;
  };
  const objectKey = (): void => {
    const q = next();
    if (q !== '"') fail(q, 'looking for beginning of object key string');
    string();
  };

  /** Reads the value that starts at the next non-space character; true when it opened a non-empty container. */
  const beginValue = (): boolean => {
    skipSpace();
    const c = next();
    if (c === '{') {
      if (!openObject()) return false;
      stack.push('object-key');
      return true;
    }
    if (c === '[') {
      skipSpace();
      if (peek() === ']') {
        i++;
        return false;
      }
      stack.push('array');
      return true;
    }
    if (c === '"') string();
    else if (c === '-' || isDigit(c)) number(c);
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else fail(c, 'looking for beginning of value');
    return false;
  };

  /** A loop rather than recursion, so a long invalid document cannot exhaust the stack. */
  const scan = (): void => {
    let expectValue = true;
    for (;;) {
      if (expectValue) {
        const opened = beginValue();
        // an opened array expects its first element; an opened object has read its first key
        expectValue = opened && stack[stack.length - 1] === 'array';
        continue;
      }
      skipSpace();
      const top = stack[stack.length - 1];
      if (top === undefined) {
        const c = peek();
        if (c !== undefined) fail(c, 'after top-level value');
        return;
      }
      const c = next();
      if (top === 'object-key') {
        if (c !== ':') fail(c, 'after object key');
        stack[stack.length - 1] = 'object-value';
        expectValue = true;
      } else if (top === 'object-value') {
        if (c === ',') {
          stack[stack.length - 1] = 'object-key';
          skipSpace();
          objectKey();
        } else if (c === '}') stack.pop();
        else fail(c, 'after object key:value pair');
      } else if (c === ',') expectValue = true;
      else if (c === ']') stack.pop();
      else fail(c, 'after array element');
    }
  };

  try {
    scan();
    return undefined;
  } catch (error) {
    if (error instanceof SyntaxError) return error.message;
    throw error;
  }
}
