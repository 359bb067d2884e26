/**
 * AccountSession's receive path without a server (a fake connection that records what is
 * sent): what it learns per contact stays bounded however many JIDs write to it, and what it
 * must remember of a contact who keeps writing (ids, to drop a redelivered message) is kept.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { xml } from '@xmpp/client';
import { AccountSession, CONTACTS_TRACKED } from '../../src/core/account';
import { HistoryStore } from '../../src/core/history';
import { nullLogger } from '../../src/core/log';

type Internals = {
  conn: unknown;
  onStanza(el: unknown): void;
  seen: { size: number };
  locked: { size: number };
  chatStateCapable: { size: number };
  chatStateless: { size: number };
  receiptPeers: { size: number };
};

describe('AccountSession: what strangers can make it remember', () => {
  const dir = mkdtempSync(join(tmpdir(), 'padlock-receive-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  function session() {
    const history = new HistoryStore(dir, { batchMs: 0 });
    const s = new AccountSession({ id: 'me@example.org', jid: 'me@example.org' }, { logger: nullLogger, history });
    const inner = s as unknown as Internals;
    inner.conn = { state: 'online', smEnabled: false, send: async () => {}, on: () => ({ dispose() {} }) };
    const shown: string[] = [];
    s.on('message', ({ message, incoming }) => incoming && shown.push(message.text));
    const receive = (from: string, id: string, body: string, chatState = true) =>
      inner.onStanza(
        xml(
          'message',
          { from, to: 'me@example.org/r', type: 'chat', id },
          xml('body', {}, body),
          ...(chatState ? [xml('active', { xmlns: 'http://jabber.org/protocol/chatstates' })] : []),
        ),
      );
    return { s, inner, shown, receive, history };
  }

  it('keeps per-contact state for the recent contacts only, under a flood from new JIDs', async () => {
    const { inner, shown, receive, history } = session();
    const n = CONTACTS_TRACKED * 3;
    for (let i = 0; i < n; i++) receive(`spam${i}@evil.example/r${i}`, `id${i}`, `hello ${i}`, i % 2 === 0);
    await history.flush();
    assert.equal(shown.length, n, 'every message is still shown');
    for (const [name, m] of Object.entries({ seen: inner.seen, locked: inner.locked, chatStateCapable: inner.chatStateCapable, chatStateless: inner.chatStateless })) {
      assert.ok(m.size < 2 * CONTACTS_TRACKED, `${name}: ${m.size} entries for ${n} contacts`);
    }
    await history.close();
  });

  it('still drops a redelivered message from a contact who keeps writing through the flood', async () => {
    const { shown, receive, history } = session();
    receive('friend@example.org/laptop', 'f-1', 'first');
    for (let i = 0; i < CONTACTS_TRACKED * 3; i++) {
      receive(`spam${i}@evil.example/r`, `s${i}`, 'spam');
      if (i % 100 === 0) receive('friend@example.org/laptop', `f${i}`, `still here ${i}`);
    }
    const before = shown.length;
    receive('friend@example.org/laptop', 'f0', 'still here 0'); // delivered again after a reconnect
    assert.equal(shown.length, before, 'the copy is dropped');
    receive('friend@example.org/laptop', 'f-new', 'new');
    assert.equal(shown.at(-1), 'new');
    await history.close();
  });
});
