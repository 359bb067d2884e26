// One owner window, followers through a local channel (src/core/instance, issue 7): real Unix
// sockets and lock files in a temp dir. Several "windows" run in this one process with
// distinct fake pids; "another user" is simulated through the injectable stat/uid check.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, promises as fsp, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ChannelError, ChannelServer, ForeignOwnerError, Instance, acquireLock, connectChannel, type LockOs } from '../../src/core/instance';
import { realOs } from '../../src/core/instance/lock';

const root = mkdtempSync(path.join(tmpdir(), 'padlock-instance-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => path.join(root, `d${++n}`);

/** All fake pids are "alive"; staleness then depends on the socket answering. */
const fakeOs = (over: Partial<LockOs> = {}): LockOs => ({ ...realOs, alive: () => true, ...over });

const echo = async (method: string, params: unknown) => {
  if (method === 'fail') throw new Error('it failed');
  if (method === 'never') return new Promise(() => undefined);
  return { method, params };
};

function instance(dir: string, pid: number, os: LockOs = fakeOs()): Instance {
  return new Instance({ dir, pid, os, onRequest: echo, timeoutMs: 2000, probeTimeoutMs: 500 });
}

const lockFile = (dir: string) => path.join(dir, 'owner.lock');

describe('instance lock', () => {
  it('the first window owns, the second follows the same socket; the directory is 0700', async () => {
    const dir = freshDir();
    const a = instance(dir, 101);
    const b = instance(dir, 102);
    try {
      assert.equal(await a.start(), 'owner');
      assert.equal(await b.start(), 'follower');
      const lock = JSON.parse(readFileSync(lockFile(dir), 'utf8'));
      assert.equal(lock.pid, 101);
      assert.equal(typeof lock.startedAt, 'number');
      assert.equal(lock.socket, a.server!.socket);
      assert.equal(statSync(dir).mode & 0o777, 0o700);
      assert.equal(statSync(lockFile(dir)).mode & 0o777, 0o600);
      assert.deepEqual(await b.request('hello', { x: 1 }), { method: 'hello', params: { x: 1 } });
    } finally {
      await b.dispose();
      await a.dispose();
    }
  });

  it('three windows starting together: exactly one owner', async () => {
    const dir = freshDir();
    const all = [instance(dir, 201), instance(dir, 202), instance(dir, 203)];
    try {
      const roles = await Promise.all(all.map((i) => i.start()));
      assert.equal(roles.filter((r) => r === 'owner').length, 1, roles.join());
    } finally {
      for (const i of all) await i.dispose();
    }
  });

  it('takes over a stale lock whose pid is dead', async () => {
    const dir = freshDir();
    await fsp.mkdir(dir, { mode: 0o700 });
    writeFileSync(lockFile(dir), JSON.stringify({ pid: 999_999, startedAt: 1, socket: path.join(dir, 'gone.sock') }));
    const a = instance(dir, 301, fakeOs({ alive: (pid) => pid !== 999_999 }));
    try {
      assert.equal(await a.start(), 'owner');
      assert.equal(JSON.parse(readFileSync(lockFile(dir), 'utf8')).pid, 301);
    } finally {
      await a.dispose();
    }
  });

  it('takes over a stale lock whose pid lives but whose socket refuses connections', async () => {
    const dir = freshDir();
    await fsp.mkdir(dir, { mode: 0o700 });
    // A socket file with nobody listening (a crashed owner whose pid was reused).
    const dead = path.join(dir, 'owner-302.sock');
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(dead, () => r()));
    await new Promise<void>((r) => srv.close(() => r()));
    writeFileSync(dead, '');
    writeFileSync(lockFile(dir), JSON.stringify({ pid: 302, startedAt: 1, socket: dead }));
    const a = instance(dir, 303);
    try {
      assert.equal(await a.start(), 'owner');
    } finally {
      await a.dispose();
    }
  });

  it('a torn lock file (not JSON) counts as stale', async () => {
    const dir = freshDir();
    await fsp.mkdir(dir, { mode: 0o700 });
    writeFileSync(lockFile(dir), '{"pid": 4');
    const a = instance(dir, 304);
    try {
      assert.equal(await a.start(), 'owner');
    } finally {
      await a.dispose();
    }
  });

  it('refuses a lock file that belongs to another user', async () => {
    const dir = freshDir();
    await fsp.mkdir(dir, { mode: 0o700 });
    writeFileSync(lockFile(dir), JSON.stringify({ pid: process.pid, startedAt: 1, socket: path.join(dir, 'x.sock') }));
    const me = realOs.uid()!;
    const other = fakeOs({ stat: async (f) => ({ ...(await fsp.stat(f)), uid: f === lockFile(dir) ? me + 1 : me }) });
    const a = instance(dir, 401, other);
    await assert.rejects(a.start(), ForeignOwnerError);
    // Nothing was taken over or deleted.
    assert.equal(JSON.parse(readFileSync(lockFile(dir), 'utf8')).pid, process.pid);
    await a.dispose();
  });

  it('refuses a directory that belongs to another user', async () => {
    const dir = freshDir();
    const me = realOs.uid()!;
    const other = fakeOs({ stat: async (f) => ({ ...(await fsp.stat(f)), uid: me + 7 }) });
    await assert.rejects(acquireLock({ dir, os: other }, async () => 0, async () => undefined), ForeignOwnerError);
  });

  it("refuses to follow an owner whose socket belongs to another user", async () => {
    const dir = freshDir();
    const a = instance(dir, 501);
    assert.equal(await a.start(), 'owner');
    const me = realOs.uid()!;
    const sock = a.server!.socket;
    const b = instance(dir, 502, fakeOs({ stat: async (f) => ({ ...(await fsp.stat(f)), uid: f === sock ? me + 1 : me }) }));
    try {
      await assert.rejects(b.start(), ForeignOwnerError);
    } finally {
      await b.dispose();
      await a.dispose();
    }
  });

  it('makes an existing, too open directory private again', async () => {
    const dir = freshDir();
    await fsp.mkdir(dir, { mode: 0o755 });
    await fsp.chmod(dir, 0o755);
    const a = instance(dir, 601);
    try {
      await a.start();
      assert.equal(statSync(dir).mode & 0o777, 0o700);
    } finally {
      await a.dispose();
    }
  });
});

describe('instance channel', () => {
  async function pair(timeoutMs = 2000) {
    const dir = freshDir();
    await fsp.mkdir(dir, { mode: 0o700 });
    const sock = path.join(dir, 'c.sock');
    const server = await ChannelServer.listen(sock, echo, { timeoutMs });
    const client = await connectChannel(sock, echo, { timeoutMs });
    return { server, client, sock };
  }

  it('matches responses to requests by id, also when answered out of order', async () => {
    const slowFirst = async (method: string, params: unknown) => {
      if (method === 'slow') await new Promise((r) => setTimeout(r, 30));
      return params;
    };
    const dir = freshDir();
    await fsp.mkdir(dir, { mode: 0o700 });
    const sock = path.join(dir, 's.sock');
    const server = await ChannelServer.listen(sock, slowFirst);
    const client = await connectChannel(sock, echo);
    try {
      const order: string[] = [];
      const p1 = client.request('slow', 'one').then((v) => order.push(String(v)));
      const p2 = client.request('fast', 'two').then((v) => order.push(String(v)));
      await Promise.all([p1, p2]);
      assert.deepEqual(order, ['two', 'one']);
      assert.equal(statSync(sock).mode & 0o777, 0o600);
    } finally {
      client.close();
      await server.close();
    }
  });

  it('carries handler errors back as rejections', async () => {
    const { server, client } = await pair();
    try {
      await assert.rejects(client.request('fail'), (e: Error) => e instanceof ChannelError && /it failed/.test(e.message));
    } finally {
      client.close();
      await server.close();
    }
  });

  it('times out a request that gets no answer, and rejects pending ones when the channel closes', async () => {
    const { server, client } = await pair(200);
    try {
      await assert.rejects(client.request('never'), /no answer within 200 ms/);
      const pending = assert.rejects(client.request('never', undefined, 5000), /closed before the answer/);
      await server.close();
      await pending;
    } finally {
      client.close();
    }
  });

  it('delivers events both ways and requests from the owner to a follower', async () => {
    const { server, client } = await pair();
    try {
      const got = client.waitFor('event');
      await new Promise<void>((r) => (server.peers.size ? r() : server.once('connection', () => r())));
      server.broadcast('message', { text: 'hi' });
      assert.deepEqual(await got, { event: 'message', data: { text: 'hi' } });
      const [peer] = server.peers;
      assert.deepEqual(await peer.request('ping', 1), { method: 'ping', params: 1 });
    } finally {
      client.close();
      await server.close();
    }
  });

  it('closes a connection that sends something other than JSON, and keeps serving others', async () => {
    const { server, client, sock } = await pair();
    try {
      const raw = net.connect(sock);
      await new Promise((r) => raw.once('connect', r));
      const closed = new Promise((r) => raw.once('close', r));
      raw.write('<html>not json</html>\n');
      await closed;
      assert.deepEqual(await client.request('still', 2), { method: 'still', params: 2 });
    } finally {
      client.close();
      await server.close();
    }
  });
});

describe('handover', () => {
  it('when the owner goes away, exactly one follower becomes the owner and the other follows it', async () => {
    const dir = freshDir();
    const a = instance(dir, 701);
    const b = instance(dir, 702);
    const c = instance(dir, 703);
    try {
      assert.equal(await a.start(), 'owner');
      assert.equal(await b.start(), 'follower');
      assert.equal(await c.start(), 'follower');
      const next = (i: Instance) => i.waitFor('role', () => true, 5000);
      const [rb, rc] = [next(b), next(c)];
      await a.dispose();
      const roles = [await rb, await rc];
      // The loser may first see the old lock gone, then follow the winner: wait until settled.
      assert.equal(roles.filter((r) => r === 'owner').length, 1, roles.join());
      const owner = b.role === 'owner' ? b : c;
      const follower = owner === b ? c : b;
      assert.equal(follower.role, 'follower');
      assert.deepEqual(await follower.request('after', 3), { method: 'after', params: 3 });
      assert.equal(JSON.parse(readFileSync(lockFile(dir), 'utf8')).pid, owner === b ? 702 : 703);
    } finally {
      await b.dispose();
      await c.dispose();
    }
  });

  it('a follower takes over from an owner that crashed (lock left behind, socket gone)', async () => {
    const dir = freshDir();
    let crashed = false;
    const os = fakeOs({ alive: (pid) => !(crashed && pid === 801) });
    const a = instance(dir, 801, os);
    const b = instance(dir, 802, os);
    try {
      assert.equal(await a.start(), 'owner');
      assert.equal(await b.start(), 'follower');
      const role = b.waitFor('role', () => true, 5000);
      // A crash: the socket dies with the process, the lock file stays.
      crashed = true;
      const lockBefore = readFileSync(lockFile(dir), 'utf8');
      await a.server!.close();
      assert.equal(await role, 'owner');
      assert.notEqual(readFileSync(lockFile(dir), 'utf8'), lockBefore);
    } finally {
      await b.dispose();
      await a.dispose();
    }
  });
});
