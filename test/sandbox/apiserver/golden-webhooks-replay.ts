// Replays one golden webhook file (27–30) against a sandbox API server and a real HTTPS webhook. Each client
// exchange is sent as recorded; the webhook calls it causes are compared with the `kube-apiserver -> webhook`
// items that follow it (path and query, headers, the AdmissionReview), then the client's answer (status,
// content-type and Warning headers, body). The recorded webhook URLs and caBundles are rewritten to the local webhook.
import { readFileSync } from 'node:fs';
import type { TestServer } from './helpers.js';
import { diffJson, VaryingValues } from './golden-webhooks-diff.js';
import type { RecordingWebhook, WebhookAnswer, WebhookAnswerer } from './golden-webhooks-server.js';
import { readGolden } from '../../helpers/golden.js';
import { isPlainObject } from '../../../shared/json-value.js';

/** Where the recording's webhook listened, and where nothing did ("connection refused"). */
const RECORDED_WEBHOOK = '127.0.0.1:8444';
const RECORDED_DEAD_PORT = '127.0.0.1:8449';
const USER_AGENT = 'golden-recorder/1.0 (linux/amd64) python-requests';

export interface GoldenExchange {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface GoldenItem {
  note?: string;
  direction?: string;
  request?: GoldenExchange;
  response?: { status: number; headers?: Record<string, unknown>; body?: unknown };
}

export interface ReplayTargets {
  /** the local webhook's `127.0.0.1:<port>` */
  webhookHost: string;
  /** a loopback `127.0.0.1:<port>` nothing listens on */
  deadHost: string;
  caBundle: string;
  /** the caBundle for webhooks whose recorded CA did not sign the webhook's certificate */
  foreignCaBundle: string;
  /** names of those webhooks */
  foreignCaWebhooks: ReadonlySet<string>;
}

/** Points every webhook clientConfig of the recording at the local webhook, with a caBundle it can verify. */
function retarget(value: unknown, targets: ReplayTargets): unknown {
  if (Array.isArray(value)) return value.map((item) => retarget(item, targets));
  if (typeof value === 'string') return value.split(RECORDED_WEBHOOK).join(targets.webhookHost).split(RECORDED_DEAD_PORT).join(targets.deadHost);
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = retarget(item, targets);
  if (isPlainObject(out.clientConfig) && out.clientConfig.caBundle === '<redacted>') {
    const foreign = typeof out.name === 'string' && targets.foreignCaWebhooks.has(out.name);
    out.clientConfig = { ...out.clientConfig, caBundle: foreign ? targets.foreignCaBundle : targets.caBundle };
  }
  return out;
}

export function readGoldenItems(file: string, targets: ReplayTargets): GoldenItem[] {
  return retarget(readGolden(file), targets) as GoldenItem[];
}

function isWebhookCall(item: GoldenItem): boolean {
  return item.direction === 'kube-apiserver -> webhook';
}

function requestUid(review: unknown): unknown {
  return isPlainObject(review) && isPlainObject(review.request) ? review.request.uid : undefined;
}

/**
 * Answers as the recorded webhook did, per path: a recorded answer that echoed the request uid echoes ours, any
 * other (a wrong uid, a body that is not JSON) is sent unchanged. Paths the file recorded no call for use `others`.
 */
export function recordedAnswers(items: GoldenItem[], others: Record<string, WebhookAnswer>): WebhookAnswerer {
  const byPath = new Map<string, { recordedUid: unknown; answer: WebhookAnswer }>();
  for (const item of items) {
    if (!isWebhookCall(item) || !item.request || !item.response) continue;
    const contentType = item.response.headers?.['content-type'];
    byPath.set(item.request.path.split('?')[0] ?? '', {
      recordedUid: requestUid(item.request.body),
      answer: { status: item.response.status, contentType: typeof contentType === 'string' ? contentType : 'application/json', body: item.response.body },
    });
  }
  return (path, review) => {
    const recorded = byPath.get(path);
    if (!recorded) return others[path] ?? { status: 404, contentType: 'text/plain', body: `no recorded answer for ${path}` };
    const { body } = recorded.answer;
    if (!isPlainObject(body) || !isPlainObject(body.response) || body.response.uid !== recorded.recordedUid) return recorded.answer;
    return { ...recorded.answer, body: { ...body, response: { ...body.response, uid: requestUid(review) } } };
  };
}

/** The Warning header lines of a response, in order. */
function warningsOf(rawHeaders: string[]): string[] {
  return rawHeaders.flatMap((value, i) => (i % 2 === 1 && rawHeaders[i - 1]?.toLowerCase() === 'warning' ? [value] : []));
}

export interface ReplayOptions {
  server: TestServer;
  webhook: RecordingWebhook;
  /** bearer token of the user the recording's client was (kubernetes-admin, group system:masters) */
  token: string;
  /** steps the recording's other actors took, run right after the client item with that index */
  after?: Record<number, () => Promise<void>>;
  /** steps that set up what the recording had made beforehand, run right before that item */
  before?: Record<number, () => Promise<void>>;
}

/** Replays the items; returns one line per difference, prefixed with the item index. */
export async function replayWebhookFile(items: GoldenItem[], options: ReplayOptions): Promise<{ differences: string[]; exchanges: number; calls: number }> {
  const { server, webhook, token } = options;
  const values = new VaryingValues();
  const differences: string[] = [];
  let exchanges = 0;
  let calls = 0;
  for (const [index, item] of items.entries()) {
    const { request, response } = item;
    if (!request || !response || isWebhookCall(item)) continue;
    await options.before?.[index]?.();
    const firstCall = webhook.calls.length;
    const body = request.body === undefined ? undefined : typeof request.body === 'string' ? request.body : JSON.stringify(values.translateBody(request.body));
    const res = await server.request(request.method, request.path, { body, contentType: request.headers?.['content-type'], accept: request.headers?.accept, token, headers: { 'user-agent': USER_AGENT } });
    await options.after?.[index]?.();
    exchanges++;
    const at = `#${index} ${request.method} ${request.path}`;

    const recordedCalls: GoldenItem[] = [];
    for (let next = index + 1; next < items.length && isWebhookCall(items[next]!); next++) recordedCalls.push(items[next]!);
    const ourCalls = webhook.calls.slice(firstCall);
    // the recording kept only some calls; where it kept none there is nothing to compare them with
    if (recordedCalls.length > 0) {
      calls += recordedCalls.length;
      if (ourCalls.length !== recordedCalls.length) differences.push(`${at}: the webhook got ${ourCalls.length} calls, the recording ${recordedCalls.length}: ${ourCalls.map((c) => c.path).join(', ')}`);
      for (const [i, recorded] of recordedCalls.entries()) {
        const ours = ourCalls[i];
        if (!ours || !recorded.request) continue;
        const call = { path: recorded.request.path, headers: recorded.request.headers, body: recorded.request.body };
        differences.push(...diffJson(call, ours, values, `call ${i + 1}`).map((line) => `${at}: ${line}`));
      }
    }

    if (res.status !== response.status) differences.push(`${at}: status ${res.status}, recorded ${response.status}`);
    const contentType = response.headers?.['content-type'];
    if (typeof contentType === 'string' && res.headers['content-type'] !== contentType) differences.push(`${at}: content-type ${String(res.headers['content-type'])}, recorded ${contentType}`);
    const recordedWarnings = response.headers?.warning ?? [];
    differences.push(...diffJson(recordedWarnings, warningsOf(res.rawHeaders), values, 'warnings').map((line) => `${at}: ${line}`));
    differences.push(...diffJson(response.body, res.body, values, 'body').map((line) => `${at}: ${line}`));
  }
  return { differences, exchanges, calls };
}
