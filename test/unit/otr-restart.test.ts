// "Loses nothing" when the contact's client restarts in the middle of a private conversation
// (issue 3): what we sent to its lost session is reported as possibly unread and can be sent
// again, encrypted only, in a new private conversation. Two OtrLayers back to back
// (./otr-harness.ts); waits on events, never sleeps.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryTagStore } from '../../src/core/otr/stores';
import { ALICE, BOB, FakeAccount, pairKeys, privatePair, waitNotice, waitReceived, waitState } from './otr-harness';

const keys = pairKeys();

/** Bob's client restarts: same key and trust, no OTR session; a new instance tag unless `sameTag`. */
async function restart(alice: FakeAccount, bob: FakeAccount, sameTag: boolean): Promise<FakeAccount> {
  bob.layer.dispose();
  const bob2 = new FakeAccount(BOB, { keys: bob.stores.keys, trust: bob.stores.trust, tags: sameTag ? bob.stores.tags : new MemoryTagStore() });
  bob2.attach();
  bob2.peer = alice;
  alice.peer = bob2;
  await bob2.layer.whenReady();
  return bob2;
}

const onWire = (a: FakeAccount, text: string) => a.sent.some((s) => s.body.includes(text));

describe('OtrLayer: the contact restarted and could not read our messages', () => {
  it('same instance tag: their OTR Error marks what was not acknowledged; Resend privately delivers it encrypted', async () => {
    const { alice, bob } = await privatePair({ keys });
    alice.send(BOB, 'read before the restart');
    await waitReceived(bob, 'read before the restart');
    // Bob's answer shows his client reads this conversation: nothing before it is in doubt.
    bob.send(ALICE, 'got it');
    await waitReceived(alice, 'got it');
    await alice.idle();

    const bob2 = await restart(alice, bob, true);
    const id1 = alice.send(BOB, 'lost one');
    const id2 = alice.send(BOB, 'lost two ✓');
    // Bob's side: reported, never dropped silently, and answered with an OTR Error (OTR v3 "Error Messages").
    await waitNotice(bob2, /could not be decrypted/);
    const told = await waitNotice(alice, /could not read your last 2 private messages/);
    assert.equal(told.action, 'resendPrivate');
    assert.equal(told.level, 'warning');
    assert.equal(told.persist, false, 'the resend offer lives in memory only, as the texts it resends');
    assert.match(told.text, /even if shown as delivered/);
    assert.deepEqual(alice.layer.unreadMessages(BOB), [id1, id2]);
    assert.equal(alice.layer.state(BOB), 'lost');
    assert.ok(!bob2.received.length, 'Bob read nothing of the old session');

    const up = Promise.all([waitState(alice, BOB, 'private-unverified'), waitState(bob2, ALICE, 'private-unverified')]);
    assert.equal(await alice.layer.resendUnread(BOB), 2);
    await up;
    const [r1, r2] = await Promise.all([waitReceived(bob2, 'lost one'), waitReceived(bob2, 'lost two ✓')]);
    assert.equal(r1.encrypted, true);
    assert.equal(r2.encrypted, true);
    assert.deepEqual(bob2.received.map((r) => r.text), ['lost one', 'lost two ✓'], 'in order, once each');
    assert.ok(!onWire(alice, 'lost one') && !onWire(alice, 'lost two'), 'a message went out in the clear');
    assert.deepEqual(alice.layer.unreadMessages(BOB), []);
    await assert.rejects(alice.layer.resendUnread(BOB), /no messages/);
  });

  it('new instance tag: its new AKE marks what we sent meanwhile; nothing is resent until the user asks', async () => {
    const { alice, bob } = await privatePair({ keys });
    const bob2 = await restart(alice, bob, false);
    alice.send(BOB, 'into the void');
    // OTR v3 "Instance Tags": a data message for another instance is discarded, not answered.
    await waitNotice(bob2, /meant for another session/);
    await bob2.idle();
    assert.ok(!alice.notices.some((n) => /Resend privately/.test(n.text)), 'too early: nothing told Alice yet');

    const up = Promise.all([waitState(bob2, ALICE, 'private-unverified'), waitNotice(alice, /started a new private conversation \(their client may have restarted\): your last private message may not have been readable/)]);
    await bob2.layer.start(ALICE);
    await up;
    await waitState(alice, BOB, 'private-unverified');
    await Promise.all([alice.idle(), bob2.idle()]);
    // The user chooses (see OtrLayer.resendUnread): not sent on its own in the new conversation.
    assert.ok(!bob2.received.some((r) => r.text === 'into the void'));
    assert.equal(await alice.layer.resendUnread(BOB), 1);
    const r = await waitReceived(bob2, 'into the void');
    assert.equal(r.encrypted, true);
    assert.ok(!onWire(alice, 'into the void'));
  });

  it('same instance tag, a client that sends no OTR Error (mcabber): its new AKE is the sign', async () => {
    const { alice, bob } = await privatePair({ keys });
    const bob2 = await restart(alice, bob, true);
    bob2.tamper = (body) => (body.startsWith('?OTR Error:') ? [] : [body]);
    alice.send(BOB, 'unread by mcabber');
    await waitNotice(bob2, /could not be decrypted/);
    await bob2.idle();
    const told = waitNotice(alice, /may not have been readable/);
    await bob2.layer.start(ALICE);
    assert.equal((await told).action, 'resendPrivate');
    await waitState(alice, BOB, 'private-unverified');
    await alice.layer.resendUnread(BOB);
    assert.equal((await waitReceived(bob2, 'unread by mcabber')).encrypted, true);
  });

  it('a refresh by the contact after it answered (all acknowledged) offers nothing to resend', async () => {
    const { alice, bob } = await privatePair({ keys });
    alice.send(BOB, 'hello');
    await waitReceived(bob, 'hello');
    bob.send(ALICE, 'hi');
    await waitReceived(alice, 'hi');
    await bob.layer.refresh(ALICE);
    await waitNotice(alice, /refreshed/);
    assert.ok(!alice.notices.some((n) => /Resend privately/.test(n.text)));
  });

  it('our own refresh right after an unacknowledged message is no sign of a restart', async () => {
    const { alice, bob } = await privatePair({ keys });
    alice.send(BOB, 'not yet answered');
    await waitReceived(bob, 'not yet answered');
    await alice.layer.refresh(BOB);
    await waitNotice(alice, /refreshed/);
    await Promise.all([alice.idle(), bob.idle()]);
    assert.ok(!alice.notices.some((n) => /Resend privately/.test(n.text)));
  });

  it('an OTR Error after the contact answered (all acknowledged) offers nothing to resend', async () => {
    const { alice, bob } = await privatePair({ keys });
    alice.send(BOB, 'one');
    await waitReceived(bob, 'one');
    bob.send(ALICE, 'two');
    await waitReceived(alice, 'two');
    await alice.deliver(BOB, '?OTR Error: something unrelated');
    await waitNotice(alice, /reports an OTR error/);
    assert.ok(!alice.notices.some((n) => /could not read/.test(n.text)));
    assert.deepEqual(alice.layer.unreadMessages(BOB), []);
  });
});
