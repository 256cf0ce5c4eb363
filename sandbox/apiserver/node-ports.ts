/**
 * NodePort allocation for Services of type NodePort and LoadBalancer, from kube-apiserver's default
 * service-node-port-range 30000-32767, starting at a random offset as the real allocator picks randomly.
 */
import type { JsonObject } from './types.js';
import { isJsonObject } from './types.js';

const FIRST = 30000;
const SIZE = 2768;

export class NodePortAllocator {
  private readonly used = new Set<number>();
  private next = Math.floor(Math.random() * SIZE);

  allocate(): number {
    for (let i = 0; i < SIZE; i++) {
      const port = FIRST + ((this.next + i) % SIZE);
      if (this.used.has(port)) continue;
      this.next = (this.next + i + 1) % SIZE;
      this.used.add(port);
      return port;
    }
    throw new Error(`NodePort range ${FIRST}-${FIRST + SIZE - 1} is exhausted`);
  }

  /** A port a restored Service already holds (persistence.ts). */
  reserve(port: unknown): void {
    if (typeof port === 'number') this.used.add(port);
  }

  release(port: unknown): void {
    if (typeof port === 'number') this.used.delete(port);
  }

  /**
   * Gives every port of a NodePort or LoadBalancer Service a nodePort: the one it asked for, the one it had before
   * (an update keeps it), or a new one.
   */
  assign(spec: JsonObject, oldSpec: JsonObject | undefined): void {
    if (spec.type !== 'NodePort' && spec.type !== 'LoadBalancer') return;
    const oldPorts = Array.isArray(oldSpec?.ports) ? oldSpec.ports.filter(isJsonObject) : [];
    for (const port of Array.isArray(spec.ports) ? spec.ports.filter(isJsonObject) : []) {
      if (typeof port.nodePort === 'number' && port.nodePort !== 0) {
        this.used.add(port.nodePort);
        continue;
      }
      const before = oldPorts.find((p) => p.port === port.port && (p.protocol ?? 'TCP') === (port.protocol ?? 'TCP'));
      port.nodePort = typeof before?.nodePort === 'number' ? before.nodePort : this.allocate();
    }
  }
}
