/**
 * The loopback partition fault: a process under the cut-off uid can no longer connect to the address, root (the
 * pods' and the clients' side) still can, other addresses stay reachable, and healing restores both the path and the
 * machine's original rule table.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { connect, createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { connectAs, partition, partitionUnsupportedReason } from '../../sandbox/faults/partition.js';

const NOBODY = 65534;
const TARGET_IP = '127.0.0.243';

function connectHere(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.on('connect', () => { socket.destroy(); resolve('connected'); });
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

const rules = () => execFileSync('ip', ['-4', 'rule', 'show'], { encoding: 'utf8' });

describe('sandbox fault: partition one uid from one loopback address', async () => {
  const unsupported = await partitionUnsupportedReason();
  let server: Server;
  let port: number;

  before(async () => {
    if (unsupported) return;
    server = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, TARGET_IP, resolve));
    port = (server.address() as { port: number }).port;
  });

  after(async () => {
    await new Promise((resolve) => server?.close(resolve));
  });

  it('blocks the uid only, and heals back to the original rule table', { skip: unsupported }, async () => {
    const before = rules();
    // The same port on 127.0.0.1: other addresses must stay reachable for the cut-off uid.
    const other = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => other.listen(port, '127.0.0.1', resolve));
    try {
      assert.equal(await connectAs(NOBODY, TARGET_IP, port), 'connected', 'reachable before the partition');
      const cut = await partition({ uid: NOBODY, toIp: TARGET_IP });
      try {
        assert.equal(await connectAs(NOBODY, TARGET_IP, port), 'EACCES', 'the cut-off uid is refused');
        assert.equal(await connectHere(TARGET_IP, port), 'connected', 'root still connects');
        assert.equal(await connectAs(NOBODY, '127.0.0.1', port), 'connected', 'other addresses stay reachable');
      } finally {
        await cut.heal();
      }
      assert.equal(await connectAs(NOBODY, TARGET_IP, port), 'connected', 'reachable again after heal');
      assert.equal(rules(), before, 'the rule table is as it was');
      await cut.heal();
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
  });
});
