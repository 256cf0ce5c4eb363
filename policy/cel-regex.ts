/**
 * Regular expressions of CEL `matches`: RE2 (linear-time matching, no catastrophic backtracking), as cel-es itself
 * uses; @bufbuild/re2 is @bufbuild/cel's own pinned dependency. Matching is linear, compiling is not free: a
 * repetition `x{1000}` is a thousand program instructions, and a long literal compiles in quadratic time (30,000 characters: 3.4 s); measured 1–2.3 µs per instruction of repetitions. A pattern can come from the object
 * (`x.matches(object.spec.image)`), so patterns are bounded in length and charged their expanded size.
 */
import { RE2JS } from '@bufbuild/re2';

/** Longer patterns are an evaluation error (a 1,024-character literal compiles in ~12 ms). */
export const MAX_REGEX_PATTERN_LENGTH = 1024;

/** RE2 refuses larger repetition counts; a larger one in the pattern is an error at compile time anyway. */
const MAX_REPEAT = 1000;

/** Units charged per instruction of the compiled program (1–2.3 µs each, a unit being 0.1–0.2 µs). */
export const REGEX_UNITS_PER_INSTRUCTION = 10;

/** Units per character of text matched, per 16 instructions of program (at least one factor). */
const REGEX_UNITS_PER_CHAR = 3;
const INSTRUCTIONS_PER_FACTOR = 16;

/** The index after the character class starting at `start` (`[...]`, a `]` first is literal). */
function endOfClass(pattern: string, start: number): number {
  let index = start + 1;
  if (pattern[index] === '^') index += 1;
  if (pattern[index] === ']') index += 1;
  while (index < pattern.length && pattern[index] !== ']') index += pattern[index] === '\\' ? 2 : 1;
  return index + 1;
}

/** The index after the escape at `start` (`\d`, `\pL`, `\p{Greek}`, `\x{10FFFF}`). */
function endOfEscape(pattern: string, start: number): number {
  const letter = pattern[start + 1];
  if ((letter === 'p' || letter === 'P' || letter === 'x') && pattern[start + 2] === '{') {
    const close = pattern.indexOf('}', start + 3);
    return close === -1 ? pattern.length : close + 1;
  }
  return start + (letter === 'p' || letter === 'P' ? 3 : 2);
}

/**
 * An upper estimate of the compiled program's size: one instruction per atom and operator, each repetition
 * `{n,m}` copying what it repeats (a group as a whole) up to m times. Nested groups multiply.
 */
export function regexProgramSize(pattern: string): number {
  const groups: number[] = [0];
  let lastAtom = 0;
  for (let index = 0; index < pattern.length;) {
    const char = pattern[index]!;
    if (char === '(') {
      groups.push(0);
      lastAtom = 0;
      index += 1;
      continue;
    }
    if (char === ')' && groups.length > 1) {
      lastAtom = groups.pop()! + 1;
      groups[groups.length - 1]! += lastAtom;
      index += 1;
      continue;
    }
    const repeat = char === '{' ? /^\{(\d+)(?:,(\d*))?\}/.exec(pattern.slice(index, index + 16)) : null;
    if (repeat) {
      const count = Math.min(MAX_REPEAT, Math.max(Number(repeat[1]), Number(repeat[2] || 0)));
      groups[groups.length - 1]! += lastAtom * Math.max(0, count - 1);
      lastAtom *= Math.max(1, count);
      index += repeat[0].length;
      continue;
    }
    const end = char === '[' ? endOfClass(pattern, index) : char === '\\' ? endOfEscape(pattern, index) : index + 1;
    lastAtom = 1;
    groups[groups.length - 1]! += 1;
    index = end;
  }
  return groups.reduce((sum, size) => sum + size, 0);
}

/** The units of `text.matches(pattern)`: compiling the pattern, then matching the text with it. */
export function matchCost(textLength: number, pattern: string): number {
  const instructions = regexProgramSize(pattern);
  const factor = 1 + Math.ceil(instructions / INSTRUCTIONS_PER_FACTOR);
  return instructions * REGEX_UNITS_PER_INSTRUCTION + textLength * REGEX_UNITS_PER_CHAR * factor;
}

const REGEX_CACHE_LIMIT = 256;
const regexCache = new Map<string, RE2JS>();

/**
 * The compiled pattern, cached (cel-es compiles at every call, ~100 µs; policies reuse a handful of patterns).
 * Throws for a pattern over MAX_REGEX_PATTERN_LENGTH: the evaluation fails with that message.
 */
export function compiledRegex(pattern: string): RE2JS {
  let regex = regexCache.get(pattern);
  if (!regex) {
    if (pattern.length > MAX_REGEX_PATTERN_LENGTH) {
      throw new Error(`the regular expression is ${pattern.length} characters long; at most ${MAX_REGEX_PATTERN_LENGTH} are accepted`);
    }
    regex = RE2JS.compile(pattern);
    if (regexCache.size >= REGEX_CACHE_LIMIT) regexCache.delete(regexCache.keys().next().value!);
    regexCache.set(pattern, regex);
  }
  return regex;
}
