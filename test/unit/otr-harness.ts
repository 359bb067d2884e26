/**
 * Two OtrLayers back to back in memory: a fake account per side (the `OtrAccount` surface of
 * AccountSession, with the real OutgoingQueue) and a fake transport that delivers each body,
 * in order, to the other side's decode(). Tests can tamper with bodies in transit.
 */
import { before } from 'node:test';
import { Emitter } from '../../src/core/emitter';
import { generatePackedKey } from '../../src/core/otr/keys';
import { OutgoingQueue } from '../../src/core/queue';
import { OtrLayer, type OtrAccount, type OtrLayerOptions } from '../../src/core/otr/layer';
import { MemoryKeyStore, MemoryTagStore, MemoryTrustStore } from '../../src/core/otr/stores';
import type { Element } from '@xmpp/xml';

export interface Notice {
  contact: string;
  text: string;
  level: string;
  /** The button on the line, if any (e.g. 'authenticate', 'resendPrivate'). */
  action?: string;
  persist?: boolean;
}

interface FakeEvents {
  notice: Notice;
  received: { from: string; text: string; encrypted: boolean };
  wire: { to: string; body: string; extra: string[] };
  failed: { id: string; reason: string };
}

export class FakeAccount extends Emitter<FakeEvents> implements OtrAccount {
  readonly queue = new OutgoingQueue();
  peer?: FakeAccount;
  layer!: OtrLayer;
  readonly notices: Notice[] = [];
  readonly received: Array<{ from: string; text: string; encrypted: boolean }> = [];
  /** Every body that left this account (protocol and user messages). */
  readonly sent: Array<{ body: string; extra: string[] }> = [];
  /** Transit hook: return the bodies to deliver instead (empty array drops it). */
  tamper?: (body: string) => string[];
  private inbox: Promise<void> = Promise.resolve();
  online = true;
  private n = 0;

  constructor(
    readonly jid: string,
    readonly stores = { keys: new MemoryKeyStore(), trust: new MemoryTrustStore(), tags: new MemoryTagStore() },
  ) {
    super();
    this.queue.on('status', ({ id, status, error }) => {
      if (status === 'failed') this.emit('failed', { id, reason: error ?? '' });
    });
  }
  get id(): string {
    return this.jid;
  }

  attach(opts: Partial<OtrLayerOptions> = {}): OtrLayer {
    this.layer = new OtrLayer({ account: this, ...this.stores, policy: 'manual', ...opts });
    return this.layer;
  }

  system(contact: string, text: string, level: 'info' | 'warning' | 'error' = 'info', persist = true, action?: { command: string }): void {
    const n: Notice = { contact, text, level, persist, ...(action ? { action: action.command } : {}) };
    this.notices.push(n);
    this.emit('notice', n);
  }

  async sendWire(to: string, body: string, extra?: Element[]): Promise<void> {
    this.transmit(to, body, extra);
  }

  /** Awaited between encode() and the write of a queued message (see kickQueue). */
  beforeTransmit?: () => Promise<void>;

  kickQueue(): Promise<void> {
    return this.queue.flush(async (item) => {
      const enc = await this.layer.encode(item.to, item);
      if (enc === 'hold') return 'hold';
      try {
        // A real connection writes after an await or more (AccountSession.flush); tests can
        // hold the write here to let other traffic try to overtake it.
        await this.beforeTransmit?.();
        for (const b of enc.bodies) this.transmit(item.to, b, enc.extra);
      } finally {
        enc.sent?.();
      }
      return 'sent';
    }, () => false);
  }

  failQueued(id: string, reason: string): void {
    this.queue.fail(id, reason);
  }

  /** AccountSession.sendMessage: what "Resend privately" uses (requirePrivate holds it until encrypted). */
  async sendMessage(to: string, text: string, opts: { requirePrivate?: boolean } = {}): Promise<unknown> {
    const id = `${this.jid}-${++this.n}`;
    this.queue.enqueue({ id, to, text, ts: Date.now(), persist: false, ...(opts.requirePrivate ? { requirePrivate: true } : {}) });
    void this.kickQueue();
    return { id };
  }

  /** What the user does: write a message (goes through the queue and encode()). */
  send(to: string, text: string): string {
    const id = `${this.jid}-${++this.n}`;
    this.queue.enqueue({ id, to, text, ts: Date.now(), persist: false });
    void this.kickQueue();
    return id;
  }

  private transmit(to: string, body: string, extra?: Element[]): void {
    const names = (extra ?? []).map((e) => `${e.name}:${e.attrs.xmlns}`);
    this.sent.push({ body, extra: names });
    this.emit('wire', { to, body, extra: names });
    const peer = this.peer;
    if (!peer || !this.online) return;
    const bodies = this.tamper ? this.tamper(body) : [body];
    for (const b of bodies) peer.deliver(this.jid, b);
  }

  /** Delivery into this side, in order (like one XMPP stream). */
  deliver(from: string, body: string): Promise<void> {
    const p = this.inbox.then(async () => {
      await new Promise((r) => setImmediate(r));
      const dec = await this.layer.decode(from, `${from}/res`, body);
      if (dec) {
        const r = { from, text: dec.text, encrypted: (dec as { encrypted?: boolean }).encrypted ?? false };
        this.received.push(r);
        this.emit('received', r);
      }
    });
    this.inbox = p.catch(() => {});
    return p;
  }

  /** Resolves when everything delivered so far has been decoded. */
  idle(): Promise<void> {
    return this.inbox;
  }
}

export const ALICE = 'alice@example.org';
export const BOB = 'bob@example.org';

/** Alice and Bob, wired back to back, each with its own stores (keys pre-generated if given). */
export function pair(opts: { alice?: Partial<OtrLayerOptions>; bob?: Partial<OtrLayerOptions>; keys?: { alice?: string; bob?: string } } = {}) {
  const alice = new FakeAccount(ALICE);
  const bob = new FakeAccount(BOB);
  alice.peer = bob;
  bob.peer = alice;
  if (opts.keys?.alice) alice.stores.keys.keys.set(ALICE, opts.keys.alice);
  if (opts.keys?.bob) bob.stores.keys.keys.set(BOB, opts.keys.bob);
  alice.attach(opts.alice);
  bob.attach(opts.bob);
  return { alice, bob };
}

export function waitState(a: FakeAccount, contact: string, state: string, timeoutMs = 10_000): Promise<unknown> {
  if (a.layer.state(contact) === state) return Promise.resolve();
  return a.layer.waitFor('state', (e) => e.contact === contact && e.state === state, timeoutMs);
}

export function waitReceived(a: FakeAccount, text: string, timeoutMs = 10_000): Promise<{ from: string; text: string; encrypted: boolean }> {
  const hit = a.received.find((r) => r.text === text);
  if (hit) return Promise.resolve(hit);
  return a.waitFor('received', (r) => r.text === text, timeoutMs);
}

export function waitNotice(a: FakeAccount, re: RegExp, timeoutMs = 10_000): Promise<Notice> {
  const hit = a.notices.find((n) => re.test(n.text));
  if (hit) return Promise.resolve(hit);
  return a.waitFor('notice', (n) => re.test(n.text), timeoutMs);
}

/**
 * One long-term DSA key each for Alice and Bob, made once per test file (a `before` hook:
 * call this at the top level). Generating a key takes a while; the AKE does not care which.
 */
export function pairKeys(): { alice: string; bob: string } {
  const keys = { alice: '', bob: '' };
  before(async () => {
    [keys.alice, keys.bob] = await Promise.all([generatePackedKey(), generatePackedKey()]);
  });
  return keys;
}

/** `pair()`, then Alice starts OTR and both wait until the conversation is private (unverified). */
export async function privatePair(opts: Parameters<typeof pair>[0] = {}) {
  const p = pair(opts);
  const a = waitState(p.alice, BOB, 'private-unverified');
  const b = waitState(p.bob, ALICE, 'private-unverified');
  await p.alice.layer.start(BOB);
  await Promise.all([a, b]);
  return p;
}

/** An OTR v3 Data Message on the wire: "?OTR:AAMD…" (protocol version 3, message type 0x03). */
export function isDataMessage(body: string): boolean {
  return body.startsWith('?OTR:AAMD');
}

/** Sends `text` from `a` to `to` and resolves, once the peer has read it, with the data message it went as. */
export async function sendData(a: FakeAccount, to: string, text: string): Promise<string> {
  const from = a.sent.length;
  a.send(to, text);
  await waitReceived(a.peer!, text);
  return a.sent.slice(from).find((s) => isDataMessage(s.body))!.body;
}

/**
 * Sends `text` from `a` to `to` but holds its data message back in transit (as a server does
 * while the contact is offline); resolves with it, to be delivered later or never.
 */
export async function sendHeld(a: FakeAccount, to: string, text: string): Promise<string> {
  const tamper = a.tamper;
  a.tamper = (body) => (isDataMessage(body) ? [] : tamper ? tamper(body) : [body]);
  try {
    const wire = a.waitFor('wire', (w) => isDataMessage(w.body));
    a.send(to, text);
    return (await wire).body;
  } finally {
    a.tamper = tamper;
  }
}

/** The bytes of an encoded OTR message "?OTR:<base64>." (OTR v3 "Data types"). */
export function otrBytes(body: string): Buffer {
  return Buffer.from(body.slice(5, body.lastIndexOf('.')), 'base64');
}

/** The encoded form of OTR message bytes: "?OTR:<base64>.". */
export function otrMessage(bytes: Buffer): string {
  return `?OTR:${bytes.toString('base64')}.`;
}

/**
 * A data message's bytes, with where its fields start (OTR v3 "Data Message": protocol version
 * (2), type (1), sender and receiver instance tags (4+4), flags (1), sender and recipient keyids
 * (4+4), next D-H key (MPI, 4+len), top half of the counter (8), encrypted message (DATA, 4+len),
 * MAC (20), old MAC keys). Change `bytes` in place and encode them again with otrMessage().
 */
export function dataMessageFields(body: string): { bytes: Buffer; counterAt: number; encryptedAt: number } {
  const bytes = otrBytes(body);
  const mpiAt = 2 + 1 + 8 + 1 + 8;
  const counterAt = mpiAt + 4 + bytes.readUInt32BE(mpiAt);
  return { bytes, counterAt, encryptedAt: counterAt + 8 + 4 };
}
