/**
 * "Loses nothing" when the contact's libotr client restarts (issue 3): Padlock and Debian's
 * mcabber 1.1.2 (libotr 4.1.1) in a private conversation over a real Prosody; mcabber quits and
 * starts again from the same folder (same key and instance tag, no OTR session). What Padlock
 * then sends in the old conversation, libotr cannot read: mcabber shows "Message lost" but sends
 * no OTR Error (OTR v3 "Error Messages" would; mcabber gives libotr no error text), so its user
 * starts a new private conversation. Padlock takes that new AKE as the sign, reports the
 * message as possibly unread with "Resend privately", which sends it again, encrypted, in the
 * new private conversation. No message text ever goes out in
 * plaintext (checked on every body Padlock put on the wire).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AccountSession } from '../../src/core/account';
import { HistoryStore } from '../../src/core/history';
import type { Logger } from '../../src/core/log';
import { OtrLayer } from '../../src/core/otr/layer';
import { MemoryKeyStore, MemoryTagStore, MemoryTrustStore } from '../../src/core/otr/stores';
import { befriend } from '../support/demoBot';
import { startMcabber, type Mcabber } from '../support/mcabber';
import { startProsody, stopAll, type ProsodyServer } from '../support/prosody';

const logs: string[] = [];
const logger: Logger = { info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m), debug: () => {} };

describe('OTR: mcabber (libotr) restarts mid-conversation; nothing is lost', () => {
  const users = { alice: 'alice-pw', mc: 'mc-pw' };
  const ALICE = 'alice@localhost';
  const MC = 'mc@localhost';
  let server: ProsodyServer;
  let dir: string;
  let mc: Mcabber;
  let s: AccountSession;
  let otr: OtrLayer;
  const wire: string[] = [];
  let onData: (() => void) | undefined;

  const padlockState = (st: string, timeoutMs = 15_000) =>
    otr.state(MC) === st ? Promise.resolve() : otr.waitFor('state', (e) => e.contact === MC && e.state === st, timeoutMs);
  const notice = (re: RegExp, timeoutMs = 15_000) => s.waitFor('message', (e) => e.contact === MC && e.message.direction === 'system' && re.test(e.message.text), timeoutMs);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'padlock-otr-restart-'));
    server = await startProsody({ users, muc: false });
    await befriend(server, { user: 'alice', password: users.alice }, { user: 'mc', password: users.mc });
    s = new AccountSession({ id: ALICE, jid: ALICE, host: '127.0.0.1', port: server.port, caPem: [server.caPem] }, { logger, history: new HistoryStore(join(dir, 'alice')) });
    otr = new OtrLayer({ account: s, keys: new MemoryKeyStore(), trust: new MemoryTrustStore(), tags: new MemoryTagStore(), policy: 'manual', logger });
    s.layer = otr;
    const sendWire = s.sendWire.bind(s);
    s.sendWire = (to, body, extra) => {
      wire.push(body);
      return sendWire(to, body, extra);
    };
    const encode = otr.encode.bind(otr);
    otr.encode = async (contact, item) => {
      const r = await encode(contact, item);
      if (r !== 'hold') {
        wire.push(...r.bodies);
        if (r.bodies[0]?.startsWith('?OTR:AAMD')) onData?.();
      }
      return r;
    };
    mc = (await Promise.all([s.start(users.alice), otr.ensureKey(), startMcabber({ server, user: 'mc', password: users.mc })]))[2];
  });

  after(async () => {
    otr?.dispose();
    await Promise.all([s?.dispose(), mc?.stop()]);
    await stopAll();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a message to the restarted client is reported unread and resent privately on request', async () => {
    const up = padlockState('private-unverified');
    await otr.start(MC);
    await up;
    await mc.waitForOtrState(ALICE, 'encrypted');
    let from = mc.history(ALICE).length;
    await s.sendMessage(MC, 'before the restart', { persist: false });
    await mc.waitForHistory(ALICE, (l) => l.kind === 'M' && l.dir === 'R' && l.text === 'before the restart', { from });

    // mcabber quits and comes back from the same folder: same key, no OTR session.
    const mcDir = mc.dir;
    await mc.stop();
    mc = await startMcabber({ server, user: 'mc', password: users.mc, dir: mcDir });
    // Padlock does not know yet: its conversation is still up.
    assert.match(otr.state(MC), /^private-/);

    const lost = 'written after the restart ✓';
    const encrypted = new Promise<void>((r) => (onData = r));
    await s.sendMessage(MC, lost, { persist: false });
    await encrypted;
    // libotr cannot read it; mcabber sends no OTR Error (it gives libotr no error text,
    // otr_error_message), so its user starts a new private conversation.
    const told = notice(/started a new private conversation \(their client may have restarted\): your last (\d+ )?private messages? may not have been readable/);
    await mc.command(`/otr start ${ALICE}`);
    const line = (await told).message;
    assert.equal(line.action?.command, 'resendPrivate');
    // Also "before the restart": mcabber read it but never answered, so Padlock cannot tell.
    assert.ok(otr.unreadMessages(MC).length >= 1);
    assert.equal(mc.history(ALICE).some((l) => l.text === lost), false, 'libotr could not have shown it');
    await padlockState('private-unverified');
    await mc.waitForOtrState(ALICE, 'encrypted');

    from = mc.history(ALICE).length;
    await otr.resendUnread(MC);
    await mc.waitForHistory(ALICE, (l) => l.kind === 'M' && l.dir === 'R' && l.text === lost, { from, timeoutMs: 20_000 });
    await mc.waitForOtrState(ALICE, 'encrypted');
    assert.deepEqual(otr.unreadMessages(MC), []);
    for (const text of ['before the restart', 'written after the restart']) assert.ok(!wire.some((b) => b.includes(text)), `"${text}" went out in plaintext`);
  });
});
