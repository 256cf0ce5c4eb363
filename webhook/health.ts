/**
 * The metrics port: `/healthz` (the process serves), `/readyz` (the serving certificate is loaded and, in cluster
 * mode, the CA bundle injected; false again while shutting down) and `/metrics` (Prometheus text format).
 */
import express, { type Request, type Response } from 'express';
import type { Registry } from 'prom-client';

export interface HealthAppOptions {
  registry: Registry;
  isReady(): boolean;
}

export function createHealthApp(options: HealthAppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req: Request, res: Response) => {
    res.type('text/plain').send('ok');
  });
  app.get('/readyz', (_req: Request, res: Response) => {
    let ready = false;
    try {
      ready = options.isReady();
    } catch {
      ready = false;
    }
    res.status(ready ? 200 : 503).type('text/plain').send(ready ? 'ok' : 'not ready');
  });
  app.get('/metrics', async (_req: Request, res: Response) => {
    res.type(options.registry.contentType).send(await options.registry.metrics());
  });
  return app;
}
