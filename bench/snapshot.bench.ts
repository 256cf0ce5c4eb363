/**
 * Snapshot benchmark: a dataset of --size MiB (default 1024, incompressible values) in a redis-server (or
 * --engine valkey), streamed to S3 and back the way the operator does it, against a baseline measured in the same run.
 *
 *   npm run bench:snapshot -- [--size 1024] [--engine redis|valkey]
 *
 * 1. operator upload: a separate Node process (bench/snapshot-operator.ts) streams the engine's RDB over the
 *    replication protocol into a multipart upload (8 MiB parts, per-part SHA-256 and MD5) to the SigV4 S3 server in
 *    harness/s3-server.ts; its RSS is sampled every 50 ms from /proc.
 * 2. baseline: `redis-cli --rdb <file>` (the same replication stream, to a local file), then a plain multipart upload
 *    of that file with the same client; the two timed separately and summed.
 * 3. operator restore: the same process feeds the object into a fresh fenced engine (restore-rdb.ts), which loads it
 *    and becomes master; keys are counted on both sides.
 * Everything is on 127.0.0.1, so the figures are CPU and disk bound, not network bound. Prints figures only.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { client as redisClient, command, loopbackHosts, RedisFleet } from '../harness/redis-processes.js';
import { startS3Server } from '../harness/s3-server.js';
import { S3Client } from '../reconciler/backups/s3/s3-client.js';
import { uploadStream } from '../reconciler/backups/s3/upload-stream.js';
import type { OperatorJob } from './snapshot-operator.js';

const { values } = parseArgs({ options: { size: { type: 'string', default: '1024' }, engine: { type: 'string', default: 'redis' } } });
const sizeMiB = Number(values.size);
if (!Number.isFinite(sizeMiB) || sizeMiB <= 0) throw new Error(`--size ${values.size}: expected a positive number of MiB`);
const binary = values.engine === 'valkey' ? 'valkey-server' : 'redis-server';
const cli = values.engine === 'valkey' && spawnSync('valkey-cli', ['--version']).status === 0 ? 'valkey-cli' : 'redis-cli';
const KEYS = { accessKeyId: 'redwing-bench', secretAccessKey: 'a-secret-of-forty-characters-0123456789ab' };
const VALUE_BYTES = 64 * 1024;

const mbps = (bytes: number, ms: number) => (bytes / 1e6 / (ms / 1000)).toFixed(1);
const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

async function rssKiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

/** Runs one operator job in its own process; its peak and median RSS while it ran. */
async function runOperator(job: OperatorJob): Promise<{ result: Record<string, number>; wallMs: number; peakRssMiB: number; medianRssMiB: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./snapshot-operator.ts', import.meta.url)), JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString('utf8'); });
  const samples: number[] = [];
  const timer = setInterval(() => { void rssKiB(child.pid!).then((kib) => { if (kib > 0) samples.push(kib); }); }, 50);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearInterval(timer);
  if (code !== 0) throw new Error(`the operator process (${job.mode}) exited with ${code}`);
  samples.sort((a, b) => a - b);
  return {
    result: JSON.parse(output.trim().split('\n').at(-1) ?? '{}') as Record<string, number>,
    wallMs: performance.now() - started,
    peakRssMiB: (samples.at(-1) ?? 0) / 1024,
    medianRssMiB: (samples[Math.floor(samples.length / 2)] ?? 0) / 1024,
  };
}

async function fill(engine: { host: string; port: number; password: string }, bytes: number): Promise<number> {
  const connection = redisClient(engine);
  await connection.connect();
  const keys = Math.ceil(bytes / VALUE_BYTES);
  try {
    // Random bytes: LZF leaves them at their size, so the RDB is as large as the dataset.
    for (let start = 0; start < keys; start += 256) {
      const pipeline = connection.pipeline();
      for (let index = start; index < Math.min(keys, start + 256); index++) pipeline.set(`k:${index}`, randomBytes(VALUE_BYTES));
      await pipeline.exec();
    }
  } finally {
    connection.disconnect();
  }
  return keys;
}

async function main(): Promise<void> {
  const fleet = new RedisFleet();
  const server = await startS3Server({ credentials: [KEYS], buckets: ['bench'] });
  const dir = await mkdtemp(join(tmpdir(), 'redwing-bench-snapshot-'));
  const [sourceHost, targetHost] = loopbackHosts(2) as [string, string];
  try {
    const source = await fleet.start({ host: sourceHost, password: 'pw', binary });
    const target = await fleet.start({ host: targetHost, password: 'pw', fenced: true, binary });
    const s3Settings = { endpoint: server.endpoint, region: server.region, ...KEYS };
    console.log(`bench:snapshot: ${sizeMiB} MiB of ${VALUE_BYTES / 1024} KiB random values in ${binary}; S3 server and engines on loopback`);
    const fillStarted = performance.now();
    const keys = await fill({ host: sourceHost, port: source.port, password: 'pw' }, sizeMiB * 1024 * 1024);
    console.log(`  filled ${keys} keys in ${((performance.now() - fillStarted) / 1000).toFixed(1)} s`);

    const upload = await runOperator({ mode: 'upload', engine: { host: sourceHost, port: source.port, password: 'pw' }, s3: s3Settings, bucket: 'bench', key: 'op/dump.rdb' });
    const size = upload.result.sizeBytes!;

    const file = join(dir, 'baseline.rdb');
    const cliStarted = performance.now();
    const dumped = spawnSync(cli, ['-h', sourceHost, '-p', String(source.port), '-a', 'pw', '--no-auth-warning', '--rdb', file], { encoding: 'utf8' });
    const cliMs = performance.now() - cliStarted;
    if (dumped.status !== 0) throw new Error(`${cli} --rdb failed: ${dumped.stderr}`);
    const s3 = new S3Client({ endpoint: server.endpoint, region: server.region, forcePathStyle: true, credentials: KEYS });
    const putStarted = performance.now();
    await uploadStream(s3, 'bench', 'baseline/dump.rdb', createReadStream(file, { highWaterMark: 1024 * 1024 }));
    const putMs = performance.now() - putStarted;
    const fileBytes = statSync(file).size;

    const restore = await runOperator({ mode: 'restore', engine: { host: targetHost, port: target.port, password: 'pw' }, s3: s3Settings, bucket: 'bench', key: 'op/dump.rdb' });
    const restoredKeys = Number(await command({ host: targetHost, port: target.port, password: 'pw' }, 'DBSIZE'));

    const rows = [
      ['operator upload (replication stream -> multipart)', size, upload.result.durationMs!, `${upload.peakRssMiB.toFixed(1)} (before ${upload.result.rssBeforeMiB!.toFixed(1)}, median ${upload.medianRssMiB.toFixed(1)})`],
      [`baseline: ${cli} --rdb to a file`, fileBytes, cliMs, ''],
      ['baseline: plain upload of the file', fileBytes, putMs, ''],
      ['baseline: both', fileBytes, cliMs + putMs, ''],
      ['operator restore (S3 -> fenced engine, loaded)', restore.result.sizeBytes!, restore.result.durationMs!, `${restore.peakRssMiB.toFixed(1)} (before ${restore.result.rssBeforeMiB!.toFixed(1)}, median ${restore.medianRssMiB.toFixed(1)})`],
    ] as const;
    console.log(`\n| step | RDB MiB | seconds | MB/s | operator RSS MiB, peak |\n|---|---|---|---|---|`);
    for (const [step, bytes, ms, rss] of rows) console.log(`| ${step} | ${mib(bytes)} | ${(ms / 1000).toFixed(2)} | ${mbps(bytes, ms)} | ${rss} |`);
    console.log(`\nkeys: ${keys} written, ${restoredKeys} after the restore${restoredKeys === keys ? '' : '  (MISMATCH)'}; ${upload.result.parts} parts`);
    if (restoredKeys !== keys) process.exitCode = 1;
  } finally {
    await fleet.stopAll();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
