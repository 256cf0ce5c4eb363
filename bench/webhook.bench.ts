/**
 * `npm run bench:webhook`: autocannon over HTTPS against POST /mutate/kvstore and POST /validate/kvstore with a
 * realistic KVStore (test/fixtures/kvstore/realistic.json), at concurrency 1, 16 and 64, then an open-loop run paced
 * at 1,000 requests/s per endpoint (the p99 target; see runPaced). Prints requests/s, p50, p99, p99.9, the server's peak
 * RSS and its CPU time per request, plus transport-only baseline rows (closed loop and fixed rate). Fixed-rate rows
 * are open loop and count latency from each request's intended send time; they also show the load generator's own
 * CPU per request and how late it sent (it shares the two cores with the server). With --policies, the policy
 * engine alone is also measured in-process (CPU µs per evaluation). It never asserts: figures only.
 *
 * The server runs in a child process (this same file with REDWING_BENCH_ROLE=server) so the load generator does
 * not share its event loop, and its RSS is the server's alone.
 *
 * Options (flags or environment):
 *   --duration S        / BENCH_DURATION_S       seconds per run (default 10)
 *   --rate N            / BENCH_RATE             fixed-rate requests/s (default 1000)
 *   --policies N        / BENCH_POLICIES         load N synthetic KVPolicies into the server (default 0)
 *   --policy-module P   / BENCH_POLICY_MODULE    module exporting `createBenchPolicies(count): PolicyPort | Promise<PolicyPort>`
 *   --runs LIST         / BENCH_RUNS             which runs, comma-separated: baseline, closed, paced (default all;
 *                                                 e.g. `--runs paced` with BENCH_SERVER_NODE_ARGS=--cpu-prof to profile)
 *   --json                                        also print the results as one JSON line
 *   BENCH_SERVER_NODE_ARGS                        extra node flags for the server process (e.g. --cpu-prof)
 */
import { fork, type ChildProcess } from 'node:child_process';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { createCertificateAuthority, issueServingCertificate } from '../certs/authority.js';
import type { CertificateSource, ServingMaterial } from '../certs/certificate-source.js';
import { applyKVStoreDefaults } from '../shared/defaulting.js';
import { createLogger } from '../shared/logger.js';
import type { KVStoreSpec } from '../shared/schema/kvstore.js';
import { createWebhookApp, MAX_BODY_BYTES } from '../webhook/app.js';
import { readRequestBody } from '../webhook/request-body.js';
import { NO_POLICIES, type PolicyPort } from '../policy/policy-port.js';
import { startWebhookServer } from '../webhook/server.js';

interface Histogram { average: number; p50: number; p99: number; p99_9: number; max: number }
interface AutocannonResult {
  requests: Histogram & { total?: number };
  latency: Histogram;
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
}
interface AutocannonInstance { on(event: 'response', listener: (client: unknown, statusCode: number, bytes: number, responseTimeMs: number) => void): void }
type Autocannon = (options: Record<string, unknown>, done: (error: Error | null, result: AutocannonResult) => void) => AutocannonInstance;

const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

type ServerMessage =
  | { type: 'listening'; port: number; caPem: string }
  | { type: 'rss'; peakBytes: number; currentBytes: number; cpuMicros: number; serverP99Ms: number };

function option(flag: string, env: string, fallback: string): string {
  const index = process.argv.indexOf(flag);
  if (index >= 0 && process.argv[index + 1] !== undefined) return process.argv[index + 1]!;
  return process.env[env] ?? fallback;
}

function staticSource(material: ServingMaterial): CertificateSource {
  return { current: () => material, onChange: () => () => {}, isReady: () => true, stop: async () => {} };
}

async function loadPolicies(count: number, modulePath: string): Promise<PolicyPort> {
  if (count === 0) return NO_POLICIES;
  if (!modulePath) throw new Error('--policies needs --policy-module (a module exporting createBenchPolicies(count))');
  const module = await import(pathToFileURL(resolve(modulePath)).href) as { createBenchPolicies(count: number): PolicyPort | Promise<PolicyPort> };
  return module.createBenchPolicies(count);
}

/** Child process: the webhook over HTTPS, reporting its port and (on request) its peak RSS. */
async function runServer(): Promise<void> {
  const ca = createCertificateAuthority({ commonName: 'redwing-bench-ca' });
  const serving = issueServingCertificate(ca, { commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  const policy = await loadPolicies(Number(process.env.BENCH_POLICIES ?? 0), process.env.BENCH_POLICY_MODULE ?? '');
  const webhookApp = createWebhookApp({ policy, logger: createLogger('webhook-bench', { level: 'silent' }) });
  // Server-side latency, request arrival to response sent: the webhook's own share, without the load generator's.
  let serverLatencies: number[] = [];
  const app = (req: IncomingMessage, res: ServerResponse): void => {
    const startedMs = performance.now();
    res.on('finish', () => serverLatencies.push(performance.now() - startedMs));
    // The same transport as the webhook (HTTPS, node:http, the body read, a JSON answer) with no admission logic:
    // what the webhook costs on top of it is the difference.
    if (req.url === '/baseline') {
      readRequestBody(req, MAX_BODY_BYTES, () => {
        const text = JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'bench', allowed: true } });
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      });
      return;
    }
    webhookApp(req, res);
  };
  const server = await startWebhookServer({
    app, certificateSource: staticSource({ ...serving, caBundlePem: ca.certPem }), port: 0, host: '127.0.0.1',
  });
  let peak = process.memoryUsage.rss();
  const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()); }, 50);
  process.on('message', (message: { type: string }) => {
    if (message.type === 'rss') {
      const current = process.memoryUsage.rss();
      const cpu = process.cpuUsage();
      serverLatencies.sort((a, b) => a - b);
      process.send!({
        type: 'rss', peakBytes: Math.max(peak, current), currentBytes: current, cpuMicros: cpu.user + cpu.system,
        serverP99Ms: percentile(serverLatencies, 0.99),
      } satisfies ServerMessage);
      serverLatencies = [];
      peak = current;
    } else if (message.type === 'stop') {
      clearInterval(sampler);
      void server.close().then(() => process.exit(0));
    }
  });
  process.send!({ type: 'listening', port: server.port, caPem: ca.certPem } satisfies ServerMessage);
}

function nextMessage<T extends ServerMessage['type']>(child: ChildProcess, type: T): Promise<Extract<ServerMessage, { type: T }>> {
  return new Promise((resolvePromise, reject) => {
    const onMessage = (message: ServerMessage) => {
      if (message.type !== type) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolvePromise(message as Extract<ServerMessage, { type: T }>);
    };
    const onExit = (code: number | null) => reject(new Error(`bench server exited (${code})`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
}

interface RunFigures {
  endpoint: string; connections: number; paced?: boolean; rate?: number; requestsPerSecond: number; total: number;
  p50Ms: number; p99Ms: number; p99_9Ms: number; maxMs: number; errors: number; non2xx: number; peakRssMiB: number;
  /** Server CPU time (user + system, TLS included) per answered request: robust to a busy machine, unlike latency. */
  serverCpuMicrosPerRequest: number;
  /** p99 measured inside the server (arrival to response sent). */
  serverP99Ms: number;
  /** Load generator CPU per request (fixed-rate runs): it shares the two cores with the server. */
  clientCpuMicrosPerRequest?: number;
  /**
   * p99 of how late the load generator itself sent requests (actual send minus intended send time, fixed-rate runs).
   * Latencies count from the intended time, so this lateness is part of them: a large value means the generator,
   * not the server, is behind.
   */
  sendLagP99Ms?: number;
}

async function runLoad(child: ChildProcess, port: number, caPem: string, endpoint: string, body: string,
  connections: number, durationSeconds: number, rate?: number): Promise<RunFigures> {
  const before = await nextMessageAfterSend(child, 'rss');
  const latencies: number[] = [];
  const result = await new Promise<AutocannonResult>((resolvePromise, reject) => {
    const instance = autocannon({
      url: `https://127.0.0.1:${port}${endpoint}`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      connections,
      duration: durationSeconds,
      ...(rate ? { overallRate: rate } : {}),
      tlsOptions: { ca: caPem, servername: 'localhost' },
    }, (error, finished) => (error ? reject(error) : resolvePromise(finished)));
    instance.on('response', (_client, _status, _bytes, responseTimeMs) => latencies.push(responseTimeMs));
  });
  const rss = await nextMessageAfterSend(child, 'rss');
  latencies.sort((a, b) => a - b);
  return {
    endpoint, connections, ...(rate ? { rate } : {}),
    requestsPerSecond: latencies.length / result.duration,
    total: latencies.length,
    p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99), p99_9Ms: percentile(latencies, 0.999),
    maxMs: latencies[latencies.length - 1] ?? NaN,
    errors: result.errors, non2xx: result.non2xx, peakRssMiB: rss.peakBytes / 2 ** 20,
    serverCpuMicrosPerRequest: (rss.cpuMicros - before.cpuMicros) / Math.max(1, latencies.length),
    serverP99Ms: rss.serverP99Ms,
  };
}

const PACED_CONNECTIONS = 16;

/** One keep-alive TLS connection sending prebuilt HTTP/1.1 requests, one at a time, with a minimal response parser. */
class LeanConnection {
  private buffer: Buffer = Buffer.alloc(0);
  private onResponse: ((status: number) => void) | undefined;
  constructor(private readonly socket: TLSSocket) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
  }

  static open(port: number, caPem: string): Promise<LeanConnection> {
    return new Promise((resolveOpen, reject) => {
      const socket = tlsConnect({ host: '127.0.0.1', port, ca: caPem, servername: 'localhost' }, () => resolveOpen(new LeanConnection(socket)));
      socket.once('error', reject);
    });
  }

  send(request: Buffer, onResponse: (status: number) => void): void {
    this.onResponse = onResponse;
    this.socket.write(request);
  }

  private receive(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const headerEnd = this.buffer.indexOf('\r\n\r\n');
    if (headerEnd < 0) return;
    const head = this.buffer.subarray(0, headerEnd).toString('latin1');
    const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
    if (this.buffer.length < headerEnd + 4 + length) return;
    this.buffer = this.buffer.subarray(headerEnd + 4 + length);
    const done = this.onResponse;
    this.onResponse = undefined;
    done?.(Number(head.slice(9, 12)));
  }

  close(): void {
    this.socket.destroy();
  }
}

/**
 * Open-loop load at a steady `rate`: request i is due at start + i/rate and its latency counts from that moment, so
 * a stalled server cannot hide its stall (no coordinated omission). autocannon's overallRate sends each second's
 * quota as fast as it can and then waits (bursts, not a steady rate), and Node's own https client costs more CPU
 * than the server on these 2-core machines, so this uses a pool of warm keep-alive TLS connections (as the API
 * server keeps) with prebuilt requests.
 */
async function runPaced(child: ChildProcess, port: number, caPem: string, endpoint: string, body: string,
  rate: number, durationSeconds: number): Promise<RunFigures> {
  const request = Buffer.from(`POST ${endpoint} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: keep-alive\r\n\r\n${body}`);
  const idle = await Promise.all(Array.from({ length: PACED_CONNECTIONS }, () => LeanConnection.open(port, caPem)));
  const all = [...idle];
  const before = await nextMessageAfterSend(child, 'rss');
  const latencies: number[] = [];
  const sendLags: number[] = [];
  const backlog: number[] = [];
  let non2xx = 0;
  const total = Math.round(rate * durationSeconds);
  const clientCpuBefore = process.cpuUsage();
  const startMs = performance.now();
  await new Promise<void>((resolveAll) => {
    let sent = 0;
    let finished = 0;
    const dispatch = (connection: LeanConnection, dueMs: number): void => {
      sendLags.push(performance.now() - dueMs);
      connection.send(request, (status) => {
        if (status >= 300) non2xx += 1;
        latencies.push(performance.now() - dueMs);
        if (++finished === total) return resolveAll();
        const next = backlog.shift();
        if (next === undefined) idle.push(connection);
        else dispatch(connection, next);
      });
    };
    const tick = (): void => {
      const due = Math.min(total, Math.floor(((performance.now() - startMs) / 1000) * rate) + 1);
      for (; sent < due; sent++) {
        const dueMs = startMs + (sent * 1000) / rate;
        const connection = idle.pop();
        if (connection) dispatch(connection, dueMs);
        else backlog.push(dueMs);
      }
      if (sent < total) setTimeout(tick, 1);
    };
    tick();
  });
  const elapsedSeconds = (performance.now() - startMs) / 1000;
  const clientCpu = process.cpuUsage(clientCpuBefore);
  const rss = await nextMessageAfterSend(child, 'rss');
  for (const connection of all) connection.close();
  latencies.sort((a, b) => a - b);
  sendLags.sort((a, b) => a - b);
  return {
    endpoint, connections: PACED_CONNECTIONS, paced: true, rate, requestsPerSecond: latencies.length / elapsedSeconds,
    total: latencies.length, p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99),
    p99_9Ms: percentile(latencies, 0.999), maxMs: latencies[latencies.length - 1] ?? NaN, errors: 0, non2xx,
    peakRssMiB: rss.peakBytes / 2 ** 20,
    serverCpuMicrosPerRequest: (rss.cpuMicros - before.cpuMicros) / Math.max(1, latencies.length),
    serverP99Ms: rss.serverP99Ms,
    clientCpuMicrosPerRequest: (clientCpu.user + clientCpu.system) / Math.max(1, latencies.length),
    sendLagP99Ms: percentile(sendLags, 0.99),
  };
}

function nextMessageAfterSend<T extends ServerMessage['type']>(child: ChildProcess, type: T): Promise<Extract<ServerMessage, { type: T }>> {
  const pending = nextMessage(child, type);
  child.send({ type });
  return pending;
}

function review(operation: 'CREATE', object: Record<string, unknown>, uid: string): string {
  const metadata = object.metadata as { name: string; namespace: string };
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview',
    request: {
      uid, operation, name: metadata.name, namespace: metadata.namespace,
      kind: { group: 'redwing.dev', version: 'v1alpha1', kind: 'KVStore' },
      resource: { group: 'redwing.dev', version: 'v1alpha1', resource: 'kvstores' },
      userInfo: { username: 'alice@example.com', groups: ['system:authenticated'] },
      object, oldObject: null, dryRun: false, options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' },
    },
  });
}

const ENGINE_ITERATIONS = 20_000;

/**
 * The policy engine alone, in this process (no HTTP, no JSON): CPU µs per call of `evaluate` (validating webhook)
 * and `defaultsFor` (mutating webhook) on the bench's store, after a warm-up. `evaluate` gets the defaulted spec the
 * way the validating handler passes it.
 */
async function measureEngine(count: number, modulePath: string, object: Record<string, unknown>, raw: Record<string, unknown>): Promise<{ evaluateMicros: number; defaultsMicros: number; violations: number }> {
  const port = await loadPolicies(count, modulePath);
  const metadata = object.metadata as { namespace: string };
  const base = { operation: 'CREATE' as const, namespace: metadata.namespace, oldObject: null, userInfo: { username: 'alice@example.com', groups: ['system:authenticated'] }, dryRun: false };
  const validating = { ...base, object, effectiveSpec: object.spec as KVStoreSpec };
  const mutating = { ...base, object: raw };
  const perCall = (call: () => unknown): number => {
    for (let i = 0; i < ENGINE_ITERATIONS / 10; i++) call();
    const before = process.cpuUsage();
    for (let i = 0; i < ENGINE_ITERATIONS; i++) call();
    const spent = process.cpuUsage(before);
    return (spent.user + spent.system) / ENGINE_ITERATIONS;
  };
  return {
    evaluateMicros: perCall(() => port.evaluate(validating)),
    defaultsMicros: perCall(() => port.defaultsFor(mutating)),
    violations: port.evaluate(validating).length,
  };
}

function format(figures: RunFigures): string {
  const cells = [
    figures.endpoint.padEnd(18), String(figures.connections).padStart(4), (figures.rate ? `${figures.paced ? '~' : ''}${figures.rate}` : 'max').padStart(6),
    figures.requestsPerSecond.toFixed(0).padStart(8), figures.p50Ms.toFixed(2).padStart(7), figures.p99Ms.toFixed(2).padStart(7),
    figures.p99_9Ms.toFixed(2).padStart(8), figures.maxMs.toFixed(1).padStart(7), String(figures.errors + figures.non2xx).padStart(6),
    figures.peakRssMiB.toFixed(0).padStart(8), figures.serverCpuMicrosPerRequest.toFixed(0).padStart(10),
    figures.serverP99Ms.toFixed(2).padStart(10),
  ];
  if (figures.clientCpuMicrosPerRequest !== undefined) {
    cells.push(`  (client: ${figures.clientCpuMicrosPerRequest.toFixed(0)} cpu us/req, send lag p99 ${figures.sendLagP99Ms!.toFixed(2)} ms)`);
  }
  return cells.join(' ');
}

async function main(): Promise<void> {
  const durationSeconds = Number(option('--duration', 'BENCH_DURATION_S', '10'));
  const rate = Number(option('--rate', 'BENCH_RATE', '1000'));
  const policies = Number(option('--policies', 'BENCH_POLICIES', '0'));
  const policyModule = option('--policy-module', 'BENCH_POLICY_MODULE', '');
  const runs = new Set(option('--runs', 'BENCH_RUNS', 'baseline,closed,paced').split(',').map((run) => run.trim()));
  const raw = JSON.parse(readFileSync(new URL('../test/fixtures/kvstore/realistic.json', import.meta.url), 'utf8')) as Record<string, unknown> & { metadata: { name: string } };
  const defaulted = { ...raw, spec: applyKVStoreDefaults(raw.spec as KVStoreSpec, raw.metadata.name) };
  const bodies: Record<string, string> = {
    '/mutate/kvstore': review('CREATE', raw, 'bench-mutate'),
    '/validate/kvstore': review('CREATE', defaulted, 'bench-validate'),
  };

  const child = fork(fileURLToPath(import.meta.url), [], {
    // BENCH_SERVER_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", to profile the server side.
    execArgv: ['--import', 'tsx', ...(process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean)],
    env: { ...process.env, REDWING_BENCH_ROLE: 'server', BENCH_POLICIES: String(policies), BENCH_POLICY_MODULE: policyModule },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const { port, caPem } = await nextMessage(child, 'listening');
    process.stdout.write(`redwing webhook benchmark: node ${process.version}, ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}, ` +
      `${durationSeconds}s per run, ${policies} policies, body sizes ` +
      `mutate ${bodies['/mutate/kvstore']!.length} B / validate ${bodies['/validate/kvstore']!.length} B\n` +
      `rate "max": autocannon, closed loop; rate "~N": open loop, latency counted from each request's intended send time\n`);
    // warm-up: JIT, TLS session setup, ajv paths
    for (const [endpoint, body] of Object.entries(bodies)) await runLoad(child, port, caPem, endpoint, body, 16, 2);
    process.stdout.write(`${'endpoint'.padEnd(18)} conn   rate    req/s  p50 ms  p99 ms p99.9 ms  max ms errors  RSS MiB cpu us/req srv p99 ms\n`);
    const results: RunFigures[] = [];
    if (runs.has('baseline')) {
      const baseline = await runLoad(child, port, caPem, '/baseline', bodies['/validate/kvstore']!, 16, durationSeconds);
      results.push(baseline);
      process.stdout.write(`${format(baseline)}   (transport only: HTTPS + node:http + body read + JSON answer, no admission logic)\n`);
      if (runs.has('paced')) {
        const pacedBaseline = await runPaced(child, port, caPem, '/baseline', bodies['/validate/kvstore']!, rate, durationSeconds);
        results.push(pacedBaseline);
        process.stdout.write(`${format(pacedBaseline)}   (transport only, fixed rate)\n`);
      }
    }
    for (const [endpoint, body] of Object.entries(bodies)) {
      for (const connections of runs.has('closed') ? [1, 16, 64] : []) {
        const figures = await runLoad(child, port, caPem, endpoint, body, connections, durationSeconds);
        results.push(figures);
        process.stdout.write(`${format(figures)}\n`);
      }
      if (!runs.has('paced')) continue;
      const fixed = await runPaced(child, port, caPem, endpoint, body, rate, durationSeconds);
      results.push(fixed);
      process.stdout.write(`${format(fixed)}\n`);
    }
    let engine: Awaited<ReturnType<typeof measureEngine>> | undefined;
    if (policies > 0) {
      engine = await measureEngine(policies, policyModule, defaulted, raw);
      process.stdout.write(`policy engine alone (in-process, ${ENGINE_ITERATIONS} calls, CPU time): evaluate ${engine.evaluateMicros.toFixed(1)} µs/request ` +
        `(${engine.violations} violations), defaultsFor ${engine.defaultsMicros.toFixed(1)} µs/request\n`);
    }
    if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify({ policies, durationSeconds, results, engine })}\n`);
  } finally {
    child.send({ type: 'stop' });
    await new Promise<void>((resolvePromise) => {
      const timer = setTimeout(() => { child.kill(); resolvePromise(); }, 5000);
      child.once('exit', () => { clearTimeout(timer); resolvePromise(); });
    });
  }
}

if (process.env.REDWING_BENCH_ROLE === 'server') {
  runServer().catch((error: unknown) => {
    process.stderr.write(`bench server failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
} else {
  main().catch((error: unknown) => {
    process.stderr.write(`benchmark failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
