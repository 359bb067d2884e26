/**
 * Interop: Padlock's OtrLayer (on an AccountSession) against a real libotr client, Debian's
 * mcabber 1.1.2 with libotr 4.1.1, over a real Prosody. mcabber verifies the server's
 * certificate against the test CA (test/support/mcabber.ts) and is scripted through its FIFO;
 * what it sent, received and showed is read from its history, tracelog and window dumps.
 *
 * Covered: AKE started by either side; fingerprints as each side shows them; UTF-8 both ways;
 * a 15 KB message both ways (Padlock fragments it, libotr reassembles; mcabber sends long
 * messages unfragmented, see below); SMP both ways with right and wrong answers; end of the
 * private conversation from each side; 100 consecutive AKEs, started alternately by each side,
 * each one checked on both sides by a message decrypted on each side. (The AKE loop found the
 * bug fixed by the "AKE key r" change in patches/otr+0.2.16.patch: 1 AKE in 16 hung.)
 *
 * What mcabber 1.1.2 cannot do, and so is not tested against it: ask an SMP question
 * (`/otr smpq` takes a shared secret only; it does answer questions); fragment what it sends
 * (it calls otrl_message_sending with OTRL_FRAGMENT_SEND_SKIP); stay in "finished" when the
 * contact ends (it forces plaintext right after libotr reports the contact's disconnect).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AccountSession } from '../../src/core/account';
import { HistoryStore } from '../../src/core/history';
import type { Logger } from '../../src/core/log';
import { normalizeFingerprint } from '../../src/core/otr/fingerprint';
import { OtrLayer } from '../../src/core/otr/layer';
import { isPrivate } from '../../src/core/otr/policy';
import { MemoryKeyStore, MemoryTagStore, MemoryTrustStore } from '../../src/core/otr/stores';
import { befriend } from '../support/demoBot';
import { startMcabber, type Mcabber } from '../support/mcabber';
import { startProsody, stopAll, type ProsodyServer } from '../support/prosody';

const logs: string[] = [];
const logger: Logger = { info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m), debug: () => {} };
const FP_FORMAT = /^[0-9A-F]{8}( [0-9A-F]{8}){4}$/;

/** OTR v3 message kinds by their base64 prefix (version 0x0003 + type byte), for failure reports. */
const KINDS: Record<string, string> = { AAMC: 'D-H Commit', AAMK: 'D-H Key', AAMR: 'Reveal Signature', AAMS: 'Signature', AAMD: 'Data' };
function kind(body: string): string {
  if (body.startsWith('?OTR:')) return KINDS[body.slice(5, 9)] ?? 'OTR ?';
  if (body.startsWith('?OTR|') || body.startsWith('?OTR,')) return 'fragment';
  if (body.startsWith('?OTRv')) return 'query';
  if (body.startsWith('?OTR Error')) return 'error';
  return 'text';
}

describe('OTR interop with mcabber (libotr 4.1.1) over Prosody', () => {
  const users = { alice: 'alice-pw', mc: 'mc-pw' };
  let server: ProsodyServer;
  let dir: string;
  let mc: Mcabber;
  let s: AccountSession;
  let otr: OtrLayer;
  const ALICE = 'alice@localhost';
  const MC = 'mc@localhost';
  /** Bodies Padlock put on the wire per message (after encode), and bodies it received (before decode). */
  const wireOut: string[][] = [];
  const wireIn: string[] = [];
  const timings: Record<string, number> = {};
  /** Kinds of the protocol messages each way (no content), quoted when an AKE fails. */
  const protocolLog: string[] = [];
  const t0 = performance.now();

  const incoming = (text: string, timeoutMs = 10_000) => s.waitFor('message', (e) => e.incoming && e.contact === MC && e.message.text === text, timeoutMs);
  const notice = (re: RegExp, timeoutMs = 10_000) => s.waitFor('message', (e) => e.contact === MC && e.message.direction === 'system' && re.test(e.message.text), timeoutMs);
  const padlockState = (st: string, timeoutMs = 10_000) =>
    otr.state(MC) === st ? Promise.resolve() : otr.waitFor('state', (e) => e.contact === MC && e.state === st, timeoutMs);
  const smpResult = (timeoutMs = 20_000) => otr.waitFor('smp', (e) => e.contact === MC && (e.kind === 'succeeded' || e.kind === 'failed' || e.kind === 'aborted'), timeoutMs);
  /** A message from Padlock that mcabber must have decrypted (history line "MR … text"). */
  async function padlockToMc(text: string, timeoutMs = 10_000): Promise<void> {
    const from = mc.history(ALICE).length;
    await s.sendMessage(MC, text, { persist: false });
    await mc.waitForHistory(ALICE, (l) => l.kind === 'M' && l.dir === 'R' && l.text === text, { from, timeoutMs });
  }
  /** A message from mcabber that Padlock must receive inside the private conversation. */
  async function mcToPadlock(text: string, timeoutMs = 10_000): Promise<void> {
    const got = incoming(text, timeoutMs);
    await mc.say(ALICE, text);
    const ev = await got;
    assert.equal(ev.message.private, true, `"${text.slice(0, 40)}" arrived outside the private conversation`);
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'padlock-otr-interop-'));
    server = await startProsody({ users, muc: false });
    await befriend(server, { user: 'alice', password: users.alice }, { user: 'mc', password: users.mc });
    s = new AccountSession({ id: ALICE, jid: ALICE, host: '127.0.0.1', port: server.port, caPem: [server.caPem] }, { logger, history: new HistoryStore(join(dir, 'alice')) });
    otr = new OtrLayer({ account: s, keys: new MemoryKeyStore(), trust: new MemoryTrustStore(), tags: new MemoryTagStore(), policy: 'manual', logger });
    s.layer = otr;
    // Spies on the wire side of the layer (what AccountSession sends and hands it).
    const encode = otr.encode.bind(otr);
    otr.encode = async (contact, item) => {
      const r = await encode(contact, item);
      if (r !== 'hold') wireOut.push(r.bodies);
      return r;
    };
    const sendWire = s.sendWire.bind(s);
    s.sendWire = (to, body, extra) => {
      protocolLog.push(`→ ${kind(body)}`);
      return sendWire(to, body, extra);
    };
    const decode = otr.decode.bind(otr);
    otr.decode = async (contact, from, body) => {
      wireIn.push(body);
      protocolLog.push(`← ${kind(body)}`);
      return decode(contact, from, body);
    };
    const ready = Promise.all([
      s.start(users.alice),
      otr.ensureKey(),
      startMcabber({ server, user: 'mc', password: users.mc }),
    ]);
    mc = (await ready)[2];
    timings.setup = performance.now() - t0;
  });

  after(async () => {
    const total = performance.now() - t0;
    console.log(`[otr-interop] timings (ms): ${JSON.stringify({ ...Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)])), total: Math.round(total) })}`);
    otr?.dispose();
    await Promise.all([s?.dispose(), mc?.stop()]);
    await stopAll();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('mcabber verifies the server certificate: it refuses a server the test CA did not sign', async () => {
    const other = await startProsody({ users: { mc: users.mc }, muc: false, certificate: 'self-signed-untrusted' });
    try {
      await assert.rejects(
        startMcabber({ server: { port: other.port, domain: other.domain, caFile: server.caFile }, user: 'mc', password: users.mc, startTimeoutMs: 10_000 }),
        /could not connect: Certificate/,
      );
    } finally {
      await other.kill();
    }
  });

  it('mcabber is online over verified TLS and the accounts are mutual contacts; plaintext works both ways', async () => {
    const got = incoming('hello from mcabber');
    await mc.say(ALICE, 'hello from mcabber');
    assert.notEqual((await got).message.private, true);
    assert.match(mc.trace(), /Connection established/);
    const from = mc.history(ALICE).length;
    await s.sendMessage(MC, 'hello from Padlock', { persist: false });
    await mc.waitForHistory(ALICE, (l) => l.dir === 'R' && l.text === 'hello from Padlock', { from });
  });

  it('AKE started by Padlock; both sides show the same fingerprints (libotr format)', async () => {
    const t = performance.now();
    const up = padlockState('private-unverified');
    await otr.start(MC);
    await up;
    await mc.waitForOtrState(ALICE, 'encrypted');
    timings.firstAke = performance.now() - t;
    assert.equal(otr.protocolVersion(MC), 3);

    // mcabber's own key (/otr key) is the one Padlock authenticated, and vice versa.
    const mcOwn = await mc.otrKey();
    assert.match(mcOwn, FP_FORMAT);
    assert.equal(otr.theirFingerprint(MC), mcOwn);
    const seen = await mc.otrFingerprint(ALICE);
    assert.match(seen.fingerprint, FP_FORMAT);
    assert.equal(seen.fingerprint, otr.ownFingerprint());
    assert.equal(seen.trusted, false);
    // libotr's fingerprints file has it too (40 lowercase hex).
    const hex = normalizeFingerprint(otr.ownFingerprint()!)!;
    assert.match(mc.fingerprintsFile(), new RegExp(`^${ALICE}\\t${MC}\\tjabber\\t${hex}`, 'm'));
    // mcabber noted the new fingerprint and the channel in alice's window.
    await mc.waitForBuffer(ALICE, new RegExp(`OTR: new fingerprint: ${seen.fingerprint}[\\s\\S]*OTR: channel established`));
  });

  it('UTF-8 messages both ways (accents, CJK, emoji)', async () => {
    const texts = ['Grüße aus Köln — ça va? Ñandú, ÅÆØ', 'こんにちは世界、漢字とかな。한국어 中文', 'Emoji: 🙂🔐👍🏽 🇫🇷 👩‍💻 𝔘𝔫𝔦𝔠𝔬𝔡𝔢'];
    for (const t of texts) await padlockToMc(t);
    for (const t of [...texts].reverse()) await mcToPadlock(`${t} (réponse)`);
    // On the wire they were OTR data messages, not text.
    const last = wireIn.at(-1)!;
    assert.match(last, /^\?OTR:AAMD/);
  });

  it('a 15 KB message both ways: Padlock fragments it, libotr reassembles it', async () => {
    let long = '';
    for (let i = 0; long.length < 15_000; i++) long += `Zeile ${i}: Übergrößenträger, 長いメッセージ, ✓🙂 — `;
    const t = performance.now();
    const outBefore = wireOut.length;
    await padlockToMc(long, 20_000);
    const bodies = wireOut.slice(outBefore).find((b) => b.length > 1)!;
    assert.ok(bodies, 'the long message went out in fragments');
    assert.ok(bodies.length >= 4, `${bodies.length} fragments`);
    assert.ok(bodies.every((b) => /^\?OTR\|[0-9a-f]+\|[0-9a-f]+,\d+,\d+,[A-Za-z0-9+/=?:.]*,$/.test(b)), 'OTR v3 fragments with instance tags');

    // mcabber sends it back whole (it never fragments: OTRL_FRAGMENT_SEND_SKIP).
    const back = `${long} (zurück)`;
    const inBefore = wireIn.length;
    await mcToPadlock(back, 20_000);
    const raw = wireIn.slice(inBefore);
    assert.ok(raw.some((b) => b.startsWith('?OTR:AAMD') && b.length > 15_000), 'one unfragmented data message');
    timings.longMessages = performance.now() - t;
  });

  it('SMP asked by Padlock with a question: mcabber answers right (verified), then wrong (fails on both sides)', async () => {
    const t = performance.now();
    let mark = (await mc.buffer(ALICE)).length;
    let result = smpResult();
    await otr.smpQuestion(MC, 'Name of our cat? 猫の名前', 'Mittens');
    ({ length: mark } = await mc.waitForBuffer(ALICE, /Received SMP Initiation[\s\S]*Question: Name of our cat\? 猫の名前/, { fromLength: mark }));
    await mc.command(`/otr smpr ${ALICE} Mittens`);
    let r = await result;
    assert.equal(r.kind, 'succeeded');
    assert.equal(r.initiatedBy, 'us');
    await padlockState('private-verified');
    ({ length: mark } = await mc.waitForBuffer(ALICE, /Socialist Millionaires' Protocol: Success!/, { fromLength: mark }));

    result = smpResult();
    await otr.smpQuestion(MC, 'Name of our dog?', 'Rex');
    ({ length: mark } = await mc.waitForBuffer(ALICE, /Question: Name of our dog\?/, { fromLength: mark }));
    await mc.command(`/otr smpr ${ALICE} Fido`);
    r = await result;
    assert.equal(r.kind, 'failed');
    await mc.waitForBuffer(ALICE, /Socialist Millionaires' Protocol: Failure\./, { fromLength: mark });
    timings.smpPadlockAsks = performance.now() - t;
  });

  it('SMP started by mcabber (shared secret): Padlock answers right (both verified), then wrong (fails on both sides)', async () => {
    const t = performance.now();
    let mark = (await mc.buffer(ALICE)).length;
    let asked = otr.waitFor('smp', (e) => e.contact === MC && e.kind === 'asked');
    await mc.command(`/otr smpq ${ALICE} correct horse ✓`);
    assert.equal((await asked).question, undefined);
    let result = smpResult();
    await otr.smpRespond(MC, 'correct horse ✓');
    let r = await result;
    assert.equal(r.kind, 'succeeded');
    assert.equal(r.initiatedBy, 'them');
    ({ length: mark } = await mc.waitForBuffer(ALICE, /Socialist Millionaires' Protocol: Success!/, { fromLength: mark }));
    // libotr marks the fingerprint as verified on the asking side ("smp" trust).
    assert.equal((await mc.otrFingerprint(ALICE)).trusted, true);
    // A shared secret authenticates both ways: Padlock verified mcabber as well.
    await padlockState('private-verified');

    asked = otr.waitFor('smp', (e) => e.contact === MC && e.kind === 'asked');
    await mc.command(`/otr smpq ${ALICE} battery staple`);
    await asked;
    result = smpResult();
    await otr.smpRespond(MC, 'battery stable');
    r = await result;
    assert.equal(r.kind, 'failed');
    await mc.waitForBuffer(ALICE, /Socialist Millionaires' Protocol: Failure\./, { fromLength: mark });
    assert.equal((await mc.otrFingerprint(ALICE)).trusted, false, 'libotr drops the trust after a failed SMP');
    // So does Padlock, for a shared secret; then verify mcabber again by fingerprint for the
    // tests below, which start from a verified conversation.
    await padlockState('private-unverified');
    await otr.setVerified(MC, otr.theirFingerprint(MC)!, true);
    await padlockState('private-verified');
    timings.smpMcabberAsks = performance.now() - t;
  });

  it('end from Padlock (mcabber closes its side); AKE started by mcabber; end from mcabber (Padlock sees finished)', async () => {
    // Padlock ends: libotr gets the "Disconnected" TLV; mcabber reports it and goes to plaintext.
    let mark = (await mc.buffer(ALICE)).length;
    await otr.end(MC);
    assert.equal(otr.state(MC), 'plaintext');
    ({ length: mark } = await mc.waitForBuffer(ALICE, /OTR: channel closed/, { fromLength: mark }));
    await mc.waitForOtrState(ALICE, (st) => !st.startsWith('encrypted'));

    // mcabber starts (its query message; Padlock answers with the AKE).
    const up = padlockState('private-verified'); // mcabber's fingerprint was verified by SMP above
    const started = notice(/Private conversation with mc@localhost started/);
    await mc.command(`/otr start ${ALICE}`);
    await up;
    await started;
    await mc.waitForOtrState(ALICE, 'encrypted');
    await padlockToMc('after the AKE started by mcabber ✓');
    await mcToPadlock('and back ✓');

    // mcabber ends: Padlock must go to 'finished' and hold what the user writes.
    const fin = padlockState('finished');
    const told = notice(/mc@localhost has ended the private conversation/);
    await mc.command(`/otr stop ${ALICE}`);
    await fin;
    await told;
    const sent = wireOut.length;
    const held = notice(/Your message was not sent: mc@localhost has ended the private conversation/);
    const heldMessage = await s.sendMessage(MC, 'must not leak', { persist: false });
    await held;
    assert.equal(wireOut.length, sent, 'nothing was sent after the contact ended the conversation');
    // The user ends theirs too; the held message is refused, never sent in the clear (the
    // last test checks mcabber never received it).
    const refused = s.waitFor('messageStatus', (e) => e.id === heldMessage.id && e.status === 'failed', 5000);
    await otr.end(MC);
    assert.equal(otr.state(MC), 'plaintext');
    await refused.catch(() => assert.fail('the held message was not refused'));
    assert.equal(wireOut.length, sent);
  });

  it('100 consecutive AKEs, started alternately by mcabber and by Padlock, all succeed on both sides', async () => {
    const N = 100;
    const t = performance.now();
    // Start from a running private conversation.
    const up = padlockState('private-verified');
    await otr.start(MC);
    await up;
    await mc.waitForOtrState(ALICE, 'encrypted');
    const mark = (await mc.buffer(ALICE)).length;

    let padlockAkes = 0;
    let lastError: string | undefined;
    const sub = s.on('message', (e) => {
      if (e.contact !== MC || e.message.direction !== 'system') return;
      if (/^Private conversation with mc@localhost (started|refreshed)/.test(e.message.text)) padlockAkes++;
      if (e.message.level === 'error') lastError = e.message.text;
    });
    const failures: string[] = [];
    const perAke: number[] = [];
    try {
      for (let i = 0; i < N; i++) {
        const ti = performance.now();
        const before = padlockAkes;
        lastError = undefined;
        const done = notice(/^Private conversation with mc@localhost (started|refreshed)/, 5000);
        const by = i % 2 === 0 ? 'mcabber' : 'Padlock';
        try {
          if (by === 'mcabber') {
            // "/otr start" on a running session: mcabber ends it (TLV 1) and sends a query.
            await mc.command(`/otr start ${ALICE}`);
          } else {
            await otr.end(MC);
            await otr.start(MC);
          }
          await done;
          // Checked on both sides: each decrypts a message under the new keys.
          await padlockToMc(`AKE ${i + 1} ✓ Padlock→mcabber`, 5000);
          await mcToPadlock(`AKE ${i + 1} ✓ mcabber→Padlock`, 5000);
          assert.equal(padlockAkes, before + 1, 'one AKE, one "started" notice');
          assert.ok(isPrivate(otr.state(MC)));
          assert.equal(lastError, undefined);
        } catch (e) {
          const info = await mc.otrInfo(ALICE).catch(() => undefined);
          failures.push(
            `AKE ${i + 1} (${by} started): ${String((e as Error).message).slice(0, 300)}; Padlock: ${otr.state(MC)}` +
              `${lastError ? ` ("${lastError}")` : ''}; mcabber: ${info ? `${info.state} (${info.auth})` : '?'}; last protocol messages: ${protocolLog.slice(-8).join(', ')}`,
          );
          break;
        }
        perAke.push(performance.now() - ti);
      }
    } finally {
      sub.dispose();
    }
    timings.akes = performance.now() - t;
    assert.deepEqual(failures, []);
    // mcabber's own count: one "channel established" per AKE (it drops to plaintext in between).
    const win = (await mc.buffer(ALICE)).slice(mark);
    const mcAkes = (win.match(/OTR: channel (re)?established/g) ?? []).length;
    perAke.sort((a, b) => a - b);
    const median = perAke[Math.floor(perAke.length / 2)]!;
    console.log(
      `[otr-interop] ${N} AKEs: Padlock counted ${padlockAkes}, mcabber counted ${mcAkes}; ` +
        `${Math.round(timings.akes)} ms in all, median ${median.toFixed(0)} ms, max ${perAke.at(-1)!.toFixed(0)} ms per AKE (incl. a message each way)`,
    );
    assert.equal(padlockAkes, N);
    assert.equal(mcAkes, N);
    assert.ok(!mc.history(ALICE).some((l) => l.text.includes('must not leak')), 'a message held after the contact ended the conversation reached them');
  });
});
