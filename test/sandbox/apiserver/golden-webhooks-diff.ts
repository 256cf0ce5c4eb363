// Compares a recorded JSON value with ours, field by field. Values that vary per run are not compared literally:
// uids and resourceVersions must map one to one (the first sighting of a recorded value fixes which of ours it
// stands for, so "the Scale carries the old resourceVersion" is still checked), and timestamps only need the same
// type (a string, or null as in a CREATE's `creationTimestamp: null`).
import { isPlainObject } from '../../../shared/json-value.js';

const MAPPED_KEYS = new Set(['uid', 'resourceVersion']);
const TIMESTAMP_KEYS = new Set(['creationTimestamp', 'deletionTimestamp', 'time']);
/** Per-credential, and only X509 clients have one; the replay authenticates with a bearer token. */
const CREDENTIAL_ID = 'authentication.kubernetes.io/credential-id';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Recorded uid/resourceVersion → ours, learned as the replay goes. */
export class VaryingValues {
  private readonly ours = new Map<string, string>();

  /** True when `ours` is what `recorded` stands for (or `recorded` is seen for the first time). */
  match(recorded: string, ours: string): boolean {
    const known = this.ours.get(recorded);
    if (known === undefined) {
      this.ours.set(recorded, ours);
      return true;
    }
    return known === ours;
  }

  /** A recorded request body with our uids and resourceVersions in place of the recorded ones. */
  translateBody(value: unknown, key = ''): unknown {
    if (Array.isArray(value)) return value.map((item) => this.translateBody(item));
    if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, item]) => [k, this.translateBody(item, k)]));
    if (typeof value === 'string' && MAPPED_KEYS.has(key)) return this.ours.get(value) ?? value;
    return value;
  }

  /** Replaces the recorded uids inside a text (a message quoting a request uid) with ours. */
  translate(text: string): string {
    let out = text;
    for (const [recorded, ours] of this.ours) if (UUID.test(recorded)) out = out.split(recorded).join(ours);
    return out;
  }
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

function withoutCredentialId(extra: unknown): unknown {
  if (!isPlainObject(extra)) return extra;
  const rest = Object.fromEntries(Object.entries(extra).filter(([key]) => key !== CREDENTIAL_ID));
  return Object.keys(rest).length === 0 ? undefined : rest;
}

function diffVarying(key: string, recorded: unknown, ours: unknown, values: VaryingValues, at: string): string[] {
  if (typeof recorded === 'string' && typeof ours === 'string') {
    if (TIMESTAMP_KEYS.has(key) || values.match(recorded, ours)) return [];
    return [`${at}: ${show(ours)} is not the value that stood for ${show(recorded)} earlier`];
  }
  return recorded === ours ? [] : [`${at}: expected ${show(recorded)}, got ${show(ours)}`];
}

/** managedFields entries in a fixed order: kube-apiserver orders them by time in seconds, which varies per run. */
function byManager(entries: unknown): unknown {
  if (!Array.isArray(entries)) return entries;
  const key = (entry: unknown): string => (isPlainObject(entry) ? `${String(entry.manager)}/${String(entry.operation)}/${String(entry.subresource ?? '')}` : '');
  return [...entries].sort((a, b) => key(a).localeCompare(key(b)));
}

/** Every difference between a recorded value and ours, one line each, naming the JSON path. */
export function diffJson(recorded: unknown, ours: unknown, values: VaryingValues, at = '$'): string[] {
  if (Array.isArray(recorded)) {
    if (!Array.isArray(ours)) return [`${at}: expected an array ${show(recorded)}, got ${show(ours)}`];
    const lengths = recorded.length === ours.length ? [] : [`${at}: expected ${recorded.length} items, got ${ours.length}: ${show(ours)}`];
    return [...lengths, ...recorded.slice(0, ours.length).flatMap((item, i) => diffJson(item, ours[i], values, `${at}[${i}]`))];
  }
  if (isPlainObject(recorded)) {
    if (!isPlainObject(ours)) return [`${at}: expected an object ${show(recorded)}, got ${show(ours)}`];
    const differences: string[] = [];
    for (const key of new Set([...Object.keys(recorded), ...Object.keys(ours)])) {
      const path = `${at}.${key}`;
      let r = recorded[key];
      let o = ours[key];
      if (key === 'extra') {
        r = withoutCredentialId(r);
        o = withoutCredentialId(o);
      } else if (key === 'managedFields') {
        r = byManager(r);
        o = byManager(o);
      }
      if (r === undefined && o === undefined) continue;
      if (r === undefined) differences.push(`${path}: not in the recording, got ${show(o)}`);
      else if (o === undefined) differences.push(`${path}: missing, expected ${show(r)}`);
      else if (MAPPED_KEYS.has(key) || TIMESTAMP_KEYS.has(key)) differences.push(...diffVarying(key, r, o, values, path));
      else differences.push(...diffJson(r, o, values, path));
    }
    return differences;
  }
  if (typeof recorded === 'string' && typeof ours === 'string') {
    const expected = values.translate(recorded);
    return expected === ours ? [] : [`${at}: expected ${show(expected)}, got ${show(ours)}`];
  }
  return recorded === ours ? [] : [`${at}: expected ${show(recorded)}, got ${show(ours)}`];
}
