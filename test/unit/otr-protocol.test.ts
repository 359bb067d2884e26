// Protocol points of issue 3 not covered elsewhere: an OTR v2-only client (as profanity is) is
// accepted; the own instance tag is kept per account and carried on the wire (OTR v3
// "Instance Tags"); forgetting a fingerprint drops its verified state; private messages stay
// off disk unless logging of private conversations is on (item 7).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AccountSession, type ChatLayer } from '../../src/core/account';
import { HistoryStore } from '../../src/core/history';
import { nullLogger } from '../../src/core/log';
import { parsePackedKey } from '../../src/core/otr/keys';
import { CONST, OTR } from '../../src/core/otr/lib';
import { ALICE, BOB, FakeAccount, otrBytes, pair, pairKeys, privatePair, sendData, waitNotice, waitReceived, waitState } from './otr-harness';

const keys = pairKeys();

/** Sender instance tag of an OTR v3 data message (header: version 2 bytes, type 1, sender tag 4). */
function senderTag(body: string): number {
  return otrBytes(body).readUInt32BE(3);
}

describe('OTR protocol details', () => {
  it('accepts a contact whose client speaks OTR version 2 only', async () => {
    const alice = new FakeAccount(ALICE);
    alice.stores.keys.keys.set(ALICE, keys.alice);
    alice.attach();
    // Bob: the bare library allowing only v2 (no instance tags), wired to Alice's layer.
    const bob = new OTR({ priv: parsePackedKey(keys.bob), instance_tag: OTR.makeInstanceTag(), send_interval: 0 });
    bob.ALLOW_V2 = true;
    bob.ALLOW_V3 = false;
    const bobGot: string[] = [];
    bob.io = (msg: string | string[]) => {
      for (const m of ([] as string[]).concat(msg)) void alice.deliver(BOB, m);
    };
    bob.on('ui', ((text: string, encrypted: boolean) => encrypted && bobGot.push(text)) as (...a: never[]) => void);
    alice.on('wire', ({ body }) => bob.receiveMsg(body));

    const up = waitState(alice, BOB, 'private-unverified');
    const told = waitNotice(alice, /Unverified private conversation with bob@example.org started \(OTR version 2\)/);
    await alice.layer.start(BOB);
    await up;
    await told;
    assert.equal(alice.layer.protocolVersion(BOB), 2);
    assert.equal(bob.msgstate, CONST.MSGSTATE_ENCRYPTED);
    assert.ok(alice.sent.some((s) => s.body.startsWith('?OTR:AAI')), 'v2 AKE messages (version 0x0002) went out');

    alice.send(BOB, 'hello v2 ✓');
    await alice.waitFor('wire', (w) => w.body.startsWith('?OTR:AAID'));
    assert.deepEqual(bobGot, ['hello v2 ✓']);
    // The library's sendMsg encodes UTF-8 itself.
    (bob as unknown as { sendMsg(m: string): void }).sendMsg('hi from v2 🙂');
    const r = await waitReceived(alice, 'hi from v2 🙂');
    assert.equal(r.encrypted, true);
  });

  it('keeps its own instance tag per account, across restarts, and sends it', async () => {
    const { alice, bob } = pair({ keys });
    await alice.layer.whenReady();
    const tag = alice.stores.tags.tags.get(ALICE)!;
    assert.ok(Number.isInteger(tag) && tag >= 0x100, `tag ${tag}`);
    const up = Promise.all([waitState(alice, BOB, 'private-unverified'), waitState(bob, ALICE, 'private-unverified')]);
    await alice.layer.start(BOB);
    await up;
    assert.equal(senderTag(await sendData(alice, BOB, 'one')), tag);

    // Alice's client restarts: a new layer on the same stores keeps the tag.
    alice.layer.dispose();
    const again = alice.attach();
    await again.whenReady();
    assert.equal(alice.stores.tags.tags.get(ALICE), tag);
    const up2 = waitState(alice, BOB, 'private-unverified');
    await again.start(BOB);
    await up2;
    assert.equal(senderTag(await sendData(alice, BOB, 'two')), tag);
  });

  it('forgetting a verified fingerprint drops the verified state and the entry', async () => {
    const { alice } = await privatePair({ keys });
    const fp = alice.layer.theirFingerprint(BOB)!;
    await alice.layer.setVerified(BOB, fp, true);
    assert.equal(alice.layer.state(BOB), 'private-verified');
    await alice.layer.forgetFingerprint(BOB, fp);
    assert.equal(alice.layer.state(BOB), 'private-unverified');
    assert.deepEqual(await alice.layer.knownFingerprints(BOB), []);
  });
});

describe('history of private conversations (issue 3 item 7)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'padlock-otr-history-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  // A layer for which every message to this contact is private (it would encrypt or hold it).
  const privateLayer: ChatLayer = { encode: async () => 'hold' as const, decode: async (_c, _f, body) => ({ text: body, encrypted: true }), willEncrypt: () => true };

  it('is not written to disk by default; the session still shows it', async () => {
    const s = new AccountSession({ id: 'me@example.org', jid: 'me@example.org' }, { logger: nullLogger, history: new HistoryStore(join(dir, 'off')) });
    s.layer = privateLayer;
    const m = await s.sendMessage('bob@example.org', 'private words');
    assert.equal(m.private, true);
    assert.deepEqual(await new HistoryStore(join(dir, 'off')).load('me@example.org', 'bob@example.org'), []);
    assert.deepEqual((await s.history('bob@example.org')).map((x) => x.text), ['private words']);
  });

  it('is written to disk when the user turned logging of private conversations on', async () => {
    const s = new AccountSession({ id: 'me@example.org', jid: 'me@example.org' }, { logger: nullLogger, history: new HistoryStore(join(dir, 'on')), logPrivate: () => true });
    s.layer = privateLayer;
    await s.sendMessage('bob@example.org', 'logged on purpose');
    assert.deepEqual((await new HistoryStore(join(dir, 'on')).load('me@example.org', 'bob@example.org')).map((x) => x.text), ['logged on purpose']);
  });
});
