/**
 * Tests of the test harness itself against a real Prosody: if these fail, every other
 * integration and browser test would fail for reasons unrelated to the extension.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startProsody, stopAll, type ProsodyServer } from '../support/prosody';
import { connectClient, type ScriptClient } from '../support/xmppClient';

describe('test harness: Prosody + script clients', () => {
  let server: ProsodyServer;
  const clients: ScriptClient[] = [];
  const connect = async (user: string, resource?: string) => {
    const c = await connectClient({ server, user, password: `${user}-pw`, resource });
    clients.push(c);
    return c;
  };

  before(async () => {
    server = await startProsody({ users: { alice: 'alice-pw', bob: 'bob-pw' } });
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.stop()));
    await stopAll();
  });

  it('starts a server that verifies with the test CA', () => {
    assert.ok(server.port > 0);
    assert.ok(server.pid > 0);
    assert.match(server.caPem, /BEGIN CERTIFICATE/);
    assert.match(server.certFingerprint256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });

  it('two script clients exchange a message', async () => {
    const alice = await connect('alice', 'script');
    const bob = await connect('bob', 'script');
    await alice.sendMessage('bob@localhost', 'hello bob');
    const m = await bob.waitForMessage((m) => m.body === 'hello bob');
    assert.equal(m.from, alice.jid);
    await bob.sendMessage(m.from, 'hi alice');
    assert.equal((await alice.waitForMessage()).body, 'hi alice');
  });

  it('sessions() lists the connected full JIDs', async () => {
    const sessions = await server.sessions();
    assert.deepEqual(
      sessions.filter((j) => j.endsWith('/script')),
      ['alice@localhost/script', 'bob@localhost/script'],
    );
  });

  it('register() adds an account while the server runs', async () => {
    await server.register('carol', 'carol-pw');
    const carol = await connect('carol');
    assert.match(carol.jid, /^carol@localhost\//);
  });

  it('restart() keeps accounts and the port', async () => {
    const port = server.port;
    const oldPid = server.pid;
    await Promise.all(clients.splice(0).map((c) => c.stop()));
    await server.kill();
    await server.restart();
    assert.equal(server.port, port);
    assert.notEqual(server.pid, oldPid);
    const carol = await connect('carol');
    const alice = await connect('alice');
    await carol.sendMessage('alice@localhost', 'after restart');
    assert.equal((await alice.waitForMessage()).body, 'after restart');
  });

  it('a wrong password is refused', async () => {
    await assert.rejects(connectClient({ server, user: 'alice', password: 'wrong' }), /not-authorized/);
  });
});

describe('test harness: certificate checks', () => {
  after(stopAll);

  it('a verifying client refuses a self-signed certificate', async () => {
    const server = await startProsody({ users: { alice: 'pw' }, certificate: 'self-signed-untrusted', muc: false });
    await assert.rejects(connectClient({ server, user: 'alice', password: 'pw' }), (e: Error & { code?: string }) => {
      assert.match(`${e.code} ${e.message}`, /SELF_SIGNED|self[- ]signed/i);
      return true;
    });
    await server.stop();
  });
});
