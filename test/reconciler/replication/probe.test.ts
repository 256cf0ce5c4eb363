/** probeEngine against real processes: plain, TLS with the operator's CA, wrong password, closed port, hung. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCertificateAuthority, issueServingCertificate } from '../../../certs/authority.js';
import { probeEngine } from '../../../reconciler/replication/probe.js';
import { freePort } from '../../../harness/redis-server.js';
import { loopbackHosts, RedisFleet } from '../../../harness/redis-processes.js';
import { startTopology } from '../../../harness/topology.js';

const fleet = new RedisFleet();
after(async () => fleet.stopAll());

test('probeEngine reads a live replica: role, master, link, offsets, keys', async () => {
  const topology = await startTopology(fleet, 2, 'pw');
  const [master, replica] = topology.pods;
  const probe = await probeEngine(replica!.endpoint, 1000);
  assert.ok(probe.reachable);
  assert.equal(probe.state.role, 'replica');
  assert.equal(probe.state.masterHost, master!.endpoint.host);
  assert.equal(probe.state.masterPort, master!.endpoint.port);
  assert.equal(probe.state.masterLinkUp, true);
  assert.equal(probe.state.fenced, false);
  const masterProbe = await probeEngine(master!.endpoint, 1000);
  assert.ok(masterProbe.reachable);
  assert.equal(masterProbe.state.connectedReplicas.length, 1);
  assert.equal(masterProbe.state.connectedReplicas[0]!.host, replica!.endpoint.host, 'replica-announce-ip is what the master lists');
  assert.equal(probe.state.masterReplid, masterProbe.state.masterReplid);
});

test('probeEngine over TLS with a certificate from the operator CA', async () => {
  const [host] = loopbackHosts(1);
  const ca = createCertificateAuthority({ commonName: 'redwing-test-ca' });
  const serving = issueServingCertificate(ca, { commonName: 's-0', dnsNames: ['s-0.s-headless'], ipAddresses: [host!] });
  const proc = await fleet.start({ host: host!, password: 'pw', tls: { certPem: serving.certPem, keyPem: serving.keyPem, caPem: ca.certPem } });
  const probe = await probeEngine({ host: proc.host, port: proc.port, password: 'pw', tls: { ca: ca.certPem } }, 2000);
  assert.ok(probe.reachable, probe.reachable ? '' : probe.error);
  assert.equal(probe.state.role, 'master');
  // Another CA is refused: the operator does not trust what it did not issue.
  const otherCa = createCertificateAuthority({ commonName: 'someone-else' });
  const refused = await probeEngine({ host: proc.host, port: proc.port, password: 'pw', tls: { ca: otherCa.certPem } }, 2000);
  assert.equal(refused.reachable, false);
});

test('probeEngine never throws: wrong password, closed port and a hung process give reachable false', async () => {
  const [host] = loopbackHosts(1);
  const proc = await fleet.start({ host: host!, password: 'right' });
  const wrong = await probeEngine({ host: proc.host, port: proc.port, password: 'wrong' }, 1000);
  assert.equal(wrong.reachable, false);
  assert.match(wrong.reachable ? '' : wrong.error, /WRONGPASS/);
  const closed = await probeEngine({ host: proc.host, port: await freePort(proc.host) }, 1000);
  assert.equal(closed.reachable, false);
  proc.child.kill('SIGSTOP');
  const hung = await probeEngine({ host: proc.host, port: proc.port, password: 'right' }, 300);
  assert.equal(hung.reachable, false);
  proc.child.kill('SIGCONT');
});
