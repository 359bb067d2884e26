/**
 * XEP-0198 acknowledgements against a real Prosody: after a sign-out, the server must not
 * deliver again a message the client had received and acknowledged.
 *
 * Regression test for the counting fix in patches/@xmpp+stream-management+0.14.0+001+fixes.patch:
 * upstream did not count the iq results its own iq caller consumed (the roster at sign-in, any
 * request the app made), so every <a h=…/> fell behind the server's count. Prosody then kept its
 * newest stanzas as unacknowledged and, when the stream closed, stored the messages among them
 * for offline delivery (mod_smacks): the contact's last message came again at the next sign-in.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AccountSession } from '../../src/core/account';
import { HistoryStore } from '../../src/core/history';
import { nullLogger } from '../../src/core/log';
import { startProsody, stopAll, type ProsodyServer } from '../support/prosody';
import { connectClient, xml, type ScriptClient } from '../support/xmppClient';

describe('XEP-0198 acknowledgements against Prosody', () => {
  let server: ProsodyServer;
  let dir: string;
  const users = { alice: 'alice-pw', bob: 'bob-pw' };
  const clients: ScriptClient[] = [];
  const sessions: AccountSession[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'padlock-sm-'));
    server = await startProsody({ users, muc: false });
  });
  after(async () => {
    // Also when a test failed half-way: a session left open keeps retrying and the run would
    // not end (scripts/test.mjs runs this group without --test-force-exit).
    await Promise.all([...clients.map((c) => c.stop()), ...sessions.map((s) => s.dispose())]);
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a message received and acknowledged is not delivered again after signing out', async () => {
    const alice = new AccountSession(
      { id: 'alice@localhost', jid: 'alice@localhost', host: server.host, port: server.port, caPem: [server.caPem] },
      { logger: nullLogger, history: new HistoryStore(join(dir, 'alice')) },
    );
    sessions.push(alice);
    // Signing in asks for the roster: an iq result the iq caller consumes.
    await alice.start(users.alice);
    // One more iq, as the app makes them (disco, bookmarks, …).
    await alice.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })) as never);

    // Without XEP-0198 nothing would be stored for redelivery and the test would prove nothing.
    assert.equal((alice as unknown as { conn: { smEnabled: boolean } }).conn.smEnabled, true, 'stream management is on');
    const bob = await connectClient({ server, user: 'bob', password: users.bob });
    clients.push(bob);
    const got = alice.waitFor('message', (e) => e.incoming && e.message.text === 'only once', 10_000);
    await bob.sendMessage(alice.fullJid!, 'only once');
    await got;
    // Prosody follows the message with <r/> (it asks after every stanza) and Alice answers it.
    // Another round trip after it makes sure that answer was written before the stream closes:
    // the iq result comes after the <r/> on the same TCP stream.
    await alice.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })) as never);
    await alice.dispose();

    // Back as a plain client: offline messages come with the initial presence, before the
    // answer to an iq sent right after it.
    const again = await connectClient({ server, user: 'alice', password: users.alice, presence: false });
    clients.push(again);
    await again.sendPresence();
    await again.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    const redelivered = again.received.filter((el) => el.is('message') && el.getChildText('body') === 'only once');
    assert.equal(redelivered.length, 0, `delivered again after signing out:\n${redelivered.join('\n')}`);
  });
});
