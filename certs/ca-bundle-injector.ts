import type { Logger } from 'pino';
import type { KubeClient, WatchHandle } from '../kube/client.js';
import { statusCodeOf } from '../kube/errors.js';
import { bundleCovers, normaliseBundle, sameBundle } from './tls-state.js';

export const DEFAULT_WEBHOOK_CONFIGURATION_NAME = 'redwing-webhook';

type ConfigKind = 'mutating' | 'validating';

interface WebhookConfigurationLike {
  metadata?: { name?: string; resourceVersion?: string };
  webhooks?: Array<{ clientConfig?: { caBundle?: string } }>;
}

export interface CaBundleInjectorOptions {
  client: KubeClient;
  /** MutatingWebhookConfiguration names (default `redwing-webhook`) */
  mutatingWebhookConfigurations?: string[];
  /** ValidatingWebhookConfiguration names (default `redwing-webhook`) */
  validatingWebhookConfigurations?: string[];
  /** The bundle to inject, read fresh (from the Secret) right before every write, so replicas never fight. */
  desiredBundle: () => Promise<string>;
  logger: Logger;
  /** full re-read of every configuration even without watch events (default 60s) */
  resyncIntervalMs?: number;
  /** first reconnect delay of a broken watch; doubles up to 30s */
  reconnectDelayMs?: number;
}

const PATHS: Record<ConfigKind, string> = {
  mutating: '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations',
  validating: '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations',
};

/** Base64 `caBundle` of every webhook equals `bundlePem` (a configuration without webhooks trivially does). */
export function carriesBundle(config: WebhookConfigurationLike, bundlePem: string): boolean {
  return (config.webhooks ?? []).every((webhook) => {
    const encoded = webhook.clientConfig?.caBundle;
    return typeof encoded === 'string' && sameBundle(Buffer.from(encoded, 'base64').toString('utf8'), bundlePem);
  });
}

/**
 * Keeps `caBundle` of our webhook configurations equal to the Secret's bundle: injects on start, and again whenever
 * a watch event (or the periodic resync) shows someone reset it, e.g. a `kubectl apply` of the manifests.
 */
export class CaBundleInjector {
  private readonly targets: Array<{ kind: ConfigKind; name: string }>;
  /** decoded caBundle of every webhook as last seen per configuration; null = configuration absent */
  private readonly observed = new Map<string, string[] | null>();
  private desired: string | undefined;
  private since: Date | undefined;
  private running = false;
  private pass: Promise<void> = Promise.resolve();
  private dirty = false;
  private readonly watches = new Map<ConfigKind, WatchHandle>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly listeners = new Set<() => void>();

  constructor(private readonly options: CaBundleInjectorOptions) {
    const mutating = options.mutatingWebhookConfigurations ?? [DEFAULT_WEBHOOK_CONFIGURATION_NAME];
    const validating = options.validatingWebhookConfigurations ?? [DEFAULT_WEBHOOK_CONFIGURATION_NAME];
    this.targets = [
      ...mutating.map((name) => ({ kind: 'mutating' as const, name })),
      ...validating.map((name) => ({ kind: 'validating' as const, name })),
    ];
  }

  /** Every configuration exists and every webhook in it carries the desired bundle. */
  isInjected(): boolean {
    const desired = this.desired;
    if (desired === undefined) return false;
    return this.targets.every((t) => {
      const bundles = this.observed.get(key(t.kind, t.name));
      return Array.isArray(bundles) && bundles.every((bundle) => sameBundle(bundle, desired));
    });
  }

  /**
   * Every webhook of every configuration trusts `caCertPem` (as last seen). Readiness uses this rather than
   * `isInjected()`: while a rotation swaps the bundle, the previous bundle still verifies the serving cert.
   */
  trusts(caCertPem: string): boolean {
    return this.targets.every((t) => {
      const bundles = this.observed.get(key(t.kind, t.name));
      return Array.isArray(bundles) && bundles.every((bundle) => bundleCovers(bundle, caCertPem));
    });
  }

  /**
   * Since when `isInjected()` has been continuously true (this replica's observation); with `bundlePem`, only if
   * that is the bundle being injected.
   */
  injectedSince(bundlePem?: string): Date | undefined {
    if (!this.isInjected() || this.desired === undefined) return undefined;
    if (bundlePem !== undefined && !sameBundle(bundlePem, this.desired)) return undefined;
    return this.since;
  }

  /** Called after every change of the injection status. */
  onStatusChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** First injection pass (errors are logged, not thrown: configurations may be applied later) and the watches. */
  async start(): Promise<void> {
    this.running = true;
    await this.reconcile();
    for (const kind of ['mutating', 'validating'] as const) {
      if (this.targets.some((t) => t.kind === kind)) void this.startWatch(kind, this.options.reconnectDelayMs ?? 500);
    }
    this.schedule(() => this.resyncLoop(), this.options.resyncIntervalMs ?? 60_000);
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const watch of this.watches.values()) watch.abort();
    this.watches.clear();
    await this.pass.catch(() => undefined);
  }

  /** Re-check (and fix) every configuration; concurrent calls coalesce into at most one extra pass. */
  reconcile(): Promise<void> {
    if (this.dirty) return this.pass;
    this.dirty = true;
    this.pass = this.pass.then(async () => {
      this.dirty = false;
      await this.reconcileAll();
    });
    return this.pass;
  }

  private async reconcileAll(): Promise<void> {
    let bundle: string;
    try {
      bundle = normaliseBundle(await this.options.desiredBundle());
    } catch (error: unknown) {
      this.options.logger.warn({ err: error }, 'cannot determine the CA bundle to inject');
      return;
    }
    this.setDesired(bundle);
    for (const target of this.targets) {
      try {
        this.observe(target.kind, target.name, await this.ensureInjected(target.kind, target.name, bundle));
      } catch (error: unknown) {
        this.options.logger.warn({ err: error, kind: target.kind, name: target.name }, 'caBundle injection failed');
      }
    }
  }

  /** Makes every webhook carry `bundle`; returns the bundles now stored (null: the configuration does not exist). */
  private async ensureInjected(kind: ConfigKind, name: string, bundle: string): Promise<string[] | null> {
    const encoded = Buffer.from(bundle, 'utf8').toString('base64');
    for (let attempt = 1; attempt <= 8; attempt++) {
      let config: WebhookConfigurationLike;
      try {
        config = await this.options.client.get<WebhookConfigurationLike>(`${PATHS[kind]}/${name}`);
      } catch (error: unknown) {
        if (statusCodeOf(error) === 404) return null;
        throw error;
      }
      if (carriesBundle(config, bundle)) return bundlesOf(config);
      for (const webhook of config.webhooks ?? []) {
        webhook.clientConfig = { ...(webhook.clientConfig ?? {}), caBundle: encoded };
      }
      try {
        // The body keeps the resourceVersion we read: a concurrent writer makes this a 409 and we re-read.
        await this.options.client.request('PUT', `${PATHS[kind]}/${name}`, config);
        this.options.logger.info({ kind, name, webhooks: config.webhooks?.length ?? 0 }, 'injected caBundle');
        return bundlesOf(config);
      } catch (error: unknown) {
        if (statusCodeOf(error) === 409) continue;
        if (statusCodeOf(error) === 404) return null;
        throw error;
      }
    }
    throw new Error(`${kind} webhook configuration ${name}: too many conflicting writers`);
  }

  private setDesired(bundle: string): void {
    if (this.desired !== undefined && sameBundle(this.desired, bundle)) return;
    const before = this.isInjected();
    this.desired = bundle;
    this.since = undefined;
    this.afterChange(before);
  }

  private observe(kind: ConfigKind, name: string, bundles: string[] | null): void {
    const before = this.isInjected();
    this.observed.set(key(kind, name), bundles);
    this.afterChange(before);
  }

  private afterChange(before: boolean): void {
    const after = this.isInjected();
    if (after && (!before || this.since === undefined)) this.since = new Date();
    if (!after) this.since = undefined;
    if (after !== before) this.notify();
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }

  private onEvent(kind: ConfigKind, phase: string, object: WebhookConfigurationLike): void {
    const name = object?.metadata?.name;
    if (!name || !this.targets.some((t) => t.kind === kind && t.name === name)) return;
    if (phase === 'DELETED') {
      this.observe(kind, name, null);
      return;
    }
    if (phase !== 'ADDED' && phase !== 'MODIFIED') return;
    this.observe(kind, name, bundlesOf(object));
    if (this.desired === undefined || !carriesBundle(object, this.desired)) void this.reconcile();
  }

  private async startWatch(kind: ConfigKind, delayMs: number): Promise<void> {
    if (!this.running) return;
    let connectedAt = 0;
    const restart = (error: unknown): void => {
      this.watches.delete(kind);
      if (!this.running) return;
      if (error) this.options.logger.debug({ err: error, kind }, 'webhook configuration watch ended; reconnecting');
      // A watch that stayed up a while restarts quickly; one that keeps failing backs off.
      const next = Date.now() - connectedAt > 10_000 ? this.options.reconnectDelayMs ?? 500 : Math.min(delayMs * 2, 30_000);
      this.schedule(() => {
        void this.reconcile();
        void this.startWatch(kind, next);
      }, next);
    };
    connectedAt = Date.now();
    let watch: WatchHandle;
    try {
      watch = await this.options.client.watch(PATHS[kind], {}, (phase, object) => this.onEvent(kind, phase, object as WebhookConfigurationLike), restart);
    } catch (error: unknown) {
      // Refused or unreachable before the stream started (the done callback is not called then): back off.
      restart(error);
      return;
    }
    if (this.running) this.watches.set(kind, watch);
    else watch.abort();
  }

  private resyncLoop(): void {
    void this.reconcile();
    this.schedule(() => this.resyncLoop(), this.options.resyncIntervalMs ?? 60_000);
  }

  private schedule(run: () => void, delayMs: number): void {
    if (!this.running) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.running) run();
    }, delayMs);
    this.timers.add(timer);
  }
}

function bundlesOf(config: WebhookConfigurationLike): string[] {
  return (config.webhooks ?? []).map((webhook) => Buffer.from(webhook.clientConfig?.caBundle ?? '', 'base64').toString('utf8'));
}

function key(kind: ConfigKind, name: string): string {
  return `${kind}/${name}`;
}
