import type { V1Secret } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { KubeClient } from '../kube/client.js';
import { statusCodeOf } from '../kube/errors.js';
import { paths } from '../kube/paths.js';
import { LABEL_MANAGED_BY, MANAGED_BY_VALUE } from '../shared/labels.js';
import { decodeTlsSecret, DROP_PREVIOUS_CA_AFTER_ANNOTATION, encodeTlsSecret, sameState, type WebhookTlsState } from './tls-state.js';

export const DEFAULT_TLS_SECRET_NAME = 'redwing-webhook-tls';

export interface StoredTlsState {
  state: WebhookTlsState;
  resourceVersion: string;
}

interface ReadResult {
  stored?: StoredTlsState;
  invalid?: string;
  secret: V1Secret;
}

export interface TlsSecretStoreOptions {
  client: KubeClient;
  namespace: string;
  secretName?: string;
  logger: Logger;
  /** optimistic-concurrency attempts before giving up on one update */
  maxAttempts?: number;
}

/**
 * The webhook's certificates in one Secret. Every write is conditional (create-if-absent, or replace at the
 * resourceVersion we read), so replicas racing each other converge on whatever landed first.
 */
export class TlsSecretStore {
  readonly namespace: string;
  readonly secretName: string;
  private readonly client: KubeClient;
  private readonly logger: Logger;
  private readonly maxAttempts: number;

  constructor(options: TlsSecretStoreOptions) {
    this.client = options.client;
    this.namespace = options.namespace;
    this.secretName = options.secretName ?? DEFAULT_TLS_SECRET_NAME;
    this.logger = options.logger;
    this.maxAttempts = options.maxAttempts ?? 8;
  }

  /** The stored state; undefined when the Secret does not exist; throws when it exists but cannot be used. */
  async load(): Promise<StoredTlsState | undefined> {
    const current = await this.read();
    if (current === undefined) return undefined;
    if (!current.stored) throw new Error(`Secret ${this.namespace}/${this.secretName} unusable: ${current.invalid}`);
    return current.stored;
  }

  private async read(): Promise<ReadResult | undefined> {
    let secret: V1Secret;
    try {
      secret = await this.client.get<V1Secret>(this.path());
    } catch (error: unknown) {
      if (statusCodeOf(error) === 404) return undefined;
      throw new Error(`reading Secret ${this.namespace}/${this.secretName} failed`, { cause: error });
    }
    const resourceVersion = secret.metadata?.resourceVersion ?? '';
    const decoded = decodeTlsSecret(secret.data, secret.metadata?.annotations);
    return decoded.ok ? { stored: { state: decoded.state, resourceVersion }, secret } : { invalid: decoded.reason, secret };
  }

  /** Loads the stored state, or stores `generate()` when there is none (or it is unusable). */
  async loadOrCreate(generate: () => WebhookTlsState): Promise<StoredTlsState> {
    let generated: WebhookTlsState | undefined;
    const fresh = (): WebhookTlsState => (generated ??= generate());
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const current = await this.read();
      if (current?.stored) return current.stored;
      if (current === undefined) {
        try {
          const created = await this.client.create<V1Secret>(paths.core('secrets', this.namespace), this.toSecret(fresh()));
          this.logger.info({ secret: this.secretName }, 'created webhook TLS Secret');
          return { state: fresh(), resourceVersion: created.metadata?.resourceVersion ?? '' };
        } catch (error: unknown) {
          // Another replica created it first: use theirs.
          if (statusCodeOf(error) === 409) continue;
          throw new Error(`creating Secret ${this.namespace}/${this.secretName} failed`, { cause: error });
        }
      }
      this.logger.warn({ secret: this.secretName, reason: current.invalid }, 'webhook TLS Secret unusable; replacing it');
      const replaced = await this.tryReplace(fresh(), current.secret);
      if (replaced) return replaced;
    }
    throw new Error(`could not load or create Secret ${this.namespace}/${this.secretName} after ${this.maxAttempts} attempts`);
  }

  /**
   * Read-modify-write: `mutate` sees the freshest state and returns the next one (or undefined for "no change").
   * On a conflict the Secret is re-read and `mutate` runs again on what another replica wrote.
   */
  async update(mutate: (current: WebhookTlsState) => WebhookTlsState | undefined): Promise<StoredTlsState> {
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const current = await this.read();
      if (current === undefined) throw new Error(`Secret ${this.namespace}/${this.secretName} disappeared`);
      if (!current.stored) throw new Error(`Secret ${this.namespace}/${this.secretName} unusable: ${current.invalid}`);
      const next = mutate(current.stored.state);
      if (next === undefined || sameState(next, current.stored.state)) return current.stored;
      const replaced = await this.tryReplace(next, current.secret);
      if (replaced) return replaced;
    }
    throw new Error(`Secret ${this.namespace}/${this.secretName}: gave up after ${this.maxAttempts} conflicting updates`);
  }

  /** Replace at `resourceVersion`; undefined on 409 Conflict (someone else wrote first). */
  private async tryReplace(state: WebhookTlsState, base: V1Secret): Promise<StoredTlsState | undefined> {
    try {
      const replaced = await this.client.request<V1Secret>('PUT', this.path(), this.toSecret(state, base));
      return { state, resourceVersion: replaced.metadata?.resourceVersion ?? '' };
    } catch (error: unknown) {
      if (statusCodeOf(error) === 409) {
        this.logger.debug({ secret: this.secretName }, 'conflict updating webhook TLS Secret; re-reading');
        return undefined;
      }
      throw new Error(`updating Secret ${this.namespace}/${this.secretName} failed`, { cause: error });
    }
  }

  private path(): string {
    return paths.coreObject('secrets', this.namespace, this.secretName);
  }

  /** The Secret for `state`; on replace, keeps `base`'s other labels/annotations and its resourceVersion. */
  private toSecret(state: WebhookTlsState, base?: V1Secret): V1Secret {
    const { data, annotations } = encodeTlsSecret(state);
    const otherAnnotations = { ...(base?.metadata?.annotations ?? {}) };
    delete otherAnnotations[DROP_PREVIOUS_CA_AFTER_ANNOTATION];
    return {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: {
        ...(base?.metadata ?? {}),
        name: this.secretName,
        namespace: this.namespace,
        labels: { ...(base?.metadata?.labels ?? {}), [LABEL_MANAGED_BY]: MANAGED_BY_VALUE, 'app.kubernetes.io/component': 'webhook-certificates' },
        annotations: { ...otherAnnotations, ...annotations },
      },
      data,
    };
  }
}
