/**
 * How the reconciler reaches a store's engines: by pod IP on the engine port, with the store's password and, when
 * TLS is on, the operator CA (verifying the pod's headless-Service name). Probe results are folded into the
 * observed pods so planning stays pure.
 */
import { ENGINE_PORT } from '../../shared/defaults.js';
import { storeObjectNames } from '../../shared/names.js';
import { probeEngine, type EngineEndpoint, type EngineState, type EngineTls } from '../replication/index.js';
import type { EngineObservation, ObservedPod } from './observed.js';
import { isProbeable } from './observed.js';

export interface EngineCredentials {
  /** Passwords to try, in order: the Secret's current value first, then the last one known to work. */
  passwords: string[];
  tls?: Omit<EngineTls, 'servername'>;
}

export function podEndpoint(storeName: string, namespace: string, pod: Pick<ObservedPod, 'name' | 'ip'>, password: string | undefined, tls?: EngineCredentials['tls']): EngineEndpoint {
  const endpoint: EngineEndpoint = { host: pod.ip!, port: ENGINE_PORT };
  if (password !== undefined) endpoint.password = password;
  if (tls) endpoint.tls = { ...tls, servername: `${pod.name}.${storeObjectNames(storeName).headlessService}.${namespace}.svc` };
  return endpoint;
}

export function toObservation(state: EngineState): EngineObservation {
  return {
    role: state.role,
    masterHost: state.masterHost,
    masterPort: state.masterPort,
    masterLinkUp: state.masterLinkUp,
    syncInProgress: state.masterSyncInProgress,
    replicationOffset: state.replicationOffset,
    keys: state.keys,
    loading: state.loading,
    state,
  };
}

export interface ProbedPods {
  pods: ObservedPod[];
  states: Map<string, EngineState>;
  /** The password each reachable pod accepted (differs from the first during a rotation). */
  passwordByPod: Map<string, string | undefined>;
}

const AUTH_ERROR = /WRONGPASS|NOAUTH|invalid password|AUTH failed|invalid username-password/i;

/**
 * Probes every probeable pod in parallel, trying each known password on an authentication error. `timeoutMs` may
 * differ by pod (a master already known to be silent gets a short one, observe-phase.ts).
 */
export async function probePods(storeName: string, namespace: string, pods: ObservedPod[], credentials: EngineCredentials, timeoutMs: number | ((pod: ObservedPod) => number)): Promise<ProbedPods> {
  const states = new Map<string, EngineState>();
  const passwordByPod = new Map<string, string | undefined>();
  const passwords: Array<string | undefined> = credentials.passwords.length > 0 ? credentials.passwords : [undefined];
  const probed = await Promise.all(pods.map(async (pod): Promise<ObservedPod> => {
    if (!isProbeable(pod)) return pod;
    let lastError = 'not probed';
    for (const password of passwords) {
      const result = await probeEngine(podEndpoint(storeName, namespace, pod, password, credentials.tls), typeof timeoutMs === 'number' ? timeoutMs : timeoutMs(pod));
      if (result.reachable) {
        states.set(pod.name, result.state);
        passwordByPod.set(pod.name, password);
        return { ...pod, engine: toObservation(result.state) };
      }
      lastError = result.error;
      if (!AUTH_ERROR.test(result.error)) break;
    }
    return { ...pod, probeError: lastError };
  }));
  return { pods: probed, states, passwordByPod };
}
