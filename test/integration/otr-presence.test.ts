/**
 * OTR over a real Prosody across presence changes (issue 3, "Protocol correctness"): a private
 * conversation survives the contact going offline and coming back (same OTR instance), a
 * contact whose client restarted (new instance tag) can start a fresh one, a contact with two
 * resources (two instance tags), and under the required policy a query sent while the contact
 * was offline is asked again when they come online, the held message going out encrypted.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { AccountSession } from '../../src/core/account';
import { HistoryStore } from '../../src/core/history';
import type { Logger } from '../../src/core/log';
import { OtrLayer } from '../../src/core/otr/layer';
import type { OtrPolicy } from '../../src/core/otr/policy';
import { MemoryKeyStore, MemoryTagStore, MemoryTrustStore } from '../../src/core/otr/stores';
import { befriend } from '../support/demoBot';
import { startProsody, stopAll, type ProsodyServer } from '../support/prosody';

const logs: string[] = [];
/** What each side was told (system lines, OTR states): printed when a test fails. */
const trail: string[] = [];
const logger: Logger = { info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m), debug: () => {} };

interface Side {
  s: AccountSession;
  otr: OtrLayer;
  jid: string;
  stores: { keys: MemoryKeyStore; trust: MemoryTrustStore; tags: MemoryTagStore };
}

const incoming = (side: Side, text: string, timeoutMs = 15_000) => side.s.waitFor('message', (e) => e.incoming && e.message.text === text, timeoutMs);
const notice = (side: Side, re: RegExp, timeoutMs = 15_000) =>
  side.s.waitFor('message', (e) => e.message.direction === 'system' && re.test(e.message.text), timeoutMs);
const state = (side: Side, contact: string, st: string, timeoutMs = 15_000) =>
  side.otr.state(contact) === st ? Promise.resolve() : side.otr.waitFor('state', (e) => e.contact === contact && e.state === st, timeoutMs);
/** Until `side` sees `contact` with the given presence (offline or not). */
function presence(side: Side, contact: string, online: boolean, timeoutMs = 15_000): Promise<unknown> {
  const ok = () => (side.s.roster.aggregate(contact).show !== 'offline') === online;
  return ok() ? Promise.resolve() : side.s.waitFor('roster', () => ok(), timeoutMs);
}

describe('OTR over Prosody across presence changes', () => {
  let server: ProsodyServer;
  let dir: string;
  const sides: Side[] = [];
  const users = { erin: 'erin-pw', frank: 'frank-pw', gina: 'gina-pw', hank: 'hank-pw' };

  async function side(user: keyof typeof users, policy: OtrPolicy, opts: { resource?: string; stores?: Partial<Side['stores']> } = {}): Promise<Side> {
    const jid = `${user}@localhost`;
    const s = new AccountSession(
      { id: jid, jid, host: '127.0.0.1', port: server.port, caPem: [server.caPem], ...(opts.resource ? { resource: opts.resource } : {}) },
      { logger, history: new HistoryStore(join(dir, `${user}-${opts.resource ?? 'x'}-${sides.length}`)) },
    );
    const stores = { keys: new MemoryKeyStore(), trust: new MemoryTrustStore(), tags: new MemoryTagStore(), ...opts.stores };
    const otr = new OtrLayer({ account: s, ...stores, policy, logger });
    s.layer = otr;
    await otr.ensureKey();
    const online = s.waitFor('online', () => true, 15_000);
    await s.start(users[user]);
    await online;
    const label = `${user}/${opts.resource ?? sides.length}`;
    s.on('message', (e) => e.message.direction === 'system' && trail.push(`${label}: ${e.message.text}`));
    otr.on('state', (e) => trail.push(`${label}: state ${e.previous} -> ${e.state}`));
    const sd = { s, otr, jid, stores };
    sides.push(sd);
    return sd;
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'padlock-otr-presence-'));
    server = await startProsody({ users, muc: false });
    await befriend(server, { user: 'erin', password: users.erin }, { user: 'frank', password: users.frank });
    await befriend(server, { user: 'gina', password: users.gina }, { user: 'hank', password: users.hank });
  });
  afterEach((t) => {
    if ((t as unknown as { passed?: boolean }).passed === false) console.log(`[otr-presence] trail:\n  ${trail.join('\n  ')}`);
  });
  after(async () => {
    for (const sd of sides) sd.otr.dispose();
    await Promise.all(sides.map((sd) => sd.s.dispose()));
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  let erin: Side;
  let frank: Side;

  it('survives the contact going offline and coming back online (same OTR instance)', async () => {
    erin = await side('erin', 'required');
    frank = await side('frank', 'manual');
    await presence(erin, frank.jid, true);
    const up = Promise.all([state(erin, frank.jid, 'private-unverified'), state(frank, erin.jid, 'private-unverified')]);
    await frank.otr.start(erin.jid);
    await up;
    const r0 = incoming(frank, 'before: apricot');
    await erin.s.sendMessage(frank.jid, 'before: apricot', { persist: false });
    assert.equal((await r0).message.private, true);

    // Frank goes offline (a network drop or a sign-out, his client keeps its OTR state).
    const gone = presence(erin, frank.jid, false);
    await frank.s.stop();
    await gone;
    assert.equal(erin.otr.state(frank.jid), 'private-unverified', 'going offline does not end the private conversation');
    // Erin writes while he is away: encrypted, kept by the server (offline storage), read later.
    const away = incoming(frank, 'while you were away: fig', 20_000);
    await erin.s.sendMessage(frank.jid, 'while you were away: fig', { persist: false });
    const back = presence(erin, frank.jid, true);
    await frank.s.start(users.frank);
    await back;
    assert.equal((await away).message.private, true);
    const reply = incoming(erin, 'back again: grape');
    await frank.s.sendMessage(erin.jid, 'back again: grape', { persist: false });
    assert.equal((await reply).message.private, true);
    assert.equal(erin.otr.state(frank.jid), 'private-unverified');
    assert.equal(frank.otr.state(erin.jid), 'private-unverified');
  });

  it('a contact whose client restarted (new instance tag) starts a fresh private conversation', async () => {
    const gone = presence(erin, frank.jid, false);
    frank.otr.dispose();
    await frank.s.dispose();
    await gone;
    // Same account key and known fingerprints, but a new client: no OTR state, a new instance tag.
    const frank2 = await side('frank', 'manual', { stores: { keys: frank.stores.keys, trust: frank.stores.trust } });
    await presence(erin, frank.jid, true);
    // Erin's message under the old session cannot be read by the new client: it says so
    // (never dropped silently) instead of showing base64.
    const unreadable = notice(frank2, /meant for another session|could not be read|could not be decrypted|not currently/);
    await erin.s.sendMessage(frank.jid, 'to the old client: lime', { persist: false });
    await unreadable;
    // The new client starts a fresh private conversation; Erin follows to the new instance.
    const up = Promise.all([state(frank2, erin.jid, 'private-unverified'), state(erin, frank.jid, 'private-unverified')]);
    await frank2.otr.start(erin.jid);
    await up;
    const r1 = incoming(erin, 'from the new client: kiwi');
    await frank2.s.sendMessage(erin.jid, 'from the new client: kiwi', { persist: false });
    assert.equal((await r1).message.private, true);
    const r2 = incoming(frank2, 'to the new client: mango');
    await erin.s.sendMessage(frank.jid, 'to the new client: mango', { persist: false });
    assert.equal((await r2).message.private, true);
    frank = frank2;
  });

  it('a contact with two resources: each can start its own private conversation, messages follow it', async () => {
    // A second resource of Frank (another device): same key, its own instance tag.
    const frankB = await side('frank', 'manual', { resource: 'laptop', stores: { keys: frank.stores.keys, trust: frank.stores.trust } });
    const upB = Promise.all([state(frankB, erin.jid, 'private-unverified'), state(erin, frank.jid, 'private-unverified')]);
    await frankB.otr.start(erin.jid);
    await upB;
    const fromB = incoming(erin, 'from the laptop: plum');
    await frankB.s.sendMessage(erin.jid, 'from the laptop: plum', { persist: false });
    assert.equal((await fromB).message.private, true);
    // Erin answers the resource that wrote (RFC 6121 §5.1), inside its private conversation.
    const toB = incoming(frankB, 'to the laptop: pear');
    await erin.s.sendMessage(frank.jid, 'to the laptop: pear', { persist: false });
    assert.equal((await toB).message.private, true);

    // Back to the first resource: it starts again, and Erin's messages follow it.
    const again = Promise.all([notice(frank, /conversation with erin@localhost refreshed/), notice(erin, /conversation with frank@localhost refreshed/)]);
    await frank.otr.refresh(erin.jid);
    await again;
    const fromA = incoming(erin, 'from the desktop: cherry');
    await frank.s.sendMessage(erin.jid, 'from the desktop: cherry', { persist: false });
    assert.equal((await fromA).message.private, true);
    const toA = incoming(frank, 'to the desktop: date');
    await erin.s.sendMessage(frank.jid, 'to the desktop: date', { persist: false });
    assert.equal((await toA).message.private, true);
  });

  it('required policy: a query sent while the contact is offline is asked again when they come online', async () => {
    const gina = await side('gina', 'required');
    const queries: string[] = [];
    const sendWire = gina.s.sendWire.bind(gina.s);
    gina.s.sendWire = (to, body, extra) => {
      if (body.startsWith('?OTRv')) queries.push(to);
      return sendWire(to, body, extra);
    };
    // Hank is offline: Gina's message waits, a query goes out (kept in offline storage or lost).
    const queried = gina.otr.waitFor('state', (e) => e.contact === 'hank@localhost' && e.state === 'starting', 15_000);
    await gina.s.sendMessage('hank@localhost', 'held for hank: papaya', { persist: false });
    await queried;
    assert.equal(gina.s.queue.pending().length, 1, 'the message waits, it is not sent in the clear');
    const hank = await side('hank', 'manual');
    const got = incoming(hank, 'held for hank: papaya', 20_000);
    const ev = await got;
    assert.equal(ev.message.private, true);
    assert.equal(gina.otr.state(hank.jid), 'private-unverified');
    // Once while he was away, once more when his presence arrived (the stored query and the new
    // one both reach him; the AKE still converges on one conversation).
    assert.equal(queries.length, 2, `queries sent: ${queries.length}`);
  });
});
