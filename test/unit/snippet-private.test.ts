// "Only inside a private conversation" for shared snippets: the `requirePrivate` flag of one
// outgoing message (src/core/queue.ts OutgoingItem, src/core/otr/policy.ts decideOutgoing,
// src/core/otr/layer.ts encode, src/core/account.ts sendMessage). Two OtrLayers back to back
// in memory (./otr-harness.ts); waits on events, never sleeps.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AccountSession, type ChatLayer } from '../../src/core/account';
import { HistoryStore } from '../../src/core/history';
import { nullLogger } from '../../src/core/log';
import { decideOutgoing } from '../../src/core/otr/policy';
import { encodeSnippet, parseSnippet } from '../../src/core/snippet';
import { BOB, type FakeAccount, pair, pairKeys, privatePair, waitReceived, waitState } from './otr-harness';

const keys = pairKeys();

let n = 0;
/** What Share Selection does: one message with requirePrivate. */
function sendPrivate(a: FakeAccount, to: string, text: string): string {
  const id = `snippet-${++n}`;
  a.queue.enqueue({ id, to, text, ts: Date.now(), persist: false, requirePrivate: true });
  void a.kickQueue();
  return id;
}

describe('decideOutgoing with requirePrivate', () => {
  it('never plaintext: held with a start under every policy', () => {
    for (const policy of ['manual', 'opportunistic', 'required'] as const) {
      assert.deepEqual(decideOutgoing(policy, 'plaintext', false, true), { action: 'hold', start: true, notice: 'waiting' }, policy);
      assert.deepEqual(decideOutgoing(policy, 'plaintext', true, true), { action: 'hold', start: true, notice: 'waiting' }, policy);
      assert.deepEqual(decideOutgoing(policy, 'private-verified', false, true), { action: 'encrypt' });
      assert.equal(decideOutgoing(policy, 'finished', false, true).action, 'hold');
      assert.equal(decideOutgoing(policy, 'starting', false, true).action, 'hold');
    }
    // Without the flag nothing changes.
    assert.equal(decideOutgoing('opportunistic', 'plaintext').action, 'plaintext');
    assert.equal(decideOutgoing('manual', 'plaintext').action, 'plaintext');
  });
});

describe('requirePrivate through the OTR layer', () => {
  it('manual policy, no conversation: the snippet waits, a query goes out, then it arrives encrypted and exact', async () => {
    const { alice, bob } = pair({ keys, alice: { policy: 'manual' }, bob: { policy: 'opportunistic' } });
    const body = encodeSnippet({ code: 'const secret = "s3cr3t";\n', languageId: 'typescript', fileName: 'a.ts', startLine: 1, endLine: 1 });
    sendPrivate(alice, BOB, body);
    const got = await waitReceived(bob, body);
    assert.equal(got.encrypted, true);
    assert.equal(parseSnippet(got.text)!.code, 'const secret = "s3cr3t";\n');
    assert.ok(alice.sent[0]!.body.startsWith('?OTRv23?'), 'a query went out first');
    assert.ok(!alice.sent.some((s) => s.body.includes('s3cr3t')), 'the snippet went out in the clear');
    assert.equal(alice.layer.state(BOB), 'private-unverified');
  });

  it('opportunistic policy with a contact who never answers: it fails after the start timeout, never in the clear', async () => {
    const { alice } = pair({ keys, alice: { policy: 'opportunistic', startTimeoutMs: 300 } });
    alice.peer = undefined; // nobody on the other side
    const failed = alice.waitFor('failed', () => true, 5000);
    const id = sendPrivate(alice, BOB, 'Line 1:\n```\ntop secret\n```');
    const f = await failed;
    assert.equal(f.id, id);
    assert.match(f.reason, /could not be started/);
    assert.ok(!alice.sent.some((s) => s.body.includes('top secret')));
    assert.equal(alice.queue.size, 0);
  });

  it('an ordinary message after a held snippet keeps its order and is encrypted too once private', async () => {
    const { alice, bob } = pair({ keys, alice: { policy: 'opportunistic' }, bob: { policy: 'opportunistic' } });
    sendPrivate(alice, BOB, 'first (snippet)');
    alice.send(BOB, 'second (chat)');
    await waitReceived(bob, 'second (chat)');
    assert.deepEqual(bob.received.map((r) => [r.text, r.encrypted]), [['first (snippet)', true], ['second (chat)', true]]);
    await waitState(alice, BOB, 'private-unverified');
  });

  it('already private: goes out at once, encrypted', async () => {
    const { alice, bob } = await privatePair({ keys });
    sendPrivate(alice, BOB, 'now');
    assert.equal((await waitReceived(bob, 'now')).encrypted, true);
  });
});

describe('AccountSession.sendMessage({ requirePrivate })', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'padlock-snippet-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const session = () => new AccountSession({ id: 'me@example.org', jid: 'me@example.org' }, { logger: nullLogger, history: new HistoryStore(dir) });

  it('refuses without a layer that can encrypt', async () => {
    await assert.rejects(session().sendMessage('bob@example.org', 'x', { requirePrivate: true }), /not available/);
  });

  it('marks the message private, keeps it off disk (in memory for this session only), and flags the queue item', async () => {
    const s = session();
    const layer: ChatLayer = { encode: async () => 'hold' as const, decode: async (_c, _f, body) => ({ text: body }), willEncrypt: () => false };
    s.layer = layer;
    const m = await s.sendMessage('bob@example.org', 'Line 1:\n```\nx\n```', { requirePrivate: true });
    assert.equal(m.private, true);
    const item = s.queue.pending().find((i) => i.id === m.id)!;
    assert.equal(item.requirePrivate, true);
    assert.equal(item.persist, false);
    // Not on disk; the session's history still shows it until the host stops.
    assert.deepEqual(await new HistoryStore(dir).load('me@example.org', 'bob@example.org'), []);
    assert.deepEqual((await s.history('bob@example.org')).map((x) => x.id), [m.id]);
    // An ordinary message is unchanged.
    const plain = await s.sendMessage('bob@example.org', 'hello');
    assert.equal(plain.private, undefined);
    assert.equal(s.queue.pending().find((i) => i.id === plain.id)!.requirePrivate, undefined);
  });
});
