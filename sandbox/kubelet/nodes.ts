// The kubelet's Node objects, with what a real kube-scheduler and node lifecycle controller read: registration with
// labels (hostname, os, arch), addresses (InternalIP on loopback, Hostname), capacity/allocatable, nodeInfo and the
// log endpoint; the Ready and pressure conditions (and the unreachable taints of a lost node); heartbeats through
// kube-node-lease Leases every 10 s and a status report (conditions' lastHeartbeatTime) every minute.
import { CoreV1Api, PatchStrategy, setHeaderOptions, type V1Node } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { isStatus } from '../../kube/errors.js';
import type { KubeClient } from '../../kube/client.js';
import { microTime, rfc3339 } from '../../shared/rfc3339.js';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const LEASE_RENEW_MS = 10_000;
/** The real kubelet reports an unchanged status every 5 minutes (nodeStatusReportFrequency); the lease is the beat. */
const STATUS_REPORT_MS = 60_000;
type ReadyState = { ready: 'True' | 'Unknown'; reason: string; message: string; since: string };

export class NodeRegistry {
  private heartbeat?: NodeJS.Timeout;
  private statusReport?: NodeJS.Timeout;
  /** Each node's current Ready state and when it began, so a heartbeat keeps lastTransitionTime. */
  private readonly states = new Map<string, ReadyState>();

  constructor(
    private readonly core: CoreV1Api,
    private readonly rest: KubeClient,
    readonly nodeNames: string[],
    private readonly isLost: (node: string) => boolean,
    private readonly logger: Logger,
  ) {}

  async start(logPort: number): Promise<void> {
    for (let i = 0; i < this.nodeNames.length; i++) await this.register(this.nodeNames[i]!, i, logPort);
    await this.renewLeases();
    this.heartbeat = setInterval(() => void this.renewLeases(), LEASE_RENEW_MS);
    this.heartbeat.unref();
    this.statusReport = setInterval(() => void this.reportStatus(), STATUS_REPORT_MS);
    this.statusReport.unref();
  }

  stop(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.statusReport) clearInterval(this.statusReport);
  }

  /** The conditions again with a fresh lastHeartbeatTime, for every node that is not lost. */
  async reportStatus(): Promise<void> {
    for (const [name, state] of this.states) {
      if (this.isLost(name) || state.ready !== 'True') continue;
      await this.core.patchNodeStatus({ name, body: { status: this.nodeStatus(name, state.ready, state.reason, state.message) } }, mergePatch)
        .catch((error: unknown) => this.logger.debug({ err: error, node: name }, 'node status report failed'));
    }
  }

  private nodeStatus(name: string, ready: 'True' | 'Unknown', reason: string, message: string) {
    const now = rfc3339();
    const previous = this.states.get(name);
    const since = previous?.ready === ready ? previous.since : now;
    this.states.set(name, { ready, reason, message, since });
    const condition = (type: string, status: string, r: string, m: string) => ({ type, status, reason: r, message: m, lastHeartbeatTime: now, lastTransitionTime: since });
    const unknown = ready === 'Unknown';
    return {
      conditions: [
        condition('MemoryPressure', unknown ? 'Unknown' : 'False', unknown ? 'NodeStatusUnknown' : 'KubeletHasSufficientMemory', unknown ? message : 'kubelet has sufficient memory available'),
        condition('DiskPressure', unknown ? 'Unknown' : 'False', unknown ? 'NodeStatusUnknown' : 'KubeletHasNoDiskPressure', unknown ? message : 'kubelet has no disk pressure'),
        condition('PIDPressure', unknown ? 'Unknown' : 'False', unknown ? 'NodeStatusUnknown' : 'KubeletHasSufficientPID', unknown ? message : 'kubelet has sufficient PID available'),
        condition('Ready', ready, reason, message),
      ],
    };
  }

  async register(name: string, index: number, logPort: number): Promise<void> {
    const node: V1Node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        labels: {
          'kubernetes.io/hostname': name,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': process.arch === 'x64' ? 'amd64' : process.arch,
          'topology.kubernetes.io/zone': `sandbox-zone-${String.fromCharCode(97 + index)}`,
          'node.kubernetes.io/instance-type': 'sandbox',
        },
      },
      spec: {},
    };
    try {
      await this.core.createNode({ body: node });
    } catch (error: unknown) {
      if (!isStatus(error, 409)) throw new Error(`registering node ${name}`, { cause: error });
    }
    const status = {
      ...this.nodeStatus(name, 'True', 'KubeletReady', 'kubelet is posting ready status'),
      addresses: [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: name }],
      daemonEndpoints: { kubeletEndpoint: { Port: logPort } },
      capacity: { cpu: '8', memory: '16Gi', pods: '110', 'ephemeral-storage': '100Gi' },
      allocatable: { cpu: '8', memory: '16Gi', pods: '110', 'ephemeral-storage': '100Gi' },
      nodeInfo: {
        machineID: name, systemUUID: name, bootID: name, kernelVersion: 'sandbox', osImage: 'redwing sandbox',
        containerRuntimeVersion: 'sandbox://0.1', kubeletVersion: 'v1.32.0-sandbox', kubeProxyVersion: 'v1.32.0-sandbox',
        operatingSystem: 'linux', architecture: process.arch === 'x64' ? 'amd64' : process.arch,
      },
    };
    await this.core.patchNodeStatus({ name, body: { status } }, mergePatch);
  }

  /**
   * Node heartbeats, as kubelets send them: a Lease per node in kube-node-lease, renewed every 10 s. A lost node stops
   * renewing, which is what a real node lifecycle controller (with --kubelet-only) reacts to.
   */
  async renewLeases(): Promise<void> {
    const now = microTime();
    for (const node of this.nodeNames) {
      if (this.isLost(node)) continue;
      const path = `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${node}`;
      try {
        await this.rest.request('PATCH', path, { spec: { renewTime: now, holderIdentity: node, leaseDurationSeconds: 40 } }, 'application/merge-patch+json');
      } catch (error: unknown) {
        if (!isStatus(error, 404)) {
          this.logger.debug({ err: error, node }, 'node lease renewal failed');
          continue;
        }
        await this.rest.request('POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', {
          apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
          metadata: { name: node, namespace: 'kube-node-lease', ownerReferences: await this.nodeOwnerRef(node) },
          spec: { holderIdentity: node, leaseDurationSeconds: 40, renewTime: now },
        }).catch((e: unknown) => this.logger.debug({ err: e, node }, 'node lease creation failed'));
      }
    }
  }

  private async nodeOwnerRef(node: string): Promise<Array<{ apiVersion: string; kind: string; name: string; uid: string }>> {
    try {
      const obj = await this.rest.request<{ metadata?: { uid?: string } }>('GET', `/api/v1/nodes/${node}`);
      return obj.metadata?.uid ? [{ apiVersion: 'v1', kind: 'Node', name: node, uid: obj.metadata.uid }] : [];
    } catch {
      return [];
    }
  }

  async setReady(name: string, ready: 'True' | 'Unknown', reason: string, message: string, taint: boolean): Promise<void> {
    await this.core.patchNodeStatus({ name, body: { status: this.nodeStatus(name, ready, reason, message) } }, mergePatch);
    const taints = taint ? [
      { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule', timeAdded: rfc3339() },
      { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: rfc3339() },
    ] : null;
    await this.core.patchNode({ name, body: { spec: { taints } } }, mergePatch)
      .catch((error: unknown) => this.logger.debug({ err: error, node: name }, 'could not update node taints'));
  }
}
