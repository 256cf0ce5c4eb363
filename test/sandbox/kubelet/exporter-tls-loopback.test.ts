// The exporter shim over TLS: a sidecar dials rediss://localhost, and a certificate valid for localhost (not for the
// pod's 127.0.0.N) must verify, as over a pod's own loopback on a cluster. The shim keeps the name through a loopback
// forwarder to the pod's address; the forwarder goes when the exporter does.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createCertificateAuthority, issueServingCertificate } from '../../../certs/authority.js';
import { waitFor } from '../../../harness/wait-for.js';
import { findOnPath } from '../../../sandbox/kubelet/images.js';
import { LOOPBACK_FORWARDER_FILE } from '../../../sandbox/kubelet/loopback-forwarder.js';
import { installShims, POD_IP_ENV } from '../../../sandbox/kubelet/shims.js';
import { exporterScratch } from './exporter-scratch.js';

const { dir, children, pool } = exporterScratch('exporter-tls');

const exporterMissing = !findOnPath('prometheus-redis-exporter', process.env.PATH ?? '') && 'prometheus-redis-exporter is not installed (scripts/ensure-deps.mjs)';

function forwardersRunning(): number {
  const result = spawnSync('pgrep', ['-f', join(dir, 'bin', LOOPBACK_FORWARDER_FILE)], { encoding: 'utf8' });
  return result.stdout.trim() === '' ? 0 : result.stdout.trim().split('\n').length;
}

test('the real exporter scrapes a TLS engine with a certificate for localhost only, with a client certificate: redis_up 1', { skip: exporterMissing }, async () => {
  const ca = createCertificateAuthority({ commonName: 'exporter-tls-ca' });
  const serving = issueServingCertificate(ca, { commonName: 'engine', dnsNames: ['localhost'], clientAuth: true });
  for (const [file, pem] of [['ca.crt', ca.certPem], ['tls.crt', serving.certPem], ['tls.key', serving.keyPem]] as const) writeFileSync(join(dir, file), pem);
  const shims = installShims(join(dir, 'bin'));
  const ip = pool.allocate('exporter-tls-test');
  const redis = spawn('redis-server', ['--bind', ip, '--port', '0', '--tls-port', '6379', '--save', '', '--appendonly', 'no', '--dir', dir,
    '--tls-cert-file', join(dir, 'tls.crt'), '--tls-key-file', join(dir, 'tls.key'), '--tls-ca-cert-file', join(dir, 'ca.crt'), '--tls-auth-clients', 'yes',
    '--requirepass', 'store-pw'], { stdio: 'ignore' });
  children.push(redis);
  const exporter = spawn(join(shims.dir, 'redis_exporter'), [], {
    env: {
      PATH: shims.path, [POD_IP_ENV]: ip, REDIS_ADDR: 'rediss://localhost:6379', REDIS_PASSWORD: 'store-pw',
      REDIS_EXPORTER_TLS_CA_CERT_FILE: join(dir, 'ca.crt'), REDIS_EXPORTER_TLS_CLIENT_CERT_FILE: join(dir, 'tls.crt'), REDIS_EXPORTER_TLS_CLIENT_KEY_FILE: join(dir, 'tls.key'),
    },
    stdio: 'ignore',
  });
  children.push(exporter);
  const metrics = await waitFor('redis_up 1 over TLS', async () => {
    const text = await (await fetch(`http://${ip}:9121/metrics`).catch(() => undefined))?.text();
    return text && /^redis_up 1$/m.test(text) ? text : undefined;
  }, 20_000);
  assert.match(metrics, /^redis_exporter_last_scrape_error\{err=""\} 0$/m);
  assert.equal(forwardersRunning(), 1);
  exporter.kill('SIGKILL');
  await waitFor('the forwarder to follow the exporter', () => forwardersRunning() === 0, 5_000);
});
