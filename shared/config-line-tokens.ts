/**
 * How Redis and Valkey split a config line into words (sds.c `sdssplitargs`) and quote a command-line value into
 * one (`sdscatrepr`). The engines build their command-line options into config lines with these, so judging
 * spec.args needs the same rules: `--"requirepass"` and `--"\x72equirepass"` both name `requirepass`. Pure.
 */

const isBlank = (char: string | undefined): boolean => char !== undefined && /^[ \t\n\v\f\r]$/.test(char);
const isHex = (char: string | undefined): boolean => char !== undefined && /^[0-9a-fA-F]$/.test(char);
const ESCAPES: Readonly<Record<string, string>> = { n: '\n', r: '\r', t: '\t', b: '\b', a: '\x07' };

type QuoteState = 'none' | 'double' | 'single';

/**
 * The words of `line`, or undefined where the engine reports unbalanced quotes (a closing quote followed by
 * anything but a blank counts too). Outside quotes only space, tab, CR and LF end a word, as in sds.c.
 */
export function splitConfigLine(line: string): string[] | undefined {
  const words: string[] = [];
  let position = 0;
  while (true) {
    while (isBlank(line[position])) position += 1;
    if (position >= line.length) return words;
    let word = '';
    let quote: QuoteState = 'none';
    let done = false;
    while (!done) {
      const char = line[position];
      if (quote === 'double') {
        if (char === undefined) return undefined;
        if (char === '\\' && line[position + 1] === 'x' && isHex(line[position + 2]) && isHex(line[position + 3])) {
          word += String.fromCharCode(Number.parseInt(line.slice(position + 2, position + 4), 16));
          position += 3;
        } else if (char === '\\' && position + 1 < line.length) {
          position += 1;
          word += ESCAPES[line[position]!] ?? line[position]!;
        } else if (char === '"') {
          if (position + 1 < line.length && !isBlank(line[position + 1])) return undefined;
          done = true;
        } else {
          word += char;
        }
      } else if (quote === 'single') {
        if (char === undefined) return undefined;
        if (char === '\\' && line[position + 1] === '\'') {
          position += 1;
          word += '\'';
        } else if (char === '\'') {
          if (position + 1 < line.length && !isBlank(line[position + 1])) return undefined;
          done = true;
        } else {
          word += char;
        }
      } else if (char === undefined || char === ' ' || char === '\t' || char === '\n' || char === '\r') {
        done = true;
      } else if (char === '"') {
        quote = 'double';
      } else if (char === '\'') {
        quote = 'single';
      } else {
        word += char;
      }
      if (position < line.length) position += 1;
    }
    words.push(word);
  }
}

const REPR: Readonly<Record<string, string>> = { '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\x07': '\\a', '\b': '\\b' };

/** `value` as one double-quoted word, escaped the way sdscatrepr does it (splitConfigLine reads it back whole). */
export function quoteConfigWord(value: string): string {
  let quoted = '"';
  for (const char of value) {
    const code = char.charCodeAt(0);
    quoted += REPR[char] ?? (code < 0x20 || code === 0x7f ? `\\x${code.toString(16).padStart(2, '0')}` : char);
  }
  return `${quoted}"`;
}
