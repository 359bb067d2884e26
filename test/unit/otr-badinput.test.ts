// A corpus of bad OTR input fed to decode() in a private conversation: truncated, corrupted
// base64, replayed and out-of-order data messages, bad fragments, wrong MACs, huge garbage.
// Each must give a clear notice (never a silent drop), never throw, and leave the session
// usable (or cleanly reset). An exact copy of a message already read (a server re-delivers
// such copies) gets a calm notice and no OTR Error: nothing is lost, it is not shown twice.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { randomBytes } from 'node:crypto';
import { ALICE, BOB, otrBytes, otrMessage, pairKeys, privatePair, sendData, sendHeld, waitReceived, waitState } from './otr-harness';

const keys = pairKeys();

function flipByte(b64msg: string, at: number): string {
  const raw = otrBytes(b64msg);
  raw[at] = raw[at]! ^ 0x5a;
  return otrMessage(raw);
}

describe('bad OTR input', () => {
  it('every corpus entry gives a notice, no crash, and the conversation keeps working', async () => {
    const { alice, bob } = await privatePair({ keys });
    await Promise.all([alice.idle(), bob.idle()]);

    // Genuine data messages to replay and reorder (captured in transit, then delivered).
    const m1 = await sendData(alice, BOB, 'm1');
    const m2 = await sendData(alice, BOB, 'm2');
    // Two more, held back in transit, to deliver out of order.
    const m3 = await sendHeld(alice, BOB, 'm3');
    const m4 = await sendHeld(alice, BOB, 'm4');
    // A long message, fragmented, whose fragments we take apart.
    const frags: string[] = [];
    alice.tamper = (body) => {
      if (body.startsWith('?OTR|')) {
        frags.push(body);
        return [];
      }
      return [body];
    };
    alice.send(BOB, 'L'.repeat(12_000));
    await alice.waitFor('wire', (w) => /,000\d\d,000\d\d,/.test(w.body) || true);
    while (frags.length < 3) await alice.waitFor('wire', () => true);
    alice.tamper = undefined;

    const corpus: Array<[string, string, RegExp]> = [
      ['truncated data message', m2.slice(0, 60), /damaged|could not be decrypted/],
      ['truncated, no trailing dot', m2.slice(0, -1), /damaged/],
      ['corrupted base64', m2.slice(0, 30) + '!!!@@@###' + m2.slice(39), /could not be decrypted|damaged/],
      // A copy of a message already read (same counter, MAC verifies) is what a server
      // re-delivers after a sign-in (XEP-0198 unacknowledged stanzas put into offline storage):
      // nothing is lost, so an info notice, no OTR Error (checked below), not shown twice.
      ['replayed data message', m1, /already shown arrived again and was ignored/],
      // OTR v3 "Receiving a Data Message": counters only grow, so a message overtaken by a later
      // one is refused (reported), and the later one was read.
      ['out of order: the later message first', m4, /__none__/],
      ['out of order: the earlier message after it', m3, /could not be decrypted \(Counter in message is not larger\)/],
      ['empty data message', '?OTR:.', /damaged|could not be decrypted/],
      ['wrong MAC', flipByte(m2, otrBytes(m2).length - 30), /could not be decrypted/],
      ['flipped ciphertext', flipByte(m2, 60), /could not be decrypted/],
      ['unknown message type', '?OTR:AAMJ' + Buffer.from(randomBytes(40)).toString('base64') + '.', /damaged/],
      ['unsupported version', '?OTR:AAED' + Buffer.from(randomBytes(40)).toString('base64') + '.', /damaged/],
      ['fragment out of order', frags[1]!, /without its beginning/],
      ['fragment with k > n', '?OTR|1|2,00005,00003,abc,', /damaged|without its beginning/],
      ['malformed fragment', '?OTR,1,x,abc,', /damaged/],
      ['incomplete fragment run', frags[0]!, /__none__/],
      ['interrupting plaintext', '?OTR:AAMD' + 'A'.repeat(20) + '.', /incomplete|could not be decrypted|damaged/],
      ['huge garbage', '?OTR:' + randomBytes(700_000).toString('base64') + '.', /damaged|could not be decrypted/],
      ['huge garbage fragment', '?OTR,1,2,' + 'A'.repeat(900_000) + ',', /__none__/],
      ['huge garbage fragment 2', '?OTR,2,2,' + 'A'.repeat(900_000) + ',', /too large|damaged|could not be decrypted/],
      ['SMP garbage inside valid framing is not reachable without keys; random AKE', '?OTR:AAMR' + randomBytes(300).toString('base64') + '.', /./],
    ];
    for (const [label, body, expect] of corpus) {
      const before = bob.notices.length;
      const sentBefore = bob.sent.length;
      await assert.doesNotReject(bob.deliver(ALICE, body), label);
      const added = bob.notices.slice(before).map((n) => n.text);
      if (label === 'replayed data message') {
        assert.ok(added.length === 1 && expect.test(added[0]!), `${label}: notices ${JSON.stringify(added)}`);
        assert.deepEqual(bob.sent.slice(sentBefore).filter((m) => m.body.startsWith('?OTR Error')), [], `${label}: OTR Error sent`);
        assert.equal(bob.received.filter((r) => r.text === 'm1').length, 1, `${label}: shown twice`);
        continue;
      }
      if (expect.source === '__none__') continue; // first part of a run: nothing to say yet
      if (label.startsWith('SMP garbage')) continue; // AKE junk with a foreign tag may be ignored (logged)
      assert.ok(added.some((t) => expect.test(t)), `${label}: notices ${JSON.stringify(added)}`);
      assert.ok(bob.layer.state(ALICE) === 'private-unverified', `${label}: state ${bob.layer.state(ALICE)}`);
    }
    assert.ok(!bob.received.some((r) => r.text.startsWith('?OTR')), 'raw OTR data shown as a message');
    assert.ok(bob.received.some((r) => r.text === 'm4' && r.encrypted), 'the later message of an out-of-order pair is read');
    assert.ok(!bob.received.some((r) => r.text === 'm3'), 'the overtaken message is refused, not shown twice or garbled');

    // Still usable: Bob's next message reaches Alice.
    bob.send(ALICE, 'bob still here');
    assert.equal((await waitReceived(alice, 'bob still here')).encrypted, true);
    // Alice heard about Bob's errors ("?OTR Error:") and marked the conversation lost: her
    // message waits (never plaintext) and a refresh brings the conversation back cleanly.
    assert.equal(alice.layer.state(BOB), 'lost');
    alice.send(BOB, 'after the storm');
    await alice.layer.refresh(BOB);
    await waitState(alice, BOB, 'private-unverified');
    assert.equal((await waitReceived(bob, 'after the storm')).encrypted, true);
    assert.ok(!alice.sent.some((x) => x.body.includes('after the storm')));
  });
});
