// Replays recorded kube-apiserver v1.32 exchanges (research/apiserver-golden) against the sandbox API server.
// Values that vary between runs (resourceVersions, uids, generated names) are learned from the recording and our
// answers as they come in, and translated in later requests and expected messages.
import type { IncomingHttpHeaders } from 'node:http';
import type { TestServer } from '../helpers.js';
import { goldenSkip, readGolden } from '../../../helpers/golden.js';
import { waitFor } from '../../../../harness/wait-for.js';

/** For describe(): skips a whole file's tests where the recordings are not on this machine. */
export const GOLDEN_SKIP = goldenSkip;

export interface GoldenRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
  rawBody?: string;
}

export interface GoldenResponse {
  status: number;
  headers?: Record<string, string | string[]>;
  body?: unknown;
  rawBody?: string;
  chunks?: { text?: string }[];
}

export interface GoldenItem {
  note?: string;
  direction?: string;
  request?: GoldenRequest;
  response?: GoldenResponse;
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: unknown;
  text: string;
}

export function loadGolden(file: string): GoldenItem[] {
  return readGolden<GoldenItem>(file);
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** The fields of a Status body that the replay compares. */
export function failureOf(body: unknown): { reason?: unknown; message: string } | undefined {
  const status = record(body);
  if (status?.kind !== 'Status' || status.status !== 'Failure') return undefined;
  return { reason: status.reason, message: String(status.message ?? '') };
}

/**
 * The fields listed as varying in every file of the golden README (uid, resourceVersion, timestamps), blanked in
 * JSON (compact or pretty) and YAML text, so the rest can be compared byte for byte.
 */
export function blankVaryingFields(text: string): string {
  return text
    .replace(/("(?:uid|resourceVersion|creationTimestamp|deletionTimestamp|time|buildDate)":\s*)"[^"]*"/g, '$1"…"')
    .replace(/^(\s*(?:- )?(?:uid|resourceVersion|creationTimestamp|deletionTimestamp|time): ).*$/gm, '$1…');
}

/** Every field path of a JSON value, sorted (`metadata.name`, `items[0].data`). */
export function fieldPaths(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => fieldPaths(item, `${prefix}[${i}]`));
  const object = record(value);
  if (!object) return [];
  return Object.keys(object).flatMap((key) => [`${prefix}${prefix ? '.' : ''}${key}`, ...fieldPaths(object[key], `${prefix}${prefix ? '.' : ''}${key}`)]).sort();
}

/** The two texts around the first byte where they differ, so a long body's mismatch is readable. */
export function firstDifference(expected: string, actual: string): string {
  let at = 0;
  while (at < expected.length && expected[at] === actual[at]) at++;
  const from = Math.max(0, at - 120);
  return `  at byte ${at}\n  expected …${expected.slice(from, at + 120)}\n  got      …${actual.slice(from, at + 120)}`;
}

/**
 * The bytes the recorder sent for a JSON body: python-requests' `json=` writes json.dumps(), with ", " and ": "
 * between items and non-ASCII escaped. Messages that quote a request body depend on it (golden 15).
 */
export function pythonJsonDumps(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(', ')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.entries(value).map(([key, item]) => `${pythonJsonDumps(key)}: ${pythonJsonDumps(item)}`).join(', ')}}`;
  }
  if (typeof value === 'string') return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return JSON.stringify(value);
}

export function isWatchPath(path: string): boolean {
  return /[?&]watch=(true|1)/.test(path) || path.includes('/watch/');
}

/** One line per watch event that the recording and our stream must share (periodic bookmarks are timing). */
export function summarizeEvents(events: unknown[]): string[] {
  const lines: string[] = [];
  for (const event of events) {
    const e = record(event);
    const object = record(e?.object);
    const metadata = record(object?.metadata);
    if (e?.type === 'BOOKMARK' && record(metadata?.annotations)?.['k8s.io/initial-events-end'] !== 'true') continue;
    let what = String(metadata?.name ?? '');
    if (object?.kind === 'Table') {
      const rows = object.rows as { cells?: unknown[] }[] | undefined;
      what = `${String(rows?.[0]?.cells?.[0] ?? '')}${object.columnDefinitions ? '+columns' : ''}`;
    } else if (e?.type === 'ERROR') what = String(object?.code ?? '');
    lines.push(`${String(e?.type)}:${what}`);
  }
  return lines;
}

export function parseEvents(text: string): unknown[] {
  return text.trim() === '' ? [] : text.trim().split('\n').map((line) => JSON.parse(line) as unknown);
}

export interface ReplayOptions {
  /** index → why the item is not replayed */
  skip?: Record<number, string>;
  /** compare the exact body bytes where the recording keeps them (`rawBody`); on unless false */
  bytes?: boolean;
  /** index → what its body shows: our body (or its `only` part) must have exactly the recorded fields; values may differ */
  sameFields?: Record<number, { why: string; only?: string }>;
  /** index → why its body bytes are not compared (status, reason and message still are) */
  skipBytes?: Record<number, string>;
  /** index → why that request is repeated (up to 10 s) until it answers the recorded status: the recorder polled */
  poll?: Record<number, string>;
  /** index → a step the recording made before that item without keeping it (a status write, a wait) */
  steps?: Record<number, () => Promise<void>>;
  /** Extra request headers by item index (e.g. a user-agent the recording implies). */
  headers?: Record<number, Record<string, string>>;
}

export interface ReplayResult {
  compared: number;
  mismatches: string[];
}

export class GoldenReplayer {
  readonly mapping = new Map<string, string>();

  constructor(private readonly t: TestServer) {}

  /** Remembers which recorded uid/resourceVersion/name/etag stands for which of ours. */
  learnResponse(golden: GoldenResponse, ours: Answer): void {
    this.learn(golden.body, ours.body);
    const etag = golden.headers?.etag;
    if (typeof etag === 'string' && typeof ours.headers.etag === 'string') this.mapping.set(etag.replace(/"/g, ''), ours.headers.etag.replace(/"/g, ''));
  }

  learn(golden: unknown, ours: unknown): void {
    const g = record(record(golden)?.metadata);
    const o = record(record(ours)?.metadata);
    if (!g || !o) return;
    for (const key of ['resourceVersion', 'uid']) {
      // a list's resourceVersion is "now", which the sandbox may have moved past (its controllers write too): an
      // object's own resourceVersion, seen first, is the one later requests mean
      const isList = Array.isArray(record(golden)?.items);
      if (typeof g[key] === 'string' && typeof o[key] === 'string' && g[key] !== o[key] && !(isList && this.mapping.has(g[key]))) this.mapping.set(g[key], o[key]);
    }
    // ClusterIPs come from another range (a documented divergence)
    const gSpec = record(record(golden)?.spec);
    const oSpec = record(record(ours)?.spec);
    if (typeof gSpec?.clusterIP === 'string' && typeof oSpec?.clusterIP === 'string' && gSpec.clusterIP !== oSpec.clusterIP) this.mapping.set(gSpec.clusterIP, oSpec.clusterIP);
    // generateName: the random suffix differs
    if (typeof g.generateName === 'string' && typeof g.name === 'string' && typeof o.name === 'string' && g.name !== o.name) this.mapping.set(g.name, o.name);
  }

  translate(text: string): string {
    // a continue token carries its list's resourceVersion inside base64url JSON
    let out = text.replace(/continue=([A-Za-z0-9_-]+)/g, (m, token: string) => {
      try {
        const decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { rv?: number };
        const mapped = this.mapping.get(String(decoded.rv));
        return mapped === undefined ? m : `continue=${Buffer.from(JSON.stringify({ ...decoded, rv: Number(mapped) })).toString('base64url')}`;
      } catch {
        return m;
      }
    });
    for (const [g, o] of this.mapping) {
      out = out.split(`"${g}"`).join(`"${o}"`).split(`(${g})`).join(`(${o})`).split(`/${g}`).join(`/${o}`).split(`\\"${g}\\"`).join(`\\"${o}\\"`);
      // query parameters (resourceVersion=N) and the "current: N" of a 504
      if (/^\d+$/.test(g)) out = out.replace(new RegExp(`(=|current: )${g}(?=&|,|$)`, 'g'), `$1${o}`);
    }
    return out;
  }

  /** Sends a recorded request: the exact `rawBody` bytes when recorded, else the parsed body as JSON (or text). */
  async send(request: GoldenRequest, extraHeaders: Record<string, string> = {}): Promise<Answer> {
    const headers: Record<string, string> = { 'user-agent': request.headers?.['user-agent'] ?? 'golden-recorder/1.0 (linux/amd64) python-requests', ...extraHeaders };
    for (const name of ['if-none-match', 'impersonate-user']) if (request.headers?.[name]) headers[name] = this.translate(request.headers[name]!);
    let body: string | undefined;
    if (request.rawBody !== undefined) body = this.translate(request.rawBody);
    else if (request.body !== undefined && request.body !== null) body = this.translate(typeof request.body === 'string' ? request.body : pythonJsonDumps(request.body));
    const answer = await this.t.request(request.method, this.translate(request.path), { body, contentType: request.headers?.['content-type'], accept: request.headers?.accept, headers });
    return answer as Answer;
  }

  /** Sends an item's request; one the recorder polled is repeated until its status is the recorded one. */
  async sendItem(index: number, item: GoldenItem, options: ReplayOptions): Promise<Answer> {
    const { request, response } = item as Required<Pick<GoldenItem, 'request' | 'response'>>;
    const deadline = Date.now() + 10_000;
    for (;;) {
      const answer = await this.send(request, options.headers?.[index]);
      if (!(index in (options.poll ?? {})) || answer.status === response.status || Date.now() > deadline) return answer;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** What differs between the recorded response and ours, or undefined when they agree. */
  compare(index: number, item: GoldenItem, answer: Answer, bytes: boolean): string | undefined {
    const { request, response } = item as Required<Pick<GoldenItem, 'request' | 'response'>>;
    const where = `#${index} ${request.method} ${request.path}`;
    const expectedFailure = failureOf(response.body);
    const ourFailure = failureOf(answer.body);
    if (answer.status !== response.status) {
      return `${where}: expected ${response.status} ${JSON.stringify(expectedFailure?.message ?? '')}, got ${answer.status} ${JSON.stringify(ourFailure?.message ?? answer.text.slice(0, 300))}`;
    }
    if (expectedFailure) {
      // timestamps vary from run to run, also inside messages that quote an object
      // and so do Go pointer addresses, (*bool)(0xc00dd3cb67)
      const timeless = (text: string) => text.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/g, '<time>').replace(/\(0xc[0-9a-f]+\)/g, '(0x…)');
      const message = this.translate(expectedFailure.message);
      if (ourFailure?.reason !== expectedFailure.reason || timeless(ourFailure?.message ?? '') !== timeless(message)) {
        return `${where}: expected ${String(expectedFailure.reason)} ${JSON.stringify(message)}, got ${String(ourFailure?.reason)} ${JSON.stringify(ourFailure?.message ?? '')}`;
      }
    }
    const expectedWarnings = response.headers?.warning;
    const ourWarnings = answer.headers.warning === undefined ? [] : String(answer.headers.warning).split(/,\s*(?=299 )/);
    if (Array.isArray(expectedWarnings) && JSON.stringify(expectedWarnings.map((w) => this.translate(w))) !== JSON.stringify(ourWarnings)) {
      return `${where}: expected warnings ${JSON.stringify(expectedWarnings)}, got ${JSON.stringify(ourWarnings)}`;
    }
    // protobuf answers belong to the protobuf work (golden 37); until then the sandbox answers JSON (documented)
    const expectedType = response.headers?.['content-type'];
    if (typeof expectedType === 'string' && !expectedType.includes('protobuf') && answer.status !== 304 && expectedType !== answer.headers['content-type']) {
      return `${where}: expected content-type ${expectedType}, got ${String(answer.headers['content-type'])}`;
    }
    if (bytes && response.rawBody !== undefined) {
      const expected = blankVaryingFields(this.translate(response.rawBody));
      const actual = blankVaryingFields(answer.text);
      if (expected !== actual) return `${where}: body bytes differ\n${firstDifference(expected, actual)}`;
    }
    return undefined;
  }

  /** Replays every plain exchange of a file, in order; watches are left to replayWatches(). */
  async replayFile(file: string, options: ReplayOptions = {}): Promise<ReplayResult> {
    const items = loadGolden(file);
    const result: ReplayResult = { compared: 0, mismatches: [] };
    for (const [index, item] of items.entries()) {
      const { request, response } = item;
      if (!request || !response || item.direction || isWatchPath(request.path) || index in (options.skip ?? {})) continue;
      await options.steps?.[index]?.();
      const answer = await this.sendItem(index, item, options);
      this.learnResponse(response, answer);
      result.compared++;
      const mismatch = this.compare(index, item, answer, (options.bytes ?? true) && !(index in (options.skipBytes ?? {})));
      if (mismatch) result.mismatches.push(mismatch);
      const same = options.sameFields?.[index];
      if (same) {
        const part = (body: unknown) => (same.only === undefined ? body : record(body)?.[same.only]);
        const expected = fieldPaths(part(JSON.parse(this.translate(JSON.stringify(response.body ?? null)))));
        const actual = fieldPaths(part(answer.body));
        if (JSON.stringify(expected) !== JSON.stringify(actual)) result.mismatches.push(`#${index} ${request.method} ${request.path}: fields differ: expected ${expected.filter((p) => !actual.includes(p)).join(', ')} got ${actual.filter((p) => !expected.includes(p)).join(', ')}`);
      }
    }
    return result;
  }

  /**
   * Replays a file that holds watches: a watch item's note names the exchanges that ran while it was open
   * ("Exchanges N..M"); those are sent once the watch is registered, and the event sequences are compared.
   */
  async replayWatches(file: string, options: ReplayOptions = {}): Promise<ReplayResult> {
    const items = loadGolden(file);
    const handled = new Set<number>();
    const result: ReplayResult = { compared: 0, mismatches: [] };
    for (const [index, item] of items.entries()) {
      const { request, response } = item;
      if (!request || !response || item.direction || handled.has(index) || index in (options.skip ?? {})) continue;
      await options.steps?.[index]?.();
      result.compared++;
      if (!isWatchPath(request.path) || response.status !== 200 || !Array.isArray(response.body)) {
        const answer = await this.sendItem(index, item, options);
        this.learnResponse(response, answer);
        const mismatch = this.compare(index, item, answer, (options.bytes ?? true) && !(index in (options.skipBytes ?? {})));
        if (mismatch) result.mismatches.push(mismatch);
        continue;
      }
      // a resourceVersion we never saw means "now" in the recording, unless the server refused it (410 ERROR event)
      const store = this.t.server.core.store;
      const known = new Set(this.mapping.values());
      const refused = summarizeEvents(response.body).some((line) => line.startsWith('ERROR:'));
      const path = this.translate(request.path).replace(/resourceVersion=(\d+)/, (m, rv: string) => (rv === '0' || known.has(rv) || refused ? m : `resourceVersion=${store.currentRevision()}`));
      const subscribers = store.subscriberCount();
      const streaming = this.t.request('GET', path, { accept: request.headers?.accept });
      const range = /Exchanges? (\d+)\s*(?:\.\.|-|–)\s*(\d+)/.exec(item.note ?? '');
      if (range) {
        await waitFor('the watch to start', () => store.subscriberCount() > subscribers, 5000);
        for (let i = Number(range[1]); i <= Number(range[2]); i++) {
          const exchange = items[i]!;
          handled.add(i);
          if (!exchange.request || !exchange.response || i in (options.skip ?? {})) continue;
          await options.steps?.[i]?.();
          const answer = await this.sendItem(i, exchange, options);
          this.learnResponse(exchange.response, answer);
          const mismatch = this.compare(i, exchange, answer, (options.bytes ?? true) && !(i in (options.skipBytes ?? {})));
          if (mismatch) result.mismatches.push(mismatch);
        }
      }
      const answer = await streaming;
      const expected = summarizeEvents(response.body);
      const actual = summarizeEvents(parseEvents(answer.text));
      if (JSON.stringify(expected) !== JSON.stringify(actual)) result.mismatches.push(`#${index} ${request.path}: expected ${expected.join(',')}, got ${actual.join(',')}`);
    }
    return result;
  }
}

