// exec, tcpSocket and httpGet probes, plus the threshold bookkeeping a prober does between runs.
import { request } from 'node:http';
import { connect } from 'node:net';
import type { V1Container, V1Probe } from '@kubernetes/client-node';

export type ProbeOutcome = { ok: boolean; message: string };

export interface ProbeTarget {
  podIP: string;
  container: V1Container;
  /** Runs a command inside the container; used for exec probes. */
  exec(argv: string[], timeoutMs: number): Promise<{ exitCode: number; output: string; timedOut: boolean }>;
}

export function resolvePort(port: number | string | undefined, container: V1Container): number | undefined {
  if (typeof port === 'number') return port;
  if (port === undefined) return undefined;
  if (/^\d+$/.test(port)) return Number(port);
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

function tcpCheck(host: string, port: number, timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (outcome: ProbeOutcome) => { socket.destroy(); resolve(outcome); };
    socket.setTimeout(timeoutMs, () => done({ ok: false, message: `dial tcp ${host}:${port}: i/o timeout` }));
    socket.once('connect', () => done({ ok: true, message: '' }));
    socket.once('error', (error) => done({ ok: false, message: `dial tcp ${host}:${port}: ${error.message}` }));
  });
}

function httpCheck(host: string, port: number, path: string, headers: Record<string, string>, timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const req = request({ host, port, path, method: 'GET', headers: { 'User-Agent': 'kube-probe/1.32', ...headers }, timeout: timeoutMs }, (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      resolve(code >= 200 && code < 400 ? { ok: true, message: '' } : { ok: false, message: `HTTP probe failed with statuscode: ${code}` });
    });
    req.on('timeout', () => { req.destroy(); resolve({ ok: false, message: `Get "http://${host}:${port}${path}": context deadline exceeded` }); });
    req.on('error', (error) => resolve({ ok: false, message: `Get "http://${host}:${port}${path}": ${error.message}` }));
    req.end();
  });
}

export async function runProbe(probe: V1Probe, target: ProbeTarget): Promise<ProbeOutcome> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  if (probe.exec?.command) {
    const result = await target.exec(probe.exec.command, timeoutMs);
    if (result.timedOut) return { ok: false, message: `command timed out after ${probe.timeoutSeconds ?? 1}s` };
    return result.exitCode === 0 ? { ok: true, message: '' } : { ok: false, message: result.output.trim() };
  }
  if (probe.tcpSocket) {
    const port = resolvePort(probe.tcpSocket.port as number | string, target.container);
    if (port === undefined) return { ok: false, message: `unknown port ${String(probe.tcpSocket.port)}` };
    return tcpCheck(probe.tcpSocket.host || target.podIP, port, timeoutMs);
  }
  if (probe.httpGet) {
    const port = resolvePort(probe.httpGet.port as number | string, target.container);
    if (port === undefined) return { ok: false, message: `unknown port ${String(probe.httpGet.port)}` };
    const headers: Record<string, string> = {};
    for (const h of probe.httpGet.httpHeaders ?? []) headers[h.name] = h.value;
    return httpCheck(probe.httpGet.host || target.podIP, port, probe.httpGet.path ?? '/', headers, timeoutMs);
  }
  if (probe.grpc) return { ok: false, message: 'grpc probes are not supported by the sandbox kubelet' };
  return { ok: true, message: '' };
}

/** Consecutive-result bookkeeping with the probe's thresholds. */
export class ProbeState {
  private successes = 0;
  private failures = 0;
  result: boolean;

  constructor(private readonly probe: V1Probe, initial: boolean) {
    this.result = initial;
  }

  /** Failures in a row reached failureThreshold. */
  get failedOut(): boolean {
    return this.failures >= (this.probe.failureThreshold ?? 3);
  }

  /** Successes in a row reached successThreshold. */
  get succeeded(): boolean {
    return this.successes >= (this.probe.successThreshold ?? 1);
  }

  record(ok: boolean): boolean {
    if (ok) {
      this.failures = 0;
      this.successes++;
      if (this.succeeded) this.result = true;
    } else {
      this.successes = 0;
      this.failures++;
      if (this.failedOut) this.result = false;
    }
    return this.result;
  }
}
