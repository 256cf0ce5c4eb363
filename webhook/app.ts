/**
 * The admission boundary: a plain `node:http` request listener with one route per webhook (no framework: express'
 * middleware chain, body parser and response helpers cost more CPU per request than the admission logic itself).
 * Every answer is an AdmissionReview: decisions are HTTP 200 (denials carry status.code 403/422, internal errors
 * fail closed with 500); bodies that are not a review get 400, bodies over the limit 413, an unsupported content
 * encoding 415, all still AdmissionReview-shaped with the uid when recoverable.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createLogger, type Logger } from '../shared/logger.js';
import { ADMISSION_API_VERSION, denyReview, parseAdmissionReview, recoverUid, type AdmissionRequest, type AdmissionReview } from './admission-review.js';
import {
  handleMutateKVStore, handleValidateKVPolicy, handleValidateKVStore,
  type HandlerContext, type HandlerOutcome,
} from './handlers.js';
import { createWebhookMetrics, type AdmissionResult, type WebhookMetrics, type WebhookName } from './metrics.js';
import { DEFAULT_RECONCILER_USERNAME, NO_POLICIES, type PolicyPort } from '../policy/policy-port.js';
import { BodyBudget } from './body-budget.js';
import { bodyBytesToReserve, readRequestBody } from './request-body.js';
import { errorMessage } from '../shared/error-message.js';

/**
 * Two objects (UPDATE carries object and oldObject) of at most ~3 MiB each, as etcd allows, plus the envelope:
 * the same bound controller-runtime uses.
 */
export const MAX_BODY_BYTES = 7 * 1024 * 1024;

/**
 * Two of the largest bodies at once: parsing and judging are one at a time anyway, so more buffered bodies only
 * wait in memory; measured with `npm run bench:webhook-burst` (docs in README, "Benchmarks").
 */
export const MAX_BUFFERED_BODY_BYTES = 2 * MAX_BODY_BYTES;

/**
 * A request holding a share of the body budget must finish sending within this, or it is cut: otherwise two
 * clients trickling 7 MiB bodies could hold the whole budget and stall every admission. The API server sends its
 * body at once, and gives up on a webhook after at most 30 s anyway.
 */
export const BODY_READ_TIMEOUT_MS = 10_000;

export const WEBHOOK_PATHS: Record<WebhookName, string> = {
  'mutate-kvstore': '/mutate/kvstore',
  'validate-kvstore': '/validate/kvstore',
  'validate-kvpolicy': '/validate/kvpolicy',
};

export interface WebhookAppOptions {
  policy?: PolicyPort;
  metrics?: WebhookMetrics;
  logger?: Logger;
  /** The reconciler's service account; its requests skip policy (never the schema). */
  reconcilerUsername?: string;
  /** Default MAX_BODY_BYTES. */
  maxBodyBytes?: number;
  /** Request-body bytes held at once across requests (see body-budget.ts); default MAX_BUFFERED_BODY_BYTES. */
  bodyBudget?: BodyBudget;
  /** How long a request may take to send its body once it may; default BODY_READ_TIMEOUT_MS. */
  bodyReadTimeoutMs?: number;
}

type Handler = (request: AdmissionRequest, context: HandlerContext) => HandlerOutcome;

const HANDLERS: Record<WebhookName, Handler> = {
  'mutate-kvstore': handleMutateKVStore,
  'validate-kvstore': handleValidateKVStore,
  'validate-kvpolicy': handleValidateKVPolicy,
};


/** What the HTTPS server (and supertest) calls for each request. */
export type WebhookApp = (req: IncomingMessage, res: ServerResponse) => void;

const WEBHOOK_BY_PATH = new Map((Object.entries(WEBHOOK_PATHS) as Array<[WebhookName, string]>).map(([webhook, path]) => [path, webhook]));

function sendJson(res: ServerResponse, httpStatus: number, review: AdmissionReview): void {
  const text = JSON.stringify(review);
  // A string body with headers not yet sent goes out in one write (one TLS record), a Buffer in two.
  res.writeHead(httpStatus, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function isJsonContentType(type: string | undefined): boolean {
  if (!type) return false;
  const semicolon = type.indexOf(';');
  return (semicolon === -1 ? type : type.slice(0, semicolon)).trim().toLowerCase() === 'application/json';
}

function resultOf(review: AdmissionReview): AdmissionResult {
  if (review.response.allowed) return 'allowed';
  return review.response.status?.code === 500 ? 'error' : 'denied';
}

export function createWebhookApp(options: WebhookAppOptions = {}): WebhookApp {
  const logger = options.logger ?? createLogger('webhook');
  const metrics = options.metrics ?? createWebhookMetrics({ processMetrics: false });
  const context: HandlerContext = {
    policy: options.policy ?? NO_POLICIES,
    reconcilerUsername: options.reconcilerUsername ?? DEFAULT_RECONCILER_USERNAME,
  };
  const maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const bodyBudget = options.bodyBudget ?? new BodyBudget(MAX_BUFFERED_BODY_BYTES);
  const bodyReadTimeoutMs = options.bodyReadTimeoutMs ?? BODY_READ_TIMEOUT_MS;

  const reject = (res: ServerResponse, webhook: WebhookName | undefined, httpStatus: number, uid: string, message: string): void => {
    if (webhook) {
      metrics.recordAdmission(webhook, 'UNKNOWN', 'error', 0);
      metrics.recordDenial(webhook, httpStatus === 413 ? 'RequestEntityTooLarge' : httpStatus === 415 ? 'UnsupportedMediaType' : 'BadRequest');
    }
    logger.warn({ webhook, uid, httpStatus, reason: message }, 'malformed admission request');
    sendJson(res, httpStatus, denyReview(uid, httpStatus, message));
  };

  const answer = (webhook: WebhookName, body: Buffer, res: ServerResponse, startedNs: bigint): void => {
    const text = body.toString('utf8');
    let parsedBody: unknown;
    try {
      parsedBody = JSON.parse(text);
    } catch (error: unknown) {
      if (text.trim() === '') return reject(res, webhook, 400, '', 'the request body is empty');
      return reject(res, webhook, 400, recoverUid(text), `the request body is not JSON: ${errorMessage(error)}`);
    }
    const parsed = parseAdmissionReview(parsedBody);
    if (!parsed.ok) return reject(res, webhook, 400, parsed.uid, `not an ${ADMISSION_API_VERSION} AdmissionReview: ${parsed.message}`);
    const request = parsed.request;
    let outcome: HandlerOutcome;
    try {
      outcome = HANDLERS[webhook](request, context);
    } catch (error: unknown) {
      // Fail closed whatever the webhook's failurePolicy: a 200 with allowed:false, never a non-2xx.
      logger.error({ err: error, webhook, uid: request.uid }, 'admission handler failed');
      outcome = { review: denyReview(request.uid, 500, `internal error in the redwing webhook: ${errorMessage(error)}`), denialReason: 'InternalError', violations: [] };
    }
    const durationSeconds = Number(process.hrtime.bigint() - startedNs) / 1e9;
    const result = resultOf(outcome.review);
    metrics.recordAdmission(webhook, request.operation, result, durationSeconds);
    if (outcome.denialReason) metrics.recordDenial(webhook, outcome.denialReason);
    if (outcome.violations.length > 0) metrics.recordPolicyViolations(outcome.violations);
    // Allowed requests are logged at debug level: build the entry only when someone reads it.
    if (result !== 'allowed' || logger.isLevelEnabled('debug')) {
      const status = outcome.review.response.status;
      const entry = {
        webhook, uid: request.uid, operation: request.operation, kind: request.kind.kind, subResource: request.subResource,
        namespace: request.namespace, name: request.name, user: request.userInfo.username, dryRun: request.dryRun,
        allowed: outcome.review.response.allowed, code: status?.code, patched: outcome.review.response.patch !== undefined,
        skipped: outcome.skipped, durationMs: durationSeconds * 1000,
      };
      if (result === 'allowed') logger.debug(entry, 'admission allowed');
      else logger.info({ ...entry, message: status?.message }, `admission ${result}`);
    }
    sendJson(res, 200, outcome.review);
  };

  return (req, res) => {
    const startedNs = process.hrtime.bigint();
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    const webhook = WEBHOOK_BY_PATH.get(path);
    // Every refusal waits for the whole body (readRequestBody discards it past the cap): answering while the
    // client is still sending can reach it as a reset instead of the answer.
    if (webhook === undefined || req.method !== 'POST') {
      req.resume();
      req.once('end', () => sendJson(res, 404, denyReview('', 404, `no admission webhook at ${req.method} ${path}`)));
      return;
    }
    // Checked on the header itself, before reading: an empty body deserves its own message, a wrong type this one.
    const type = req.headers['content-type'];
    if (!isJsonContentType(type)) {
      req.resume();
      req.once('end', () => reject(res, webhook, 400, '', type ? `content type must be application/json, got ${type}` : 'content type application/json is required'));
      return;
    }
    // The body is read once its bytes fit in the budget; until then it stays unread in the socket.
    const reserved = bodyBytesToReserve(req, maxBodyBytes);
    let state: 'waiting' | 'reading' | 'done' = 'waiting';
    let readDeadline: NodeJS.Timeout | undefined;
    const finish = (): void => {
      clearTimeout(readDeadline);
      if (state === 'reading') bodyBudget.release(reserved);
      state = 'done';
    };
    const cancel = bodyBudget.reserve(reserved, () => {
      state = 'reading';
      readDeadline = setTimeout(() => {
        logger.warn({ webhook, reserved }, 'request body not received in time; connection closed');
        req.destroy();
      }, bodyReadTimeoutMs);
      readRequestBody(req, maxBodyBytes, (read) => {
        clearTimeout(readDeadline);
        try {
          if (!read.ok) return reject(res, webhook, read.httpStatus, '', read.message);
          answer(webhook, read.body, res, startedNs);
        } catch (error: unknown) {
          // Only a bug gets here (answer() turns handler errors into reviews): still an AdmissionReview, still closed.
          logger.error({ err: error, webhook }, 'unexpected error in the webhook app');
          if (!res.headersSent) sendJson(res, 200, denyReview('', 500, `internal error in the redwing webhook: ${errorMessage(error)}`));
        } finally {
          finish();
        }
      });
    });
    // A client that goes away while waiting or sending gives its share back.
    req.once('close', () => {
      if (state === 'waiting') cancel();
      finish();
    });
  };
}
