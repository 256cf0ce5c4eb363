import {
  createCertificateAuthority,
  DEFAULT_BACKDATE_MS,
  DEFAULT_CA_VALIDITY_MS,
  DEFAULT_RENEW_FRACTION,
  DEFAULT_SERVING_VALIDITY_MS,
  describeCertificate,
  generateRsaKeyPem,
  isIssuedBy,
  issueServingCertificate,
  renewalTime,
  type KeyPairPem,
} from './authority.js';
import { ensureBundleContains, normaliseBundle, type WebhookTlsState } from './tls-state.js';

export interface RotationPolicy {
  caCommonName: string;
  servingCommonName: string;
  dnsNames: string[];
  ipAddresses: string[];
  caValidityMs: number;
  servingValidityMs: number;
  backdateMs: number;
  /** fraction of a certificate's life after which it is replaced (2/3) */
  renewFraction: number;
  /** how long a new CA must have been seen injected before it signs the serving cert (API servers cache configs) */
  injectionSettleMs: number;
  /** how long the previous CA stays trusted after the switch, so every replica reloads its new serving cert */
  previousCaOverlapMs: number;
}

const MINUTE_MS = 60_000;

export function defaultRotationPolicy(overrides: Partial<RotationPolicy> & Pick<RotationPolicy, 'dnsNames'>): RotationPolicy {
  return {
    caCommonName: 'redwing-webhook-ca',
    servingCommonName: overrides.dnsNames[0] ?? 'redwing-webhook',
    ipAddresses: [],
    caValidityMs: DEFAULT_CA_VALIDITY_MS,
    servingValidityMs: DEFAULT_SERVING_VALIDITY_MS,
    backdateMs: DEFAULT_BACKDATE_MS,
    renewFraction: DEFAULT_RENEW_FRACTION,
    injectionSettleMs: MINUTE_MS,
    previousCaOverlapMs: 60 * MINUTE_MS,
    ...overrides,
  };
}

export interface RotationContext {
  now: Date;
  /** since when (as this replica observed) every webhook carries exactly `state.caBundlePem`; undefined if not */
  bundleInjectedSince?: Date | undefined;
}

export type RotationAction =
  | { kind: 'none'; nextCheckAt: Date }
  | { kind: 'issue-serving'; reason: string }
  | { kind: 'add-next-ca'; reason: string }
  | { kind: 'await-injection'; reason: string; nextCheckAt?: Date }
  | { kind: 'promote-next-ca' }
  | { kind: 'drop-previous-ca' };

/** Why the serving certificate must be re-issued from `state.ca`, or undefined when it is fine. */
export function servingProblem(state: WebhookTlsState, policy: RotationPolicy, now: Date): string | undefined {
  if (!isIssuedBy(state.serving.certPem, state.ca.certPem)) return 'serving certificate not issued by the current CA';
  const described = describeCertificate(state.serving.certPem);
  const missingDns = policy.dnsNames.filter((name) => !described.dnsNames.includes(name));
  const missingIp = policy.ipAddresses.filter((ip) => !described.ipAddresses.includes(ip));
  if (missingDns.length + missingIp.length > 0) return `serving certificate lacks ${[...missingDns, ...missingIp].join(', ')}`;
  if (now.getTime() >= renewalTime(state.serving.certPem, policy.renewFraction).getTime()) return 'serving certificate due for renewal';
  return undefined;
}

/**
 * The one next step towards a healthy state. Pure: the same state, time and injection observation give the same
 * answer, so replicas that race each other re-plan on what the winner wrote and agree.
 *
 * CA rotation never lets a serving certificate be presented whose CA is not in the injected bundle:
 * add-next-ca (bundle old+new) -> await-injection -> promote-next-ca (new CA signs, bundle still old+new)
 * -> drop-previous-ca after the overlap.
 */
export function planRotation(state: WebhookTlsState, policy: RotationPolicy, context: RotationContext): RotationAction {
  const nowMs = context.now.getTime();
  // An expired CA cannot issue anything; only a new CA helps (everything is failing already, so no waiting).
  const caExpired = nowMs >= describeCertificate(state.ca.certPem).notAfter.getTime();
  if (state.nextCa) {
    const since = context.bundleInjectedSince;
    const readyAt = since === undefined ? undefined : since.getTime() + policy.injectionSettleMs;
    if (readyAt !== undefined && nowMs >= readyAt) return { kind: 'promote-next-ca' };
    // The wait for injection can be long (configurations missing): keep the current serving cert fresh meanwhile.
    const problem = caExpired ? undefined : servingProblem(state, policy, context.now);
    if (problem) return { kind: 'issue-serving', reason: problem };
    const servingRenewAt = renewalTime(state.serving.certPem, policy.renewFraction).getTime();
    const nextCheckAt = new Date(Math.max(nowMs, Math.min(readyAt ?? Number.POSITIVE_INFINITY, servingRenewAt)));
    return readyAt === undefined
      ? { kind: 'await-injection', reason: 'bundle with the next CA not injected yet', nextCheckAt }
      : { kind: 'await-injection', reason: 'letting the injected bundle settle', nextCheckAt };
  }
  if (state.dropPreviousCaAfter && nowMs >= state.dropPreviousCaAfter.getTime()) return { kind: 'drop-previous-ca' };
  if (caExpired) return { kind: 'add-next-ca', reason: 'CA expired' };
  // The serving cert expires first (it never outlives its CA), so it goes before starting a CA rotation.
  const problem = servingProblem(state, policy, context.now);
  if (problem) return { kind: 'issue-serving', reason: problem };
  const caRenewAt = renewalTime(state.ca.certPem, policy.renewFraction).getTime();
  // While an old CA is still being dropped, wait: a third CA in the bundle would gain nothing.
  if (nowMs >= caRenewAt && !state.dropPreviousCaAfter) return { kind: 'add-next-ca', reason: 'CA due for renewal' };
  const candidates = [caRenewAt, renewalTime(state.serving.certPem, policy.renewFraction).getTime()];
  if (state.dropPreviousCaAfter) candidates.push(state.dropPreviousCaAfter.getTime());
  return { kind: 'none', nextCheckAt: new Date(Math.max(nowMs, Math.min(...candidates))) };
}

/** Pre-generated private keys (PEM); whatever is missing is generated synchronously. */
export interface KeySupply {
  caKeyPem?: string;
  servingKeyPem?: string;
}

function issueServing(ca: KeyPairPem, policy: RotationPolicy, now: Date, keyPem?: string): KeyPairPem {
  return issueServingCertificate(ca, {
    commonName: policy.servingCommonName,
    dnsNames: policy.dnsNames,
    ipAddresses: policy.ipAddresses,
    validityMs: policy.servingValidityMs,
    backdateMs: policy.backdateMs,
    now,
    ...(keyPem ? { keyPem } : {}),
  });
}

function createCa(policy: RotationPolicy, now: Date, keyPem?: string): KeyPairPem {
  return createCertificateAuthority({
    commonName: policy.caCommonName,
    validityMs: policy.caValidityMs,
    backdateMs: policy.backdateMs,
    now,
    ...(keyPem ? { keyPem } : {}),
  });
}

/** A fresh state: new CA, serving certificate from it, bundle = that CA. */
export function createInitialState(policy: RotationPolicy, now: Date, keys: KeySupply = {}): WebhookTlsState {
  const ca = createCa(policy, now, keys.caKeyPem);
  return { ca, serving: issueServing(ca, policy, now, keys.servingKeyPem), caBundlePem: normaliseBundle(ca.certPem) };
}

/** The keys `action` needs, generated off the event loop. */
export async function generateKeysFor(action: RotationAction | 'initial'): Promise<KeySupply> {
  const kind = action === 'initial' ? 'initial' : action.kind;
  const needsCa = kind === 'initial' || kind === 'add-next-ca';
  const needsServing = kind === 'initial' || kind === 'issue-serving' || kind === 'promote-next-ca';
  const [caKeyPem, servingKeyPem] = await Promise.all([needsCa ? generateRsaKeyPem() : undefined, needsServing ? generateRsaKeyPem() : undefined]);
  return { ...(caKeyPem ? { caKeyPem } : {}), ...(servingKeyPem ? { servingKeyPem } : {}) };
}

/** The state after `action` (generates keys not in `keys`); undefined when the action changes nothing stored. */
export function applyRotationAction(
  state: WebhookTlsState,
  action: RotationAction,
  policy: RotationPolicy,
  now: Date,
  keys: KeySupply = {},
): WebhookTlsState | undefined {
  switch (action.kind) {
    case 'none':
    case 'await-injection':
      return undefined;
    case 'issue-serving':
      return { ...state, serving: issueServing(state.ca, policy, now, keys.servingKeyPem) };
    case 'add-next-ca': {
      const nextCa = createCa(policy, now, keys.caKeyPem);
      return { ...state, nextCa, caBundlePem: ensureBundleContains(state.caBundlePem, nextCa.certPem) };
    }
    case 'promote-next-ca': {
      if (!state.nextCa) return undefined;
      const { nextCa, ...rest } = state;
      return {
        ...rest,
        ca: nextCa,
        serving: issueServing(nextCa, policy, now, keys.servingKeyPem),
        caBundlePem: ensureBundleContains(state.caBundlePem, nextCa.certPem),
        dropPreviousCaAfter: new Date(now.getTime() + policy.previousCaOverlapMs),
      };
    }
    case 'drop-previous-ca': {
      const { dropPreviousCaAfter: _dropped, ...rest } = state;
      return { ...rest, caBundlePem: normaliseBundle(state.ca.certPem) };
    }
  }
}

export interface RotationPorts {
  /** the freshest stored state (re-reads the Secret, so changes by other replicas arrive here) */
  load(): Promise<WebhookTlsState>;
  /** optimistic read-modify-write of the stored state; returns what is stored afterwards */
  update(mutate: (current: WebhookTlsState) => WebhookTlsState | undefined): Promise<WebhookTlsState>;
  /** since when `bundlePem` is injected everywhere, as this replica observed; undefined if it is not */
  bundleInjectedSince(bundlePem: string): Date | undefined;
  /** hand the state to the server (and the injector) */
  publish(state: WebhookTlsState): void;
}

export interface RotationDriverOptions {
  ports: RotationPorts;
  policy: RotationPolicy;
  /** upper bound between two checks, so other replicas' writes are picked up (default 30s) */
  refreshIntervalMs?: number;
  /** longest random pause before a step, so racing replicas rarely do the same work (default min(1s, refresh)) */
  jitterMs?: number;
  onError?: (error: unknown) => void;
  onAction?: (action: RotationAction) => void;
}

export interface RotationDriver {
  /** check now (e.g. after the injection status changed) */
  kick(): void;
  /** resolves after the next complete check */
  tick(): Promise<void>;
  stop(): Promise<void>;
}

function isPassive(action: RotationAction): action is Extract<RotationAction, { kind: 'none' | 'await-injection' }> {
  return action.kind === 'none' || action.kind === 'await-injection';
}

/** Runs `planRotation` against the stored state on a timer until no step is due, then sleeps until one is. */
export function startRotationDriver(options: RotationDriverOptions): RotationDriver {
  const refreshIntervalMs = options.refreshIntervalMs ?? 30_000;
  const jitterMs = options.jitterMs ?? Math.min(1000, refreshIntervalMs);
  const { ports, policy } = options;
  let running = true;
  let timer: NodeJS.Timeout | undefined;
  let chain: Promise<void> = Promise.resolve();
  let queued: Promise<void> | undefined;

  const step = async (): Promise<Date | undefined> => {
    let state = await ports.load();
    ports.publish(state);
    // Bounded: every mutating step moves the state forward; a handful of steps covers any path.
    const plan = (current: WebhookTlsState, now = new Date()): RotationAction =>
      planRotation(current, policy, { now, bundleInjectedSince: ports.bundleInjectedSince(current.caBundlePem) });
    for (let steps = 0; steps < 6 && running; steps++) {
      if (isPassive(plan(state))) break;
      // Replicas tick at the same moments; a random pause lets one of them do the step (key generation costs CPU)
      // and the others find it done when they look again.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * jitterMs));
      if (!running) return undefined;
      state = await ports.load();
      ports.publish(state);
      const action = plan(state);
      if (isPassive(action)) break;
      options.onAction?.(action);
      // Keys are made before the read-modify-write: off the event loop, and without widening the conflict window.
      const keys = await generateKeysFor(action);
      state = await ports.update((current) => {
        const at = new Date();
        const fresh = plan(current, at);
        return applyRotationAction(current, fresh, policy, at, fresh.kind === action.kind ? keys : {});
      });
      ports.publish(state);
    }
    const final = plan(state);
    return isPassive(final) ? final.nextCheckAt : undefined;
  };

  const run = (): Promise<void> => {
    if (queued) return queued;
    queued = chain = chain.then(async () => {
      queued = undefined;
      if (!running) return;
      if (timer) clearTimeout(timer);
      let nextAt: Date | undefined;
      try {
        nextAt = await step();
      } catch (error: unknown) {
        options.onError?.(error);
      }
      if (!running) return;
      const untilNext = nextAt ? nextAt.getTime() - Date.now() : refreshIntervalMs;
      timer = setTimeout(() => void run(), Math.max(10, Math.min(refreshIntervalMs, untilNext)));
    });
    return queued;
  };

  void run();
  return {
    kick: () => void run(),
    tick: () => run(),
    stop: async () => {
      running = false;
      if (timer) clearTimeout(timer);
      await chain.catch(() => undefined);
    },
  };
}
