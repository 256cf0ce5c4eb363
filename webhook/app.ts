/**
 * The admission boundary: an express app with one route per webhook. Every answer is an AdmissionReview:
 * decisions are HTTP 200 (denials carry status.code 403/422, internal errors fail closed with 500); bodies that are
 * not a review get 400, bodies over the limit 413, both still AdmissionReview-shaped with the uid when recoverable.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { createLogger, type Logger } from '../shared/logger.js';
import { ADMISSION_API_VERSION, denyReview, parseAdmissionReview, recoverUid, type AdmissionRequest, type AdmissionReview } from './admission-review.js';
import {
  DEFAULT_RECONCILER_USERNAME, handleMutateKVStore, handleValidateKVPolicy, handleValidateKVStore,
  type HandlerContext, type HandlerOutcome,
} from './handlers.js';
import { createWebhookMetrics, type AdmissionResult, type WebhookMetrics, type WebhookName } from './metrics.js';
import { NO_POLICIES, type PolicyPort } from './policy-port.js';

/**
 * Two objects (UPDATE carries object and oldObject) of at most ~3 MiB each, as etcd allows, plus the envelope:
 * the same bound controller-runtime uses.
 */
export const MAX_BODY_BYTES = 7 * 1024 * 1024;

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
}

type Handler = (request: AdmissionRequest, context: HandlerContext) => HandlerOutcome;

const HANDLERS: Record<WebhookName, Handler> = {
  'mutate-kvstore': handleMutateKVStore,
  'validate-kvstore': handleValidateKVStore,
  'validate-kvpolicy': handleValidateKVPolicy,
};

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function resultOf(review: AdmissionReview): AdmissionResult {
  if (review.response.allowed) return 'allowed';
  return review.response.status?.code === 500 ? 'error' : 'denied';
}

export function createWebhookApp(options: WebhookAppOptions = {}): express.Express {
  const logger = options.logger ?? createLogger('webhook');
  const metrics = options.metrics ?? createWebhookMetrics({ processMetrics: false });
  const context: HandlerContext = {
    policy: options.policy ?? NO_POLICIES,
    reconcilerUsername: options.reconcilerUsername ?? DEFAULT_RECONCILER_USERNAME,
  };
  const maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  const reject = (res: Response, webhook: WebhookName | undefined, httpStatus: number, uid: string, message: string): void => {
    if (webhook) {
      metrics.recordAdmission(webhook, 'UNKNOWN', 'error', 0);
      metrics.recordDenial(webhook, httpStatus === 413 ? 'RequestEntityTooLarge' : 'BadRequest');
    }
    logger.warn({ webhook, uid, httpStatus, reason: message }, 'malformed admission request');
    res.status(httpStatus).json(denyReview(uid, httpStatus, message));
  };

  const answer = (webhook: WebhookName) => (req: Request, res: Response): void => {
    const startedNs = process.hrtime.bigint();
    const text = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
    if (text.trim() === '') return reject(res, webhook, 400, '', 'the request body is empty');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error: unknown) {
      return reject(res, webhook, 400, recoverUid(text), `the request body is not JSON: ${errorMessage(error)}`);
    }
    const parsed = parseAdmissionReview(body);
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
    metrics.recordPolicyViolations(outcome.violations);
    const status = outcome.review.response.status;
    const entry = {
      webhook, uid: request.uid, operation: request.operation, kind: request.kind.kind, subResource: request.subResource,
      namespace: request.namespace, name: request.name, user: request.userInfo.username, dryRun: request.dryRun,
      allowed: outcome.review.response.allowed, code: status?.code, patched: outcome.review.response.patch !== undefined,
      skipped: outcome.skipped, durationMs: durationSeconds * 1000,
    };
    if (result === 'allowed') logger.debug(entry, 'admission allowed');
    else logger.info({ ...entry, message: status?.message }, `admission ${result}`);
    res.status(200).json(outcome.review);
  };

  const requireJson = (webhook: WebhookName) => (req: Request, res: Response, next: NextFunction): void => {
    // Checked on the header itself: req.is() answers null for an empty body, which deserves its own message.
    const type = req.headers['content-type'];
    if (type?.split(';')[0]!.trim().toLowerCase() === 'application/json') return next();
    reject(res, webhook, 400, '', type ? `content type must be application/json, got ${type}` : 'content type application/json is required');
  };

  for (const [webhook, path] of Object.entries(WEBHOOK_PATHS) as Array<[WebhookName, string]>) {
    app.post(path, requireJson(webhook), express.raw({ type: () => true, limit: maxBodyBytes }), answer(webhook));
  }

  app.use((req: Request, res: Response) => {
    res.status(404).json(denyReview('', 404, `no admission webhook at ${req.method} ${req.path}`));
  });

  // Body-parser failures (too large, aborted, bad encoding) and anything unexpected: still an AdmissionReview.
  app.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    const webhook = (Object.entries(WEBHOOK_PATHS) as Array<[WebhookName, string]>).find(([, path]) => path === req.path)?.[0];
    const type = (error as { type?: string }).type;
    if (type === 'entity.too.large') return reject(res, webhook, 413, '', `the request body exceeds ${maxBodyBytes} bytes`);
    const status = (error as { status?: number }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) return reject(res, webhook, 400, '', errorMessage(error));
    logger.error({ err: error, webhook }, 'unexpected error in the webhook app');
    res.status(200).json(denyReview('', 500, `internal error in the redwing webhook: ${errorMessage(error)}`));
  });
  return app;
}
