/** Reads one pod's replication state over a short-lived connection. */
import { withEngineConnection, type EngineClient, type EngineEndpoint } from './engine-connection.js';
import { errorMessage } from '../../shared/error-message.js';
import { dragonflyEngineState, hasAssignedMark } from './dragonfly-state.js';
import { DEFAULT_FENCE, engineStateFromInfo, type EngineState, type FencePlaceholder } from './info.js';

export type ProbeResult =
  | { reachable: true; state: EngineState }
  | { reachable: false; host: string; port: number; error: string };

export interface ProbeOptions {
  fence?: FencePlaceholder;
}

const INFO_SECTIONS = ['server', 'replication', 'persistence', 'keyspace'] as const;

/**
 * INFO section by section: Redis 6 and Dragonfly accept only one section per call. Dragonfly also needs ROLE (its
 * link state) and ACL LIST (whether the reconciler assigned it a role since it booted), see dragonfly-state.ts.
 */
export async function readEngineState(client: EngineClient, endpoint: Pick<EngineEndpoint, 'host' | 'port'>, fence: FencePlaceholder = DEFAULT_FENCE): Promise<EngineState> {
  const sections = await Promise.all(INFO_SECTIONS.map((section) => client.call('INFO', section) as Promise<string>));
  const info = sections.join('\n');
  const state = engineStateFromInfo(endpoint.host, endpoint.port, info, fence);
  if (state.engine !== 'dragonfly') return state;
  const [role, acl] = await Promise.all([client.call('ROLE'), client.call('ACL', 'LIST')]);
  return dragonflyEngineState(endpoint.host, endpoint.port, info, role, hasAssignedMark(acl), fence);
}

/** Never throws: an unreachable, hung or refusing pod gives `reachable: false` with the reason. */
export async function probeEngine(endpoint: EngineEndpoint, timeoutMs: number, options: ProbeOptions = {}): Promise<ProbeResult> {
  try {
    const state = await withEngineConnection(
      endpoint,
      { connectTimeoutMs: timeoutMs, commandTimeoutMs: timeoutMs, purpose: 'probe' },
      (client) => readEngineState(client, endpoint, options.fence),
    );
    return { reachable: true, state };
  } catch (error) {
    return { reachable: false, host: endpoint.host, port: endpoint.port, error: errorMessage(error) };
  }
}

/** Probes several pods in parallel, preserving order. */
export async function probeEngines(endpoints: EngineEndpoint[], timeoutMs: number, options: ProbeOptions = {}): Promise<ProbeResult[]> {
  return Promise.all(endpoints.map((endpoint) => probeEngine(endpoint, timeoutMs, options)));
}
