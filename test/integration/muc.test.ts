/**
 * Group chat core (src/core/muc.ts) over Prosody's MUC component (conference.localhost, with
 * muc_mam) started by the harness. Three accounts drive AccountSession + MucManager, as the
 * extension does; script clients (test/support/xmppClient.ts) play the crowd and the flood.
 * Every wait is on an event; every process is stopped by PID by the harness.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AccountSession } from '../../src/core/account';
import { HistoryStore } from '../../src/core/history';
import type { Logger } from '../../src/core/log';
import { MucError, MucManager, NS_MUC, type RoomMessage } from '../../src/core/muc';
import { startProsody, stopAll, type ProsodyServer } from '../support/prosody';
import { connectClient, xml, type ScriptClient } from '../support/xmppClient';

const logs: string[] = [];
const logger: Logger = { info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m), debug: () => {} };

const users = { alice: 'alice-pw', bob: 'bob-pw', carol: 'carol-pw', bot: 'bot-pw', dave: 'dave-pw' };
type User = 'alice' | 'bob' | 'carol' | 'dave';

interface Member {
  s: AccountSession;
  m: MucManager;
  history: HistoryStore;
}

describe('group chat (XEP-0045) against Prosody', () => {
  let server: ProsodyServer;
  let dir: string;
  let svc: string;
  const members: Member[] = [];
  const scripts: ScriptClient[] = [];
  let alice: Member;
  let bob: Member;
  let carol: Member;

  async function member(user: User, opts: { bookmarks?: 'pep' | 'private' | 'auto'; autojoin?: boolean; history?: HistoryStore } = {}): Promise<Member> {
    const jid = `${user}@localhost`;
    const history = opts.history ?? new HistoryStore(join(dir, user));
    const s = new AccountSession(
      { id: jid, jid, host: '127.0.0.1', port: server.port, caPem: [server.caPem] },
      { logger, history, connection: { backoffInitialMs: 50, backoffMaxMs: 500, attemptTimeoutMs: 5000 } },
    );
    const m = new MucManager(s, { logger, history, bookmarks: opts.bookmarks ?? 'auto', autojoin: opts.autojoin ?? false, joinTimeoutMs: 8000 });
    const online = s.waitFor('online');
    await s.start(users[user]);
    await online;
    const mem = { s, m, history };
    members.push(mem);
    return mem;
  }

  const room = (name: string) => `${name}@${svc}`;
  const texts = (msgs: readonly RoomMessage[]) => msgs.filter((x) => x.direction !== 'system').map((x) => `${x.from}: ${x.text}`);

  async function script(resource: string, user: 'bot' | User = 'bot'): Promise<ScriptClient> {
    const c = await connectClient({ server, user, password: users[user], resource, presence: false });
    scripts.push(c);
    return c;
  }

  /** A script client enters a room (§7.2) without history, and waits for its own presence. */
  async function scriptJoin(c: ScriptClient, roomJid: string, nick: string): Promise<void> {
    await c.send(xml('presence', { to: `${roomJid}/${nick}` }, xml('x', { xmlns: NS_MUC }, xml('history', { maxstanzas: '0' }))));
    await c.waitForStanza((el) => el.is('presence') && el.attrs.from === `${roomJid}/${nick}` && (el.attrs.type === undefined || el.attrs.type === 'error'), 8000);
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'padlock-muc-'));
    server = await startProsody({ users });
    assert.equal(server.mucDomain, 'conference.localhost');
    [alice, bob, carol] = await Promise.all([member('alice'), member('bob'), member('carol')]);
    svc = (await alice.m.conferenceService())!;
  });

  after(async () => {
    await Promise.all(scripts.map((c) => c.stop()));
    await Promise.all(members.map((x) => x.s.dispose()));
    for (const x of members) x.m.dispose();
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds the conference service by service discovery and lists public rooms', async () => {
    assert.equal(svc, 'conference.localhost');
    await alice.m.create(room('public-one'), 'alice', { public: true });
    await alice.m.create(room('hidden-one'), 'alice', { public: false });
    const rooms = (await bob.m.discoverRooms()).map((r) => r.jid);
    assert.ok(rooms.includes(room('public-one')), `listed: ${rooms.join(', ')}`);
    assert.ok(!rooms.includes(room('hidden-one')));
  });

  it('three accounts join, talk (mine / mention flags), change the topic; a refused topic is a clear error', async () => {
    const r = room('lounge');
    const created = await alice.m.create(r, 'alice', { public: true, persistent: false });
    assert.equal(created.affiliation, 'owner');
    assert.equal(created.role, 'moderator');
    const aliceSeesCarol = alice.m.waitFor('occupantJoined', (e) => e.occupant.nick === 'carol');
    await bob.m.join(r, 'bob');
    const carolRoom = await carol.m.join(r, 'carol');
    await aliceSeesCarol;
    assert.deepEqual([...carolRoom.occupants.keys()].sort(), ['alice', 'bob', 'carol']);
    assert.equal(carolRoom.occupants.get('alice')!.affiliation, 'owner');

    const bobGets = bob.m.waitFor('message', (e) => e.message.text === 'hello room');
    const sent = await alice.m.sendMessage(r, 'hello room');
    assert.equal(sent.mine, true);
    assert.equal(sent.direction, 'out');
    const got = (await bobGets).message;
    assert.equal(got.from, 'alice');
    assert.equal(got.mine, undefined);
    assert.equal(got.direction, 'in');

    const mention = alice.m.waitFor('message', (e) => e.message.text.startsWith('thanks'));
    await carol.m.sendMessage(r, 'thanks ALICE!');
    assert.equal((await mention).message.mention, true);

    const topics = Promise.all([bob.m.waitFor('subject', (e) => e.subject === 'Plans'), carol.m.waitFor('subject', (e) => e.subject === 'Plans')]);
    await alice.m.setSubject(r, 'Plans');
    const [t] = await topics;
    assert.equal(t.by, 'alice');
    assert.equal(bob.m.room(r)!.subject, 'Plans');
    // Participants may not change the subject by default (§8.1): the refusal is an error.
    const err = await bob.m.setSubject(r, 'Mine now').then(
      () => assert.fail('a participant changed the subject'),
      (e: unknown) => e as MucError,
    );
    assert.equal(err.kind, 'forbidden');
    assert.match(err.message, /not allowed/);
    assert.equal(carol.m.room(r)!.subject, 'Plans');
  });

  it('leaving (§7.14) and signing out send unavailable presence: the others see the occupant go', async () => {
    const r = room('goodbyes');
    await alice.m.create(r, 'alice', { public: true, persistent: false });
    const watcher = await script('goodbyes-watch');
    await scriptJoin(watcher, r, 'watcher');
    const dave = await member('dave');
    await dave.m.join(r, 'dave');
    const since = watcher.received.length;
    const gone = (nick: string) =>
      watcher.waitForStanza((el) => watcher.received.indexOf(el) >= since && el.is('presence') && el.attrs.from === `${r}/${nick}` && el.attrs.type === 'unavailable', 8000);
    // Leave: an unavailable presence to the room, which the room relays to every occupant.
    const daveGone = gone('dave');
    await dave.m.leave(r);
    await daveGone;
    assert.equal(dave.m.room(r)?.status ?? 'left', 'left');
    // Sign out while in the room: the session's unavailable presence reaches the room too.
    await dave.m.join(r, 'dave');
    const daveGoneAgain = gone('dave');
    await dave.s.stop();
    const p = await daveGoneAgain;
    // Not a kick or a server shutdown: no status codes beyond self-presence ones.
    const codes = (p.getChild('x', `${NS_MUC}#user`)?.getChildren('status') ?? []).map((c) => c.attrs.code);
    assert.ok(!codes.includes('307') && !codes.includes('332'), `codes: ${codes.join(',')}`);
  });

  it('history on join is shown once, and not again on a rejoin or in a new session', async () => {
    const r = room('history');
    await alice.m.create(r, 'alice', {});
    for (const t of ['first', 'second', 'third']) await alice.m.sendMessage(r, t);
    // §7.2.15: the subject ends the history; wait for it (registered before joining).
    const subject0 = bob.m.waitFor('subject', (e) => e.room === r);
    await bob.m.join(r, 'bob');
    await subject0;
    const expected = ['alice: first', 'alice: second', 'alice: third'];
    assert.deepEqual(texts(bob.m.room(r)!.messages), expected);
    assert.ok(bob.m.room(r)!.messages.every((x) => x.delayed));
    await bob.m.leave(r);
    await alice.m.sendMessage(r, 'fourth');
    const subject = bob.m.waitFor('subject', (e) => e.room === r);
    await bob.m.join(r, 'bob');
    await subject; // §7.2.15: the subject ends the history
    assert.deepEqual(texts(bob.m.room(r)!.messages), [...expected, 'alice: fourth']);
    await bob.history.flush();
    const stored = await bob.m.loadHistory(r);
    assert.deepEqual(stored.map((x) => `${x.from}: ${x.text}`), [...expected, 'alice: fourth'], 'each once in the history file');
    // A new session (extension restarted) with the same history: still once.
    const bob2 = await member('bob', { history: bob.history });
    const subject2 = bob2.m.waitFor('subject', (e) => e.room === r);
    await bob2.m.join(r, 'bob-again');
    await subject2;
    assert.deepEqual(texts(bob2.m.room(r)!.messages), [...expected, 'alice: fourth']);
    await bob2.history.flush();
    assert.equal((await bob2.m.loadHistory(r)).length, 4);
    await bob2.m.leave(r);
  });

  it('invitations: mediated then declined, then direct and accepted', async () => {
    const r = room('party');
    await alice.m.create(r, 'alice', {});
    const inv1 = carol.m.waitFor('invitation', (i) => i.room === r);
    await alice.m.invite(r, 'carol@localhost', 'come along', 'mediated');
    const i1 = await inv1;
    assert.equal(i1.kind, 'mediated');
    // Prosody names the inviter by occupant JID in a semi-anonymous room.
    assert.ok(i1.from === 'alice@localhost' || (i1.from === `${r}/alice` && i1.inviterNick === 'alice'), i1.from);
    assert.equal(i1.reason, 'come along');
    const declined = alice.m.waitFor('declined', (d) => d.room === r);
    await carol.m.decline(i1, 'busy');
    const d = await declined;
    assert.ok(d.from === 'carol@localhost' || d.from.startsWith(`${r}/`), d.from);
    assert.equal(d.reason, 'busy');

    const inv2 = carol.m.waitFor('invitation', (i) => i.room === r);
    await alice.m.invite(r, 'carol@localhost', 'please?', 'direct');
    const i2 = await inv2;
    assert.equal(i2.kind, 'direct');
    const joinedRoom = await carol.m.accept(i2, 'carol');
    assert.equal(joinedRoom.status, 'joined');
    assert.ok(joinedRoom.occupants.has('alice'));
    // The invitation did not leak into 1:1 chat.
    assert.deepEqual(await carol.s.history('alice@localhost'), []);
  });

  it('kick (§8.2) and ban (§9.1): clear reasons; a banned user\'s rejoin is refused', async () => {
    const r = room('strict');
    await alice.m.create(r, 'alice', {});
    await bob.m.join(r, 'bob');
    await carol.m.join(r, 'carol');
    const bobOut = bob.m.waitFor('left', (e) => e.room === r);
    const aliceSees = alice.m.waitFor('occupantLeft', (e) => e.occupant.nick === 'bob');
    await alice.m.kick(r, 'bob', 'calm down');
    const kicked = await bobOut;
    assert.equal(kicked.reason, 'kicked');
    assert.match(kicked.message!, /kicked.*calm down/);
    assert.deepEqual((await aliceSees).codes, [307]);
    assert.equal(bob.m.room(r)!.status, 'error');
    await bob.m.join(r, 'bob'); // a kick is not a ban

    const carolOut = carol.m.waitFor('left', (e) => e.room === r);
    await alice.m.ban(r, 'carol@localhost', 'spam');
    const banned = await carolOut;
    assert.equal(banned.reason, 'banned');
    assert.match(banned.message!, /banned.*spam/);
    const err = await carol.m.join(r, 'carol').then(
      () => assert.fail('a banned user joined'),
      (e: unknown) => e as MucError,
    );
    assert.equal(err.kind, 'banned');
    assert.equal(err.message, 'You are banned from this room.');
    assert.equal(carol.m.room(r)!.error, err.message);
    // Only moderators may kick.
    const notAllowed = await bob.m.kick(r, 'alice').then(
      () => assert.fail('a participant kicked the owner'),
      (e: unknown) => e as MucError,
    );
    assert.ok(notAllowed instanceof MucError);
    assert.match(notAllowed.message, /not allowed|does not allow/);
  });

  it('nickname conflict, wrong password, members-only: each refused with plain words', async () => {
    const r = room('guarded');
    await alice.m.create(r, 'alice', { password: 'sesame' });
    const conflict = await bob.m.join(r, 'alice', 'sesame').then(
      () => assert.fail('joined with a taken nick'),
      (e: unknown) => e as MucError,
    );
    assert.equal(conflict.kind, 'conflict');
    assert.match(conflict.message, /nickname is already in use/);
    const wrong = await bob.m.join(r, 'bob', 'open sesame').then(
      () => assert.fail('joined with a wrong password'),
      (e: unknown) => e as MucError,
    );
    assert.equal(wrong.kind, 'password');
    assert.match(wrong.message, /password/);
    await bob.m.join(r, 'bob', 'sesame');

    const mo = room('members');
    await alice.m.create(mo, 'alice', { membersOnly: true });
    const refused = await carol.m.join(mo, 'carol').then(
      () => assert.fail('joined a members-only room'),
      (e: unknown) => e as MucError,
    );
    assert.equal(refused.kind, 'membersOnly');
    assert.match(refused.message, /members only/);
    // A mediated invitation from the owner makes carol a member (Prosody, §7.8.2 / §9.3).
    const inv = carol.m.waitFor('invitation', (i) => i.room === mo);
    await alice.m.invite(mo, 'carol@localhost');
    await carol.m.accept(await inv);
    assert.equal(carol.m.room(mo)!.affiliation, 'member');
  });

  it('room destroyed (§10.9): occupants are told, with the reason', async () => {
    const r = room('doomed');
    await alice.m.create(r, 'alice', {});
    await bob.m.join(r, 'bob');
    const bobOut = bob.m.waitFor('left', (e) => e.room === r);
    const aliceOut = alice.m.waitFor('left', (e) => e.room === r);
    await alice.m.destroy(r, 'project over');
    const l = await bobOut;
    assert.equal(l.reason, 'destroyed');
    assert.equal(l.message, 'The room was destroyed: project over.');
    assert.equal((await aliceOut).reason, 'destroyed');
    assert.equal(bob.m.room(r)!.messages.at(-1)!.text, l.message, 'a line in the room says so');
  });

  it('a flood of 1,000 messages from a script client all arrive, in order', async () => {
    const r = room('flood');
    await alice.m.create(r, 'alice', {});
    const c = await script('flood');
    await scriptJoin(c, r, 'flooder');
    const got: string[] = [];
    const all = new Promise<void>((resolve) => {
      const d = alice.m.on('message', (e) => {
        if (e.room === r && e.message.from === 'flooder') got.push(e.message.text);
        if (got.length === 1000) {
          d.dispose();
          resolve();
        }
      });
    });
    for (let i = 0; i < 1000; i++) void c.send(xml('message', { to: r, type: 'groupchat', id: `f${i}` }, xml('body', {}, `flood ${i}`)));
    await all;
    assert.deepEqual(got, Array.from({ length: 1000 }, (_, i) => `flood ${i}`));
    assert.ok(alice.m.room(r)!.messages.length <= 1000);
  });

  it('a crowd: 50 script occupants (and hostile nicknames) are all listed', async () => {
    // 50 real connections are what 2 cores carry comfortably next to Prosody; 500 occupants
    // are covered with synthetic presences in test/unit/muc.test.ts.
    const r = room('crowd');
    await alice.m.create(r, 'alice', {});
    // Prosody refuses control and bidi characters in nicks (resourceprep, jid-malformed):
    // those can only come from a broken server, and are covered in the unit tests.
    const hostile = ['<img src=x onerror=alert(1)>', '"&amp;\'; DROP TABLE', 'L'.repeat(1000)];
    const nicks = [...Array.from({ length: 47 }, (_, i) => `bot ${i}`), ...hostile];
    const clients = await Promise.all(nicks.map((_, i) => script(`crowd${i}`)));
    await Promise.all(clients.map((c, i) => scriptJoin(c, r, nicks[i]!)));
    const occ = alice.m.room(r)!.occupants;
    const missing = nicks.filter((n) => !occ.has(n));
    if (missing.length) await alice.m.waitFor('occupantJoined', () => nicks.every((n) => occ.has(n)));
    assert.equal(occ.size, 51);
    assert.equal(occ.get('"&amp;\'; DROP TABLE')!.displayNick, '"&amp;\'; DROP TABLE');
    assert.equal(occ.get('L'.repeat(1000))!.displayNick.length, 65);
    assert.equal(occ.get('<img src=x onerror=alert(1)>')!.displayNick, '<img src=x onerror=alert(1)>', 'kept as text; the UI renders text only');
    assert.equal(occ.get('bot 0')!.jid, 'bot@localhost/crowd0', 'alice moderates, so the room shows her real JIDs (§7.2.4)');
    await Promise.all(clients.map((c) => c.stop()));
    scripts.splice(0, scripts.length, ...scripts.filter((c) => !clients.includes(c)));
  });

  it('bookmarks round-trip: XEP-0402 (PEP) and XEP-0048 (private storage)', async () => {
    const pep = await member('carol', { bookmarks: 'pep' });
    await pep.m.addBookmark({ jid: room('pep-room'), name: 'PEP room', autojoin: true, nick: 'cc', password: 'pw' });
    const priv = await member('carol', { bookmarks: 'private' });
    await priv.m.addBookmark({ jid: room('private-room'), autojoin: false });
    const again = await member('carol', { bookmarks: 'pep' });
    const list = await again.m.loadBookmarks();
    assert.deepEqual(
      list.find((b) => b.jid === room('pep-room')),
      { jid: room('pep-room'), name: 'PEP room', autojoin: true, nick: 'cc', password: 'pw' },
    );
    const privList = await (await member('carol', { bookmarks: 'private' })).m.loadBookmarks();
    assert.ok(privList.some((b) => b.jid === room('private-room') && !b.autojoin));
    // Writing XEP-0048 did not lose the XEP-0402 item (it read before rewriting), and
    // Prosody's mod_bookmarks shows each format's bookmarks in the other.
    assert.ok(privList.some((b) => b.jid === room('pep-room')));
    assert.ok(list.some((b) => b.jid === room('private-room')));
    await again.m.removeBookmark(room('pep-room'));
    assert.ok(!(await again.m.loadBookmarks()).some((b) => b.jid === room('pep-room')));
    // 'auto' picks XEP-0402 on Prosody 0.12 (mod_bookmarks advertises urn:xmpp:bookmarks:1#compat).
    const auto = await member('carol', { bookmarks: 'auto' });
    await auto.m.loadBookmarks();
    assert.equal(auto.m.bookmarkStore.storeFormat, 'pep');
    await Promise.all([pep, priv, again, auto].map((x) => x.s.dispose()));
  });

  it('autojoin on sign-in, and rooms rejoined after the server is killed and restarted', async () => {
    const kept = room('kept');
    const marked = room('marked');
    await alice.m.create(kept, 'alice', { persistent: true });
    await alice.m.create(marked, 'alice', { persistent: true });
    await alice.m.leave(marked);
    await bob.m.addBookmark({ jid: marked, autojoin: true, nick: 'bobby' });
    // Sign-in: a new session of bob with autojoin joins the marked room by itself.
    const bob2s = await (async () => {
      const jid = 'bob@localhost';
      const history = new HistoryStore(join(dir, 'bob2'));
      const s = new AccountSession(
        { id: jid, jid, host: '127.0.0.1', port: server.port, caPem: [server.caPem] },
        { logger, history, connection: { backoffInitialMs: 50, backoffMaxMs: 500, attemptTimeoutMs: 5000 } },
      );
      const m = new MucManager(s, { logger, history, autojoin: true, joinTimeoutMs: 8000 });
      const j = m.waitFor('joined', (e) => e.room === marked);
      await s.start(users.bob);
      const e = await j;
      members.push({ s, m, history });
      return { s, m, nick: e.nick };
    })();
    assert.equal(bob2s.nick, 'bobby');
    await bob2s.m.join(kept, 'bob2');

    // Server crash and restart: no stream resumption, so rooms are joined again.
    const rejoinedKept = bob2s.m.waitFor('joined', (e) => e.room === kept && e.rejoin, 20_000);
    const rejoinedMarked = bob2s.m.waitFor('joined', (e) => e.room === marked && e.rejoin, 20_000);
    const aliceBack = alice.m.waitFor('joined', (e) => e.room === kept && e.rejoin, 20_000);
    const offline = bob2s.m.waitFor('roomState', (e) => e.room === kept && e.status === 'offline');
    await server.kill();
    await offline;
    await server.restart();
    await Promise.all([rejoinedKept, rejoinedMarked, aliceBack]);
    assert.equal(bob2s.m.room(kept)!.status, 'joined');
    assert.equal(bob2s.m.room(marked)!.nick, 'bobby');
    const heard = bob2s.m.waitFor('message', (e) => e.room === kept && e.message.text === 'back again');
    await alice.m.sendMessage(kept, 'back again');
    await heard;
  });
});
