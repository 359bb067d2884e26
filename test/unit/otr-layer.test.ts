// Two OtrLayers back to back in memory (./otr-harness.ts): AKE, messages, policies, SMP,
// end/refresh, fingerprints, instance tags, fragmentation. Waits on events, never sleeps.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ALICE, BOB, FakeAccount, pair, pairKeys, privatePair, waitNotice, waitReceived, waitState } from './otr-harness';

const keys = pairKeys();

describe('OtrLayer back to back', () => {
  it('a protocol data message (SMP) encrypted while a queued message waits to be written does not overtake it', async () => {
    // Seen in CI over Prosody: "Counter in message is not larger" when an OTR message the
    // library made (heartbeat, SMP) was written before a user message encrypted just before it.
    const { alice, bob } = await privatePair({ keys });
    let writing!: () => void;
    const reached = new Promise<void>((r) => (writing = r));
    let release!: () => void;
    alice.beforeTransmit = () => {
      writing();
      return new Promise<void>((r) => (release = r));
    };
    alice.send(BOB, 'encrypted first, written second');
    await reached; // encrypted (counter n), not yet written
    alice.beforeTransmit = undefined;
    const asked = bob.layer.waitFor('smp', (e) => e.kind === 'asked');
    const smp = alice.layer.smpSecret(BOB, 'shared'); // a data message with counter n+1
    await new Promise<void>((r) => setImmediate(r));
    release();
    await Promise.all([smp, asked, waitReceived(bob, 'encrypted first, written second')]);
    assert.ok(!bob.notices.some((n) => /could not be decrypted/.test(n.text)), JSON.stringify(bob.notices));
  });

  it('AKE from a query, then encrypted messages both ways with XEP-0364 hints', async () => {
    const { alice, bob } = pair({ keys });
    const fpEvents: string[] = [];
    alice.layer.on('fingerprint', (e) => fpEvents.push(`${e.kind}:${e.formatted}`));
    const states: string[] = [];
    alice.layer.on('state', (e) => states.push(e.state));
    const up = Promise.all([waitState(alice, BOB, 'private-unverified'), waitState(bob, ALICE, 'private-unverified')]);
    await alice.layer.start(BOB);
    await up;
    assert.deepEqual(states, ['starting', 'private-unverified']);
    assert.equal(alice.layer.protocolVersion(BOB), 3);
    // Fingerprints: each sees the other's, formatted like libotr.
    assert.equal(alice.layer.theirFingerprint(BOB), bob.layer.ownFingerprint());
    assert.equal(bob.layer.theirFingerprint(ALICE), alice.layer.ownFingerprint());
    assert.match(alice.layer.ownFingerprint()!, /^([0-9A-F]{8} ){4}[0-9A-F]{8}$/);
    assert.deepEqual(fpEvents, [`new:${bob.layer.ownFingerprint()}`]);
    assert.ok(alice.notices.some((n) => /Unverified private conversation with bob@example.org started/.test(n.text)));
    assert.ok(alice.notices.some((n) => /unrecognised computer/.test(n.text)));

    alice.send(BOB, 'héllo bob ✓');
    bob.send(ALICE, 'hi alice 🙂');
    const [r1, r2] = await Promise.all([waitReceived(bob, 'héllo bob ✓'), waitReceived(alice, 'hi alice 🙂')]);
    assert.equal(r1.encrypted, true);
    assert.equal(r2.encrypted, true);
    const data = alice.sent.filter((s) => s.body.startsWith('?OTR:AAMD'));
    assert.ok(data.length >= 1);
    for (const d of data) assert.deepEqual(d.extra, ['private:urn:xmpp:carbons:2', 'no-copy:urn:xmpp:hints', 'no-permanent-store:urn:xmpp:hints']);
    assert.ok(!alice.sent.some((s) => s.body.includes('héllo')), 'plaintext on the wire');
  });

  it('many messages in a row (key rotation) stay readable in order', async () => {
    const { alice, bob } = await privatePair({ keys });
    for (let i = 0; i < 20; i++) {
      alice.send(BOB, `a${i}`);
      bob.send(ALICE, `b${i}`);
    }
    await Promise.all([waitReceived(bob, 'a19'), waitReceived(alice, 'b19')]);
    assert.deepEqual(bob.received.map((r) => r.text), Array.from({ length: 20 }, (_, i) => `a${i}`));
    assert.deepEqual(alice.received.map((r) => r.text), Array.from({ length: 20 }, (_, i) => `b${i}`));
    assert.ok(!alice.notices.some((n) => n.level === 'error') && !bob.notices.some((n) => n.level === 'error'));
  });

  it('required policy: messages written before the AKE wait, then go out encrypted, in order', async () => {
    const { alice, bob } = pair({ keys, alice: { policy: 'required' } });
    alice.send(BOB, 'secret one');
    alice.send(BOB, 'secret two');
    alice.send(BOB, 'secret three');
    await waitReceived(bob, 'secret three');
    assert.deepEqual(bob.received.map((r) => [r.text, r.encrypted]), [['secret one', true], ['secret two', true], ['secret three', true]]);
    assert.ok(!alice.sent.some((s) => /secret/.test(s.body)), 'a message went out in the clear');
    assert.ok(alice.sent[0]!.body.startsWith('?OTRv23?'), 'a query went out first');
    assert.ok(alice.notices.some((n) => /waits until the private conversation/.test(n.text)));
  });

  it('required policy: a query lost while the contact is offline is asked again when they come online', async () => {
    const { alice, bob } = pair({ keys, alice: { policy: 'required' } });
    alice.tamper = () => []; // Bob is offline: nothing reaches him
    alice.send(BOB, 'held while away');
    await alice.waitFor('wire', (w) => w.body.startsWith('?OTRv'));
    assert.equal(alice.layer.state(BOB), 'starting');
    alice.tamper = undefined;
    const queries = alice.sent.filter((s) => s.body.startsWith('?OTRv')).length;
    alice.layer.contactAvailable(BOB); // what AccountSession calls on Bob's available presence
    const r = await waitReceived(bob, 'held while away');
    assert.equal(r.encrypted, true);
    assert.equal(alice.sent.filter((s) => s.body.startsWith('?OTRv')).length, queries + 1, 'exactly one new query');
    assert.ok(!alice.sent.some((s) => s.body.includes('held while away')), 'a message went out in the clear');
  });

  it('required policy: after the start timed out, the contact coming online asks again and the held message goes out', async () => {
    const { alice, bob } = pair({ keys, alice: { policy: 'required', startTimeoutMs: 50 } });
    alice.tamper = () => [];
    alice.send(BOB, 'still waiting');
    await waitNotice(alice, /did not answer the request.*Your messages wait/);
    assert.equal(alice.layer.state(BOB), 'plaintext');
    assert.equal(alice.queue.pending().length, 1, 'the message waits (never sent in the clear, never dropped)');
    alice.tamper = undefined;
    alice.layer.contactAvailable(BOB);
    await waitReceived(bob, 'still waiting');
    assert.ok(!alice.sent.some((s) => s.body.includes('still waiting')));
  });

  it('required policy: messages still waiting after an unanswered start are refused when the user ends it', async () => {
    const { alice } = pair({ keys, alice: { policy: 'required', startTimeoutMs: 50 } });
    alice.tamper = () => [];
    const id = alice.send(BOB, 'never in the clear');
    await waitNotice(alice, /did not answer the request.*Your messages wait/);
    assert.equal(alice.layer.state(BOB), 'plaintext');
    const failed = alice.waitFor('failed', (f) => f.id === id);
    await alice.layer.end(BOB);
    assert.match((await failed).reason, /Not sent/);
    assert.equal(alice.queue.pending().length, 0);
    assert.ok(!alice.sent.some((s) => s.body.includes('never in the clear')));
  });

  it('required policy: ending a start that was not answered, then writing again asks again (not stuck)', async () => {
    const { alice, bob } = pair({ keys, alice: { policy: 'required' } });
    alice.tamper = () => [];
    const failed = alice.waitFor('failed', () => true);
    const first = alice.send(BOB, 'first try');
    await alice.waitFor('wire', (w) => w.body.startsWith('?OTRv'));
    await alice.layer.end(BOB);
    assert.equal((await failed).id, first, 'the message held for the ended start is refused, not sent');
    alice.tamper = undefined;
    alice.send(BOB, 'second try');
    await waitReceived(bob, 'second try');
    assert.ok(!alice.sent.some((s) => /first try|second try/.test(s.body)));
    assert.ok(!bob.received.some((r) => r.text === 'first try'));
  });

  it('required policy: a conversation lost twice in a row is asked for again each time', async () => {
    const { alice, bob } = await privatePair({ keys, alice: { policy: 'required' } });
    for (const round of [1, 2]) {
      // Bob's client writes in plaintext while the conversation is private: lost for Alice.
      const lost = waitState(alice, BOB, 'lost');
      await bob.sendWire(ALICE, `plain ${round}`);
      await lost;
      const up = waitState(alice, BOB, 'private-unverified');
      alice.send(BOB, `round ${round}`);
      await up;
      await waitReceived(bob, `round ${round}`);
    }
    assert.ok(!alice.sent.some((s) => /round \d/.test(s.body)));
  });

  it('required policy: plaintext from the contact is shown with a warning', async () => {
    const { alice, bob } = pair({ keys, alice: { policy: 'required' } });
    bob.send(ALICE, 'plain hello');
    const r = await waitReceived(alice, 'plain hello');
    assert.equal(r.encrypted, false);
    assert.ok(alice.notices.some((n) => /was not encrypted/.test(n.text)));
  });

  it('opportunistic: the whitespace tag advertises OTR and the contact starts the AKE', async () => {
    const { alice, bob } = pair({ keys, alice: { policy: 'opportunistic' }, bob: { policy: 'opportunistic' } });
    const up = Promise.all([waitState(alice, BOB, 'private-unverified'), waitState(bob, ALICE, 'private-unverified')]);
    alice.send(BOB, 'tagged hello');
    const r = await waitReceived(bob, 'tagged hello');
    assert.equal(r.encrypted, false, 'the first message is plaintext (opportunistic)');
    assert.ok(alice.sent[0]!.body.startsWith('tagged hello \t  \t\t\t\t \t \t \t  '), 'whitespace tag appended');
    await up;
    alice.send(BOB, 'now private');
    assert.equal((await waitReceived(bob, 'now private')).encrypted, true);
  });

  it('manual: a whitespace tag is stripped but does not start anything', async () => {
    const { alice, bob } = pair({ keys, alice: { policy: 'opportunistic' } });
    alice.send(BOB, 'tag only');
    const r = await waitReceived(bob, 'tag only');
    assert.equal(r.text, 'tag only');
    assert.equal(bob.layer.state(ALICE), 'plaintext');
  });

  it('they end it: finished, sending held with a notice; ending ours refuses the held message', async () => {
    const { alice, bob } = await privatePair({ keys });
    const fin = waitState(alice, BOB, 'finished');
    await bob.layer.end(ALICE);
    await fin;
    assert.equal(bob.layer.state(ALICE), 'plaintext');
    assert.ok(alice.notices.some((n) => /bob@example.org has ended the private conversation/.test(n.text)));
    const failed = alice.waitFor('failed', () => true);
    const id = alice.send(BOB, 'must not leak');
    await waitNotice(alice, /was not sent: bob@example.org has ended/);
    assert.equal(alice.queue.pending().length, 1);
    await alice.layer.end(BOB);
    assert.equal((await failed).id, id);
    assert.equal(alice.layer.state(BOB), 'plaintext');
    await bob.idle();
    assert.ok(!alice.sent.some((s) => s.body.includes('must not leak')));
  });

  it('refresh gives a new AKE; SMP still works after it (patch: SMP state reset per AKE)', async () => {
    const { alice, bob } = await privatePair({ keys });
    // An SMP run before the refresh leaves the library's SMP state machine behind.
    const first = bob.layer.waitFor('smp', (e) => e.kind === 'asked');
    await alice.layer.smpSecret(BOB, 'before');
    await first;
    const firstDone = alice.layer.waitFor('smp', (e) => e.kind === 'succeeded' || e.kind === 'failed');
    await bob.layer.smpRespond(ALICE, 'before');
    assert.equal((await firstDone).kind, 'succeeded');
    const refreshed = waitNotice(alice, /conversation with bob@example.org refreshed/);
    await alice.layer.refresh(BOB);
    await refreshed;
    await bob.idle();
    assert.equal(alice.layer.state(BOB), 'private-verified', 'still verified: same key after the refresh');
    const asked = bob.layer.waitFor('smp', (e) => e.kind === 'asked');
    await alice.layer.smpSecret(BOB, 'our secret');
    await asked;
    const done = alice.layer.waitFor('smp', (e) => e.kind === 'succeeded' || e.kind === 'failed');
    await bob.layer.smpRespond(ALICE, 'our secret');
    assert.equal((await done).kind, 'succeeded');
  });

  it('SMP with a question: right answer verifies the asker only; wrong answer fails on both sides', async () => {
    const { alice, bob } = await privatePair({ keys });
    const asked = bob.layer.waitFor('smp', (e) => e.kind === 'asked');
    await alice.layer.smpQuestion(BOB, 'Where did we meet?', 'Lisbon');
    const q = await asked;
    assert.equal(q.question, 'Where did we meet?');
    assert.equal(q.initiatedBy, 'them');
    const aDone = alice.layer.waitFor('smp', (e) => e.kind === 'succeeded' || e.kind === 'failed');
    const bDone = bob.layer.waitFor('smp', (e) => e.kind === 'succeeded' || e.kind === 'failed');
    const verified = waitState(alice, BOB, 'private-verified');
    await bob.layer.smpRespond(ALICE, 'Lisbon');
    assert.deepEqual([(await aDone).kind, (await aDone).initiatedBy], ['succeeded', 'us']);
    assert.deepEqual([(await bDone).kind, (await bDone).initiatedBy], ['succeeded', 'them']);
    await verified;
    assert.equal(bob.layer.state(ALICE), 'private-unverified', 'answering a question does not verify the asker');
    assert.ok(bob.notices.some((n) => /has authenticated you/.test(n.text)));
    assert.deepEqual(await alice.layer.knownFingerprints(BOB), [{ fingerprint: bob.layer.ownFingerprint()!.replace(/ /g, '').toLowerCase(), verified: true }]);

    // Wrong answer, other direction.
    const asked2 = alice.layer.waitFor('smp', (e) => e.kind === 'asked');
    await bob.layer.smpQuestion(ALICE, 'Colour?', 'blue');
    await asked2;
    const a2 = alice.layer.waitFor('smp', (e) => e.kind === 'failed' || e.kind === 'succeeded');
    const b2 = bob.layer.waitFor('smp', (e) => e.kind === 'failed' || e.kind === 'succeeded');
    await alice.layer.smpRespond(BOB, 'red');
    assert.equal((await a2).kind, 'failed');
    assert.equal((await b2).kind, 'failed');
    assert.equal(bob.layer.state(ALICE), 'private-unverified');
    // Answering their question wrong says nothing about them: Alice's verification of Bob stays.
    assert.equal(alice.layer.state(BOB), 'private-verified');
  });

  it('a failed shared-secret run drops the verified state on both sides (as libotr does)', async () => {
    const { alice, bob } = await privatePair({ keys });
    const run = async (secretA: string, secretB: string) => {
      const asked = bob.layer.waitFor('smp', (e) => e.kind === 'asked');
      const aDone = alice.layer.waitFor('smp', (e) => e.kind === 'succeeded' || e.kind === 'failed');
      const bDone = bob.layer.waitFor('smp', (e) => e.kind === 'succeeded' || e.kind === 'failed');
      await alice.layer.smpSecret(BOB, secretA);
      await asked;
      await bob.layer.smpRespond(ALICE, secretB);
      return [(await aDone).kind, (await bDone).kind];
    };
    const both = Promise.all([waitState(alice, BOB, 'private-verified'), waitState(bob, ALICE, 'private-verified')]);
    assert.deepEqual(await run('shared', 'shared'), ['succeeded', 'succeeded']);
    await both;
    const dropped = Promise.all([waitState(alice, BOB, 'private-unverified'), waitState(bob, ALICE, 'private-unverified')]);
    assert.deepEqual(await run('shared', 'sharred'), ['failed', 'failed']);
    await dropped;
    assert.ok(alice.notices.some((n) => /Authentication of bob@example.org failed.*no longer shown as verified/.test(n.text)));
    assert.deepEqual((await alice.layer.knownFingerprints(BOB)).map((f) => f.verified), [false]);
  });

  it('SMP abort is reported on both sides', async () => {
    const { alice, bob } = await privatePair({ keys });
    const asked = bob.layer.waitFor('smp', (e) => e.kind === 'asked');
    await alice.layer.smpSecret(BOB, 'x');
    await asked;
    const aborted = alice.layer.waitFor('smp', (e) => e.kind === 'aborted');
    await bob.layer.smpAbort(ALICE);
    const e = await aborted;
    assert.equal(e.initiatedBy, 'us');
    assert.equal(e.abortedBy, 'them');
  });

  it('manual fingerprint verification, and a changed key drops it with a warning', async () => {
    const { alice, bob } = await privatePair({ keys });
    const fp = alice.layer.theirFingerprint(BOB)!;
    await alice.layer.setVerified(BOB, fp, true);
    assert.equal(alice.layer.state(BOB), 'private-verified');
    // Bob gets a new key (another computer): Alice is warned and the state is unverified.
    await bob.layer.regenerateKey();
    await waitState(alice, BOB, 'finished');
    await alice.layer.end(BOB);
    const changed = alice.layer.waitFor('fingerprint', () => true);
    const up = waitState(alice, BOB, 'private-unverified');
    await bob.layer.start(ALICE);
    const ev = await changed;
    await up;
    assert.equal(ev.kind, 'changed');
    assert.equal(ev.formatted, bob.layer.ownFingerprint());
    assert.notEqual(ev.formatted, fp);
    assert.ok(alice.notices.filter((n) => /unrecognised computer/.test(n.text)).length >= 2);
    const known = await alice.layer.knownFingerprints(BOB);
    assert.equal(known.length, 2);
    assert.deepEqual(known.map((k) => k.verified), [true, false]);
  });

  it('a contact that comes back with a new instance tag can start again (patch: arlolra/otr#66)', async () => {
    const { alice, bob } = await privatePair({ keys });
    // Bob's client restarts: same key, new instance tag (a fresh tag store), no OTR state.
    const bob2 = new FakeAccount(BOB, { keys: bob.stores.keys, trust: bob.stores.trust, tags: new (bob.stores.tags.constructor as new () => typeof bob.stores.tags)() });
    bob2.attach();
    bob2.peer = alice;
    alice.peer = bob2;
    await bob2.layer.whenReady();
    const up = waitState(bob2, ALICE, 'private-unverified');
    const aliceRefreshed = waitNotice(alice, /Unverified private conversation with bob@example.org (started|refreshed)/);
    await bob2.layer.start(ALICE);
    await up;
    await aliceRefreshed;
    await waitState(alice, BOB, 'private-unverified');
    await alice.idle();
    bob2.send(ALICE, 'from the new instance');
    alice.send(BOB, 'to the new instance');
    await Promise.all([waitReceived(alice, 'from the new instance'), waitReceived(bob2, 'to the new instance')]);
    // And the other way round: Alice starts, the new instance answers.
    const bob3 = new FakeAccount(BOB, { keys: bob.stores.keys, trust: bob.stores.trust, tags: new (bob.stores.tags.constructor as new () => typeof bob.stores.tags)() });
    bob3.attach();
    bob3.peer = alice;
    alice.peer = bob3;
    const up3 = waitState(bob3, ALICE, 'private-unverified');
    await alice.layer.refresh(BOB);
    await up3;
    bob3.send(ALICE, 'hello from bob3');
    await waitReceived(alice, 'hello from bob3');
  });

  it('a 64 KB message is fragmented and reassembled', async () => {
    const { alice, bob } = await privatePair({ keys });
    const big = 'ü€'.repeat(16 * 1024) + 'END'; // 32 K chars, 80 KB of UTF-8
    alice.send(BOB, big);
    const r = await waitReceived(bob, big, 20_000);
    assert.equal(r.encrypted, true);
    const frags = alice.sent.filter((s) => s.body.startsWith('?OTR|'));
    assert.ok(frags.length > 10, `fragments: ${frags.length}`);
    assert.ok(frags.every((f) => f.body.length <= 4100));
  });
});

describe('OtrLayer: plaintext is decided without waiting', () => {
  const item = (text: string, requirePrivate = false) => ({ id: 'i1', to: BOB, text, ts: 1, state: 'queued' as const, persist: true, ...(requirePrivate ? { requirePrivate } : {}) });

  it('encode: a plain value for plaintext (manual and opportunistic), a promise when it must encrypt or hold', async () => {
    const { alice } = pair({ keys });
    const plain = alice.layer.encode(BOB, item('hi'));
    assert.ok(!(plain instanceof Promise), 'plaintext under manual: answered at once');
    assert.deepEqual(plain, { bodies: ['hi'] });
    const held = alice.layer.encode(BOB, item('secret', true));
    assert.ok(held instanceof Promise, 'requirePrivate goes the async way');
    assert.equal(await held, 'hold');
    const { alice: a2 } = pair({ keys, alice: { policy: 'opportunistic' } });
    const tagged = a2.layer.encode(BOB, item('hi'));
    assert.ok(!(tagged instanceof Promise));
    assert.match((tagged as { bodies: string[] }).bodies[0]!, /^hi \t  \t\t\t\t \t \t \t  /, 'the whitespace tag still goes on (OTR v3 "Tagged plaintext")');
    const { alice: a3 } = pair({ keys, alice: { policy: 'required' } });
    const req = a3.layer.encode(BOB, item('hi'));
    assert.ok(req instanceof Promise, 'required: never decided in the clear without a session');
    assert.equal(await req, 'hold');
  });

  it('decode: plain text with no session at once; anything OTR-looking the async way', async () => {
    const { alice } = pair({ keys });
    const plain = alice.layer.decode(BOB, `${BOB}/res`, 'hello <b>');
    assert.ok(!(plain instanceof Promise));
    assert.deepEqual(plain, { text: 'hello <b>', encrypted: false });
    const otr = alice.layer.decode(BOB, `${BOB}/res`, '?OTRv3?');
    assert.ok(otr instanceof Promise);
    await otr;
  });
});
