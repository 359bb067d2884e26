/**
 * Off-the-Record messaging for one account: an `OtrLayer` sits in the AccountSession's message
 * path (`account.layer = otrLayer`, see ../account.ts `ChatLayer`) and keeps one OTR session
 * per contact (bare JID), on the `otr` library (patched: patches/otr+0.2.16.patch).
 *
 * Protocol: OTR v3 with instance tags, v2 accepted (https://otr.cypherpunks.ca/Protocol-v3-4.1.1.html).
 * Section names cited below are that document's.
 *
 *   user text → queue → encode(): encrypt | plaintext (+ whitespace tag) | hold
 *   <message/> → decode(): decrypted text | plaintext | null (protocol message)
 *   AKE, SMP, query, disconnect → account.sendWire() (outside the user's queue)
 *
 * Nothing here depends on VS Code. No key material and no message text is ever logged.
 */
import { randomInt } from 'node:crypto';
import { xml } from '@xmpp/client';
import type { Element } from '@xmpp/xml';
import { Emitter } from '../emitter';
import { type Logger, clip, nullLogger } from '../log';
import type { DecodeResult, EncodeResult } from '../account';
import type { OutgoingItem } from '../queue';
import type { MessageView } from '../../shared/protocol';

/** A button on a chat notice ("Authenticate Ada"), run by the host. */
export type SystemLineAction = NonNullable<MessageView['action']>;
import { NS_CARBONS, NS_HINTS } from '../stanzas';
import { formatFingerprint, normalizeFingerprint } from './fingerprint';
import { generatePackedKey, parsePackedKey } from './keys';
import { CONST, OTR, type DsaKey, type OtrInstance } from './lib';
import { type OtrPolicy, type OtrState, type OutgoingDecision, decideOutgoing, isPrivate, libraryFlags } from './policy';
import type { KeyStore, KnownFingerprint, TagStore, TrustStore } from './stores';

/** The parts of AccountSession the layer uses (a fake implements it in unit tests). */
export interface OtrAccount {
  readonly id: string;
  readonly jid: string;
  sendWire(to: string, body: string, extra?: Element[]): Promise<void>;
  kickQueue(): Promise<void>;
  failQueued(id: string, reason: string): void;
  system(contact: string, text: string, level?: 'info' | 'warning' | 'error', persist?: boolean, action?: SystemLineAction): unknown;
  /** Writes a message as the user would; `requirePrivate` makes it go out encrypted or not at all. */
  sendMessage(contact: string, text: string, opts: { requirePrivate?: boolean }): Promise<unknown>;
  readonly queue: { pending(): readonly OutgoingItem[] };
}

export interface OtrLayerOptions {
  account: OtrAccount;
  keys: KeyStore;
  trust: TrustStore;
  tags: TagStore;
  /** Global default policy (default 'opportunistic'); per-contact overrides with setPolicy(). */
  policy?: OtrPolicy;
  logger?: Logger;
  /** Name shown in notices (default: the bare JID). */
  displayName?: (contact: string) => string;
  /**
   * Characters per fragment (OTR v3 "Fragmentation"). 4000 keeps every stanza far below
   * server limits (Prosody's default c2s stanza limit is 256 KiB; libotr clients accept any).
   */
  fragmentSize?: number;
  /** How long a requested private conversation may take to start before we give up (default 30 s). */
  startTimeoutMs?: number;
}

export type SmpKind = 'asked' | 'inProgress' | 'succeeded' | 'failed' | 'aborted';

export interface SmpEvent {
  contact: string;
  /** asked: they asked us (answer with smpRespond); inProgress: a step was sent; then one of the results. */
  kind: SmpKind;
  initiatedBy: 'us' | 'them';
  /** Their question (kind 'asked', and results of a run they started with a question). */
  question?: string;
  /** For 'aborted': who stopped it (a protocol error counts as 'them'). */
  abortedBy?: 'us' | 'them';
}

export interface OtrEvents {
  state: { contact: string; state: OtrState; previous: OtrState };
  smp: SmpEvent;
  /** A fingerprint of the contact we had not seen: 'new' (first ever) or 'changed' (they had another). */
  fingerprint: { contact: string; fingerprint: string; formatted: string; kind: 'new' | 'changed' };
  /**
   * Our recent private messages (queue ids) that the contact's client possibly could not read:
   * it answered with an OTR Error, or a new instance of it started a new AKE. Offered again
   * with resendUnread().
   */
  unread: { contact: string; ids: string[] };
  /** Own key generation (first use, or regenerateKey()). */
  key: { state: 'generating' | 'ready' | 'failed'; fingerprint?: string };
}

/** XEP-0364 §3 (with XEP-0280 §6 and XEP-0334 §4): OTR messages are not carbon-copied or archived. */
export function otrHints(): Element[] {
  return [xml('private', { xmlns: NS_CARBONS }), xml('no-copy', { xmlns: NS_HINTS }), xml('no-permanent-store', { xmlns: NS_HINTS })];
}

/** Largest reassembled message we accept (a 64 KB message is ~350 KB on the wire after base64). */
const MAX_REASSEMBLY = 1024 * 1024;

/** OTR v3 "Query Messages": the query may be followed by text for clients without OTR. */
const QUERY_EXPLANATION = (me: string) =>
  `\n${me} has requested an Off-the-Record private conversation. However, you do not have a plugin to support that.\nSee https://otr.cypherpunks.ca/ for more information.`;

/**
 * Private messages we keep (in memory only) until the contact shows it can read them, so they
 * can be offered again if it could not: at most this many, sent at most this long ago.
 */
const MAX_UNCONFIRMED = 20;
const UNCONFIRMED_WINDOW_MS = 10 * 60_000;

interface SentPrivate {
  id: string;
  text: string;
  at: number;
}

const WHITESPACE_BASE = CONST.WHITESPACE_TAG;
const WHITESPACE_FULL = CONST.WHITESPACE_TAG + CONST.WHITESPACE_TAG_V3 + CONST.WHITESPACE_TAG_V2;

interface Collected {
  ui: Array<{ text: string; encrypted: boolean }>;
  errors: Array<{ text: string; severity: string }>;
  newInstance: boolean;
}

interface Session {
  contact: string;
  otr: OtrInstance;
  state: OtrState;
  /** Fingerprint (lowercase hex) of the current private conversation's key. */
  theirFp?: string;
  known: KnownFingerprint[];
  smp?: { initiatedBy: 'us' | 'them'; question?: string; awaitingAnswer: boolean };
  abortingSmp?: boolean;
  startTimer?: NodeJS.Timeout;
  /** Bounds how long messages wait for an AKE that runs while private. */
  akeTimer?: NodeJS.Timeout;
  /** A hold notice was shown since the state last changed (one notice, not one per message). */
  holdNoticeShown?: boolean;
  /** Collects the library's synchronous events during one receiveMsg(). */
  collect?: Collected;
  /** Outgoing protocol messages, in order. */
  wire: Promise<void>;
  decodeChain: Promise<unknown>;
  /** The last AKE was started while already private (a refresh). */
  refreshing?: boolean;
  /**
   * When we sent the query of the current attempt (ask once per attempt, not once per held
   * message). Cleared whenever the state moves on (setState): a new attempt (after an end, a
   * timeout, or a conversation lost again) must ask again, or held messages wait forever.
   */
  queriedAt?: number;
  /**
   * Private messages sent since the contact last showed it can read this conversation (a data
   * message from them that decrypted). An XEP-0184 receipt does not count: it says their
   * client received the stanza, not that it could decrypt it (a restarted libotr client
   * acknowledges the stanza and then answers with an OTR Error).
   */
  unconfirmed: SentPrivate[];
  /** Messages the contact possibly could not read, waiting for the user's "Resend privately". */
  unread: SentPrivate[];
  /** The contact's instance tag last seen in an OTR v3 message (0: none yet). */
  theirTag: number;
}

export class OtrLayer extends Emitter<OtrEvents> {
  private readonly account: OtrAccount;
  private readonly log: Logger;
  private readonly sessions = new Map<string, Session>();
  private readonly pendingSessions = new Map<string, Promise<Session>>();
  private readonly policies = new Map<string, OtrPolicy>();
  /** Contacts (without a session) who wrote plaintext without a whitespace tag: no OTR there. */
  private readonly plainContacts = new Set<string>();
  private defaultPolicy: OtrPolicy;
  private key?: DsaKey;
  private keyPromise?: Promise<DsaKey>;
  private instanceTag?: number;
  private readonly ready: Promise<void>;
  private readonly fragmentSize: number;
  private readonly startTimeoutMs: number;
  private disposed = false;

  constructor(private readonly opts: OtrLayerOptions) {
    super();
    this.account = opts.account;
    this.log = opts.logger ?? nullLogger;
    this.defaultPolicy = opts.policy ?? 'opportunistic';
    this.fragmentSize = opts.fragmentSize ?? 4000;
    this.startTimeoutMs = opts.startTimeoutMs ?? 30_000;
    this.ready = this.init();
    this.ready.catch((e) => this.log.error(`[otr ${this.account.jid}] init failed: ${String((e as Error)?.message ?? e)}`));
  }

  private async init(): Promise<void> {
    // OTR v3 "Instance Tags": a random tag >= 0x100, kept for the account.
    let tag = await this.opts.tags.load(this.account.id);
    if (!Number.isInteger(tag) || tag! < 0x100 || tag! > 0xffffffff) {
      tag = randomInt(0x100, 0xffffffff);
      await this.opts.tags.save(this.account.id, tag);
    }
    this.instanceTag = tag;
    const packed = await this.opts.keys.load(this.account.id);
    if (packed) {
      try {
        this.key = parsePackedKey(packed);
      } catch {
        this.log.error(`[otr ${this.account.jid}] the stored private key is unreadable; a new one will be made when needed`);
      }
    }
  }

  /** Resolves once the instance tag and a stored key (if any) are loaded. */
  whenReady(): Promise<void> {
    return this.ready;
  }

  // -- keys ---------------------------------------------------------------------------------

  /** Own fingerprint (formatted), or undefined before a key exists. */
  ownFingerprint(): string | undefined {
    return this.key ? formatFingerprint(this.key.fingerprint()) : undefined;
  }

  hasKey(): boolean {
    return !!this.key;
  }

  /** Loads or generates the account's key; returns its formatted fingerprint. */
  async ensureKey(): Promise<string> {
    await this.ready;
    if (this.key) return formatFingerprint(this.key.fingerprint());
    const key = await this.generate();
    return formatFingerprint(key.fingerprint());
  }

  /**
   * A new key for the account. Every private conversation is ended first (their clients will
   * see a new fingerprint next time, OTR v3 "Fingerprints").
   */
  async regenerateKey(): Promise<string> {
    await this.ready;
    await this.endAll();
    this.key = undefined;
    this.keyPromise = undefined;
    const key = await this.generate();
    return formatFingerprint(key.fingerprint());
  }

  /** Replaces the key with an imported one (packed form from DsaKey.packPrivate / export). */
  async importKey(packed: string): Promise<string> {
    const key = parsePackedKey(packed);
    await this.ready;
    await this.endAll();
    await this.opts.keys.save(this.account.id, packed);
    this.key = key;
    this.keyPromise = undefined;
    this.emit('key', { state: 'ready', fingerprint: formatFingerprint(key.fingerprint()) });
    return formatFingerprint(key.fingerprint());
  }

  private generate(): Promise<DsaKey> {
    if (this.keyPromise) return this.keyPromise;
    this.emit('key', { state: 'generating' });
    const p = (async () => {
      try {
        const packed = await generatePackedKey();
        const key = parsePackedKey(packed);
        await this.opts.keys.save(this.account.id, packed);
        this.key = key;
        this.emit('key', { state: 'ready', fingerprint: formatFingerprint(key.fingerprint()) });
        return key;
      } catch (e) {
        this.keyPromise = undefined;
        this.emit('key', { state: 'failed' });
        throw e;
      }
    })();
    this.keyPromise = p;
    return p;
  }

  private async endAll(): Promise<void> {
    for (const s of [...this.sessions.values()]) {
      if (s.otr.msgstate !== CONST.MSGSTATE_PLAINTEXT) this.endSession(s, false);
      await s.wire;
      this.teardown(s);
    }
    this.sessions.clear();
  }

  // -- policy -------------------------------------------------------------------------------

  setDefaultPolicy(policy: OtrPolicy): void {
    this.defaultPolicy = policy;
    for (const s of this.sessions.values()) this.applyPolicy(s);
  }

  /** Per-contact policy; undefined returns the contact to the global default. */
  setPolicy(contact: string, policy: OtrPolicy | undefined): void {
    if (policy) this.policies.set(contact, policy);
    else this.policies.delete(contact);
    const s = this.sessions.get(contact);
    if (s) this.applyPolicy(s);
  }

  policyFor(contact: string): OtrPolicy {
    return this.policies.get(contact) ?? this.defaultPolicy;
  }

  private applyPolicy(s: Session): void {
    Object.assign(s.otr, libraryFlags(this.policyFor(s.contact)));
  }

  // -- state --------------------------------------------------------------------------------

  state(contact: string): OtrState {
    return this.sessions.get(contact)?.state ?? 'plaintext';
  }

  /** Fingerprint (formatted) of the contact's key in the current or last private conversation. */
  theirFingerprint(contact: string): string | undefined {
    const fp = this.sessions.get(contact)?.theirFp;
    return fp ? formatFingerprint(fp) : undefined;
  }

  /** OTR protocol version of the current private conversation (2 or 3). */
  protocolVersion(contact: string): 2 | 3 | undefined {
    const s = this.sessions.get(contact);
    if (!s || !isPrivate(s.state)) return undefined;
    return s.otr.ake.otr_version === CONST.OTR_VERSION_2 ? 2 : 3;
  }

  async knownFingerprints(contact: string): Promise<KnownFingerprint[]> {
    return this.opts.trust.load(this.account.id, contact);
  }

  /** Manual fingerprint comparison ("I have / have not verified"); remembered per contact and fingerprint. */
  async setVerified(contact: string, fingerprint: string, verified: boolean): Promise<void> {
    const fp = normalizeFingerprint(fingerprint);
    if (!fp) throw new Error('Not a fingerprint (40 hexadecimal digits).');
    const s = this.sessions.get(contact);
    const list = s ? s.known : await this.opts.trust.load(this.account.id, contact);
    const entry = list.find((f) => f.fingerprint === fp);
    if (entry) entry.verified = verified;
    else list.push({ fingerprint: fp, verified });
    await this.opts.trust.save(this.account.id, contact, list);
    if (s && s.theirFp === fp && isPrivate(s.state)) this.setState(s, verified ? 'private-verified' : 'private-unverified');
  }

  /** Forget a fingerprint entirely (the "Known fingerprints" list). */
  async forgetFingerprint(contact: string, fingerprint: string): Promise<void> {
    const fp = normalizeFingerprint(fingerprint);
    const s = this.sessions.get(contact);
    const list = (s ? s.known : await this.opts.trust.load(this.account.id, contact)).filter((f) => f.fingerprint !== fp);
    if (s) s.known = list;
    await this.opts.trust.save(this.account.id, contact, list);
    if (s && s.theirFp === fp && s.state === 'private-verified') this.setState(s, 'private-unverified');
  }

  // -- user actions -------------------------------------------------------------------------

  /** Start a private conversation: send an OTR query (OTR v3 "Query Messages"). */
  async start(contact: string): Promise<void> {
    const s = await this.session(contact);
    if (isPrivate(s.state)) return;
    this.sendQuery(s);
  }

  /** Refresh: a new AKE in place of the current one (or a start). */
  async refresh(contact: string): Promise<void> {
    const s = await this.session(contact);
    s.refreshing = isPrivate(s.state);
    this.sendQuery(s);
  }

  /** End the private conversation (sends the "Disconnected" TLV type 1 if it is up). */
  async end(contact: string): Promise<void> {
    const s = this.sessions.get(contact);
    if (!s) return;
    this.endSession(s, true);
  }

  /** SMP with a question (OTR v3 "Socialist Millionaires' Protocol", TLV type 7). */
  async smpQuestion(contact: string, question: string, answer: string): Promise<void> {
    this.smpStart(contact, answer, question);
  }

  /** SMP with a secret both sides know (TLV type 2). */
  async smpSecret(contact: string, secret: string): Promise<void> {
    this.smpStart(contact, secret, undefined);
  }

  /** Answer their SMP request (with or without a question). */
  async smpRespond(contact: string, answer: string): Promise<void> {
    const s = this.requirePrivate(contact);
    if (!s.smp || s.smp.initiatedBy !== 'them' || !s.smp.awaitingAnswer) throw new Error('There is no authentication request to answer.');
    if (typeof answer !== 'string' || !answer) throw new Error('The answer is empty.');
    s.smp.awaitingAnswer = false;
    this.emit('smp', { contact, kind: 'inProgress', initiatedBy: 'them', question: s.smp.question });
    this.guard(s, () => s.otr.smpSecret(answer));
  }

  /** Abort a running SMP (TLV type 6). */
  async smpAbort(contact: string): Promise<void> {
    const s = this.sessions.get(contact);
    if (!s?.smp) return;
    const smp = s.smp;
    s.smp = undefined;
    if (s.otr.sm && isPrivate(s.state)) {
      s.abortingSmp = true;
      try {
        this.guard(s, () => s.otr.sm!.abort());
      } finally {
        s.abortingSmp = false;
      }
    }
    this.emit('smp', { contact, kind: 'aborted', initiatedBy: smp.initiatedBy, question: smp.question, abortedBy: 'us' });
    this.notice(s, 'Authentication aborted.', 'info');
  }

  private smpStart(contact: string, secret: string, question: string | undefined): void {
    const s = this.requirePrivate(contact);
    if (typeof secret !== 'string' || !secret) throw new Error('The secret is empty.');
    if (s.smp && s.otr.sm) {
      // A run in progress (theirs or ours) is aborted first: the library restarts too.
      const old = s.smp;
      s.abortingSmp = true;
      try {
        this.guard(s, () => s.otr.sm!.abort());
      } finally {
        s.abortingSmp = false;
      }
      this.emit('smp', { contact, kind: 'aborted', initiatedBy: old.initiatedBy, question: old.question, abortedBy: 'us' });
    }
    s.smp = { initiatedBy: 'us', question: question || undefined, awaitingAnswer: false };
    this.guard(s, () => s.otr.smpSecret(secret, question || undefined));
    this.emit('smp', { contact, kind: 'inProgress', initiatedBy: 'us', question: question || undefined });
  }

  private requirePrivate(contact: string): Session {
    const s = this.sessions.get(contact);
    if (!s || !isPrivate(s.state)) throw new Error(`There is no private conversation with ${this.name(contact)}.`);
    return s;
  }

  /**
   * The contact became available (RFC 6121 §4.2 presence). A query sent while they were away
   * may never reach them (or only from offline storage, after its start timed out here): for
   * messages waiting for a private conversation, ask again now instead of leaving them stuck.
   */
  contactAvailable(contact: string): void {
    const s = this.sessions.get(contact);
    if (!s || this.disposed || isPrivate(s.state) || s.state === 'finished') return;
    // An AKE is already running with them: it will finish (or time out) on its own.
    if (s.otr.authstate !== CONST.AUTHSTATE_NONE) return;
    if (!this.account.queue.pending().some((i) => i.to === contact)) return;
    s.queriedAt = undefined;
    // 'starting' holds without asking (see decideOutgoing): ask here. In 'plaintext' (a start
    // that timed out) or 'lost', encode() asks when the policy wants it.
    if (s.state === 'starting') this.sendQuery(s);
    void this.account.kickQueue().catch(() => {});
  }

  // -- ChatLayer ----------------------------------------------------------------------------

  /**
   * Whether a message written now to `contact` can only go out encrypted (it is private now, or
   * held until it can be): the user asked for privacy, so it is treated as private (not
   * logged unless the user wants that, never persisted in plaintext).
   */
  willEncrypt(contact: string): boolean {
    const s = this.sessions.get(contact);
    return decideOutgoing(this.policyFor(contact), s?.state ?? 'plaintext', s ? s.otr.receivedPlaintext : this.plainContacts.has(contact)).action !== 'plaintext';
  }

  /**
   * Plaintext is decided without waiting (no session needed, or one in plaintext state): the
   * result is returned as is, so the queue writes it in the same turn (an `await` would put the
   * write behind the connection's other work on the read being handled). An encrypted or held
   * message goes through `encodeAsync`; under the 'required' policy a session comes first.
   */
  encode(contact: string, item: OutgoingItem): EncodeResult | Promise<EncodeResult> {
    const s = this.sessions.get(contact);
    if (!s && this.policyFor(contact) === 'required') return this.session(contact).then((sess) => this.encodeFor(contact, item, sess));
    return this.encodeFor(contact, item, s);
  }

  private encodeFor(contact: string, item: OutgoingItem, s: Session | undefined): EncodeResult | Promise<EncodeResult> {
    const decision = decideOutgoing(this.policyFor(contact), s?.state ?? 'plaintext', s ? s.otr.receivedPlaintext : this.plainContacts.has(contact), item.requirePrivate === true);
    if (decision.action === 'plaintext') return { bodies: [decision.whitespaceTag ? item.text + WHITESPACE_FULL : item.text] };
    return this.encodeAsync(contact, item, s, decision);
  }

  private async encodeAsync(contact: string, item: OutgoingItem, s: Session | undefined, decision: Exclude<OutgoingDecision, { action: 'plaintext' }>): Promise<EncodeResult> {
    switch (decision.action) {
      case 'encrypt': {
        const sess = s!;
        // AKE messages already written must be on the wire before data that depends on them.
        await sess.wire;
        if (!isPrivate(sess.state) || sess.otr.msgstate !== CONST.MSGSTATE_ENCRYPTED) return 'hold';
        if (sess.otr.authstate !== CONST.AUTHSTATE_NONE) {
          // A new AKE is running (a refresh, or a new instance of the contact answering a
          // query): data under the old keys may be unreadable for them. Wait for it (ms),
          // or for the timeout, after which the current session is used again.
          this.armAkeTimer(sess);
          return 'hold';
        }
        // The library takes latin1 "byte strings" (OTR v3 "Data Message": the message is UTF-8).
        const bytes = Buffer.from(item.text, 'utf8').toString('latin1');
        const errors: string[] = [];
        const onError = (text: string) => void errors.push(text);
        sess.otr.on('error', onError);
        let wire: string | string[] | undefined;
        try {
          wire = sess.otr.prepareMsg(bytes);
        } catch (e) {
          errors.push(String((e as Error)?.message ?? e));
        } finally {
          sess.otr.off('error', onError);
        }
        if (!wire) {
          this.account.failQueued(item.id, `Not sent: the message could not be encrypted (${errors[0] ?? 'unknown error'}).`);
          return 'hold';
        }
        this.rememberSent(sess, item);
        // Keep this message's place on the wire: protocol messages the library encrypts from
        // now on (heartbeats, SMP, disconnect: data messages too, with higher counters) wait
        // until the queue has written it. Otherwise one could overtake it, and the receiver
        // refuses the older counter ("Counter in message is not larger", OTR v3 "Data Message":
        // the top half of the counter must increase).
        let sent!: () => void;
        const slot = new Promise<void>((resolve) => (sent = resolve));
        sess.wire = sess.wire.then(() => slot);
        return { bodies: Array.isArray(wire) ? wire : [wire], extra: otrHints(), sent };
      }
      case 'hold': {
        const sess = s ?? (await this.session(contact));
        // Ask once per attempt, not once per held message.
        const asked = sess.queriedAt !== undefined && Date.now() - sess.queriedAt < this.startTimeoutMs;
        if (decision.start && sess.state !== 'starting' && !asked) this.sendQuery(sess);
        if (!sess.holdNoticeShown && decision.notice) {
          sess.holdNoticeShown = true;
          const n = this.name(contact);
          if (decision.notice === 'finished')
            this.notice(sess, `Your message was not sent: ${n} has ended the private conversation. End or refresh yours; the message waits until then.`, 'warning');
          else if (decision.notice === 'lost')
            this.notice(sess, `Your message waits: the private conversation with ${n} was lost. Refresh it to start again, or end it.`, 'warning');
          else this.notice(sess, `Your message waits until the private conversation with ${n} has started.`, 'info');
        }
        return 'hold';
      }
    }
  }

  /** Plain text with no session is passed on without waiting (see `encode`); the rest is async. */
  decode(contact: string, _fromFull: string, body: string): DecodeResult | Promise<DecodeResult> {
    const otrish = body.includes('?OTR') || body.includes(WHITESPACE_BASE);
    let s = this.sessions.get(contact);
    const policy = this.policyFor(contact);
    if (!s && !otrish) {
      // Plain text from a contact with no OTR session: nothing to do (but say so under 'required').
      if (policy === 'required') this.account.system(contact, `The message from ${this.name(contact)} was not encrypted.`, 'warning');
      this.plainContacts.add(contact);
      return { text: body, encrypted: false };
    }
    if (!s && policy === 'manual' && !/\?OTR/.test(body)) {
      // Whitespace tag but we do not start on our own: show the text without the tag.
      return { text: stripWhitespaceTags(body), encrypted: false };
    }
    return this.decodeAsync(contact, s, body);
  }

  private async decodeAsync(contact: string, existing: Session | undefined, body: string): Promise<DecodeResult> {
    let s = existing;
    try {
      s ??= await this.session(contact);
    } catch (e) {
      this.account.system(contact, `A message from ${this.name(contact)} could not be handled: ${String((e as Error)?.message ?? e)}`, 'error');
      return null;
    }
    const sess = s;
    // One message at a time per contact: the library's state machine is not reentrant.
    const run = sess.decodeChain.then(() => this.decodeOne(sess, body));
    sess.decodeChain = run.catch(() => {});
    return run;
  }

  private decodeOne(s: Session, body: string): { text: string; encrypted: boolean } | null {
    const name = this.name(s.contact);
    const otr = s.otr;
    const wasPrivate = otr.msgstate === CONST.MSGSTATE_ENCRYPTED;
    const frag = parseFragmentHeader(body);
    const before = { k: otr.fragment.k, n: otr.fragment.n ?? 0 };
    const theirError = /\?OTR Error:/.test(body);
    // A D-H Commit that answers our own query (a refresh or start) is no sign of a restart.
    const weAsked = !!s.refreshing || s.queriedAt !== undefined;
    // A reassembled fragment run must be an OTR message too.
    const looksEncoded = /\?OTR:[A-Za-z0-9+/=]/.test(body) || !!frag;
    if (frag && (otr.fragment.s?.length ?? 0) + body.length > MAX_REASSEMBLY) {
      // OTR v3 "Fragmentation": bounded reassembly (a 64 KB message needs ~350 KB).
      otr.fragment = { s: '', k: 0, n: 0 };
      this.notice(s, `A private message from ${name} was too large and was discarded.`, 'error');
      return null;
    }

    const c: Collected = { ui: [], errors: [], newInstance: false };
    s.collect = c;
    try {
      otr.receiveMsg(body);
    } catch (e) {
      // A library bug on hostile input must not take the account down; the message is reported.
      c.errors.push({ text: `internal error (${clip(String((e as Error)?.message ?? e), 80)})`, severity: 'error' });
      this.log.warn(`[otr ${this.account.jid}] receiveMsg threw: ${clip(String((e as Error)?.stack ?? e), 300)}`);
    } finally {
      s.collect = undefined;
    }

    // OTR v3 "Fragmentation": bounded reassembly, and incomplete messages are reported.
    if (before.k > 0 && before.k < before.n) {
      const continued = frag && frag.n === before.n && frag.k === before.k + 1;
      if (!continued) this.notice(s, `A long private message from ${name} arrived incomplete and was discarded.`, 'warning');
    } else if (frag && frag.k > 1 && otr.fragment.k === 0) {
      this.notice(s, `Part of a long private message from ${name} arrived without its beginning and was discarded.`, 'warning');
    } else if (body.startsWith('?OTR|') || body.startsWith('?OTR,')) {
      if (!frag) this.notice(s, `A damaged part of a private message from ${name} was discarded.`, 'warning');
    }

    if (c.newInstance && wasPrivate && s.state !== 'lost') {
      this.notice(s, `${name} is starting a new private conversation from another client (or restarted theirs); the previous one is over.`, 'warning');
      this.setState(s, 'lost');
    }

    for (const err of c.errors) {
      if (theirError) {
        // OTR v3 "Error Messages": show it; ERROR_START_AKE (opportunistic/required) re-queries.
        const text = clip(err.text.replace(/[\u0000-\u001f]/g, ' ').trim(), 200) || 'no details';
        this.notice(s, `${name}'s client reports an OTR error: ${text}`, 'error');
        if (isPrivate(s.state)) this.setState(s, 'lost');
      } else if (/different session/.test(err.text)) {
        if (looksEncoded && /\?OTR:AAMD/.test(body)) this.notice(s, `A private message from ${name} was meant for another session of theirs and could not be read.`, 'warning');
        else this.log.debug(`[otr ${this.account.jid}] ignored an OTR message for another instance`);
      } else if (/unencrypted/.test(err.text)) {
        // handled below with the text itself
      } else if (/^(Illegal|Hashed|Cannot verify)/.test(err.text) || (/MACs do not match/.test(err.text) && /\?OTR:AA[IM][CKRS]/.test(body))) {
        this.notice(s, `The private conversation with ${name} could not be started: ${err.text}`, 'error');
      } else {
        this.notice(s, `A private message from ${name} could not be decrypted (${err.text.replace(/\.$/, '')}).`, 'error');
      }
    }

    // OTR v3 "Receiving a Data Message": a data message that decrypted (with text, or an empty
    // heartbeat) shows their client holds this conversation's keys: what we sent before it
    // was readable to them.
    const dataMessage = /^\?OTR:AA[IM]D/.test(body) || (!!frag && c.ui.some((u) => u.encrypted));
    if (c.errors.length === 0 && (dataMessage || c.ui.some((u) => u.encrypted))) s.unconfirmed = [];
    // OTR v3 "Error Messages": a client that receives a Data Message it cannot decrypt answers
    // with an OTR Error (libotr: "You transmitted an unreadable encrypted message"; ours: "An
    // OTR error has occurred"); a contact that restarted may instead start a new AKE from a new
    // instance tag ("Instance Tags"). Either way our recent messages were possibly never read.
    // A query from them resets the library's tag to 0 ("not yet known") and the AKE that
    // follows sets the new one without an 'instance' event: compare with the last one seen.
    const tag = instanceTagOf(otr.their_instance_tag);
    const tagChanged = tag !== 0 && s.theirTag !== 0 && tag !== s.theirTag;
    if (tag) s.theirTag = tag;
    // libotr only sends that error if the application provides its text (otr_error_message):
    // mcabber 1.1.2 does not, it just tells its user "Message lost"; that user then starts a
    // new private conversation. A new AKE from them while ours is up is therefore a sign too
    // (a query or a D-H Commit; from the same instance tag if their client keeps it on disk).
    const theyRestart = wasPrivate && !weAsked && (/^\?OTRv\d*\?/.test(body) || /^\?OTR:AA[IM]C/.test(body));
    if (theirError) this.markUnread(s, 'error');
    else if (c.newInstance || tagChanged || theyRestart) this.markUnread(s, 'restart');

    let out: { text: string; encrypted: boolean } | null = null;
    for (const ui of c.ui) {
      if (ui.encrypted) {
        out = { text: ui.text, encrypted: true };
        continue;
      }
      if (looksEncoded || ui.text.startsWith('?OTR')) {
        // The library hands damaged OTR messages (no trailing ".", unknown type, bad
        // version) back as plaintext: report them instead of showing base64 noise.
        this.notice(s, `A private message from ${name} arrived damaged and could not be read.`, 'error');
        continue;
      }
      if (isPrivate(s.state) || s.state === 'finished') {
        this.notice(s, `${name} sent a message that was not encrypted, although your conversation is private. They may have restarted their client.`, 'warning');
        if (isPrivate(s.state)) this.setState(s, 'lost');
      } else if (this.policyFor(s.contact) === 'required') {
        this.notice(s, `The message from ${name} was not encrypted.`, 'warning');
      }
      out = { text: ui.text, encrypted: false };
    }
    return out;
  }

  // -- messages the contact could not read ---------------------------------------------------

  private rememberSent(s: Session, item: OutgoingItem): void {
    const now = Date.now();
    s.unconfirmed = s.unconfirmed.filter((m) => now - m.at < UNCONFIRMED_WINDOW_MS && m.id !== item.id);
    s.unconfirmed.push({ id: item.id, text: item.text, at: now });
    if (s.unconfirmed.length > MAX_UNCONFIRMED) s.unconfirmed.splice(0, s.unconfirmed.length - MAX_UNCONFIRMED);
  }

  private markUnread(s: Session, why: 'error' | 'restart'): void {
    const now = Date.now();
    const lost = s.unconfirmed.filter((m) => now - m.at < UNCONFIRMED_WINDOW_MS);
    s.unconfirmed = [];
    if (!lost.length) return;
    const ids = new Set(s.unread.map((m) => m.id));
    s.unread.push(...lost.filter((m) => !ids.has(m.id)));
    if (s.unread.length > MAX_UNCONFIRMED) s.unread.splice(0, s.unread.length - MAX_UNCONFIRMED);
    const name = this.name(s.contact);
    const n = s.unread.length;
    const what = n === 1 ? 'your last private message' : `your last ${n} private messages`;
    const it = n === 1 ? 'it' : 'them';
    const text =
      why === 'error'
        ? `${name} could not read ${what} (even if shown as delivered: their client received ${it} but could not decrypt ${it}, e.g. after a restart).`
        : `${name} started a new private conversation (their client may have restarted): ${what} may not have been readable for them, even if shown as delivered.`;
    // Not written to history (persist false): the texts it offers to resend live in memory
    // only, so after a restart the line's button would have nothing to send.
    try {
      this.account.system(
        s.contact,
        `${text} Resend privately sends ${it} again in a new private conversation.`,
        'warning',
        false,
        { label: 'Resend privately', command: 'resendPrivate' },
      );
    } catch (e) {
      this.log.warn(`[otr ${this.account.jid}] notice failed: ${String(e)}`);
    }
    this.emit('unread', { contact: s.contact, ids: s.unread.map((m) => m.id) });
  }

  /** Messages the contact possibly could not read, not yet resent (queue/message ids). */
  unreadMessages(contact: string): string[] {
    return (this.sessions.get(contact)?.unread ?? []).map((m) => m.id);
  }

  /**
   * "Resend privately": the messages the contact could not read go out again, encrypted only.
   *
   * Why the user chooses, and it is not automatic after the next AKE: the new private
   * conversation may be with a key we do not know ("unrecognised computer", or someone else
   * entirely), and a message written for a verified contact must not go there without the
   * user seeing that first; the contact may have read some of them after all (we only know
   * "possibly"), and the user may not want them sent late, out of context. They are never
   * sent in plaintext: `requirePrivate` holds them until a new private conversation is up
   * (OTR v3: a lost or finished conversation is refreshed with a new AKE first).
   */
  async resendUnread(contact: string): Promise<number> {
    const s = this.sessions.get(contact);
    const list = s?.unread ?? [];
    if (!s || !list.length) throw new Error(`There are no messages to ${this.name(contact)} to resend.`);
    s.unread = [];
    if (!isPrivate(s.state) && s.state !== 'starting') {
      s.refreshing = false;
      this.sendQuery(s);
    }
    for (const m of list) await this.account.sendMessage(contact, m.text, { requirePrivate: true });
    return list.length;
  }

  // -- sessions -----------------------------------------------------------------------------

  private async session(contact: string): Promise<Session> {
    const existing = this.sessions.get(contact);
    if (existing) return existing;
    let p = this.pendingSessions.get(contact);
    if (!p) {
      p = this.createSession(contact).finally(() => this.pendingSessions.delete(contact));
      this.pendingSessions.set(contact, p);
    }
    return p;
  }

  private async createSession(contact: string): Promise<Session> {
    await this.ready;
    if (this.disposed) throw new Error('The OTR layer was closed.');
    const key = this.key ?? (await this.generate());
    const known = await this.opts.trust.load(this.account.id, contact);
    const tag = Buffer.alloc(4);
    tag.writeUInt32BE(this.instanceTag!);
    const otr = new OTR({ priv: key, instance_tag: tag.toString('latin1'), fragment_size: this.fragmentSize, send_interval: 0 });
    otr.ALLOW_V2 = true;
    otr.ALLOW_V3 = true;
    // We add the whitespace tag ourselves (encode), so the library never sends plaintext.
    otr.SEND_WHITESPACE_TAG = false;
    const s: Session = { contact, otr, state: 'plaintext', known, wire: Promise.resolve(), decodeChain: Promise.resolve(), unconfirmed: [], unread: [], theirTag: 0 };
    this.applyPolicy(s);
    this.wire(s);
    this.sessions.set(contact, s);
    return s;
  }

  private wire(s: Session): void {
    const { otr } = s;
    // The library sends with setTimeout between messages; our order matters (AKE before
    // data), so deliver synchronously into our own ordered chain instead.
    otr.io = (msg: string | string[]) => {
      for (const m of ([] as string[]).concat(msg)) this.sendProtocol(s, m);
    };
    otr.on('ui', ((text: string, encrypted: boolean) => {
      if (s.collect) s.collect.ui.push({ text, encrypted });
      else this.log.debug(`[otr ${this.account.jid}] message outside decode ignored`);
    }) as (...a: never[]) => void);
    otr.on('error', ((text: string, severity: string) => {
      if (s.collect) s.collect.errors.push({ text: String(text), severity: String(severity) });
      else this.log.debug(`[otr ${this.account.jid}] ${String(text)}`);
    }) as (...a: never[]) => void);
    // patches/otr (patch 10): an exact copy of a data message already read (same keys, counter
    // and a valid MAC) is dropped by the library; say so, as for every replayed input, without
    // alarming anyone: nothing was lost and nothing is sent back.
    otr.on('duplicate', (() => {
      this.notice(s, `A copy of a private message from ${this.name(s.contact)} that was already shown arrived again and was ignored.`, 'info');
    }) as (...a: never[]) => void);
    otr.on('instance', (() => {
      if (s.collect) s.collect.newInstance = true;
    }) as (...a: never[]) => void);
    otr.on('status', ((status: number) => {
      try {
        this.onStatus(s, status);
      } catch (e) {
        this.log.error(`[otr ${this.account.jid}] status handler: ${String((e as Error)?.message ?? e)}`);
      }
    }) as (...a: never[]) => void);
    otr.on('smp', ((type: string, data: unknown, act: string) => {
      try {
        this.onSmp(s, type, data, act);
      } catch (e) {
        this.log.error(`[otr ${this.account.jid}] smp handler: ${String((e as Error)?.message ?? e)}`);
      }
    }) as (...a: never[]) => void);
  }

  private sendProtocol(s: Session, body: string): void {
    let text = body;
    // OTR v3 "Query Messages": a bare "?OTRv23?" may be followed by human-readable text.
    if (/^\?OTRv\d+\?$/.test(text)) text += QUERY_EXPLANATION(this.account.jid);
    const extra = text.startsWith('?OTR:') || text.startsWith('?OTR|') || text.startsWith('?OTR,') ? otrHints() : undefined;
    s.wire = s.wire.then(
      () =>
        this.account.sendWire(s.contact, text, extra).catch((e) => {
          this.log.warn(`[otr ${this.account.jid}] could not send an OTR protocol message: ${String((e as Error)?.message ?? e)}`);
        }),
    );
  }

  private sendQuery(s: Session): void {
    s.queriedAt = Date.now();
    this.guard(s, () => s.otr.sendQueryMsg());
  }

  private onStatus(s: Session, status: number): void {
    const name = this.name(s.contact);
    switch (status) {
      case CONST.STATUS_SEND_QUERY:
      case CONST.STATUS_AKE_INIT:
        if (!isPrivate(s.state) && s.state !== 'lost') this.setState(s, 'starting');
        if (s.state === 'starting' || s.state === 'lost') this.armStartTimer(s);
        break;
      case CONST.STATUS_AKE_SUCCESS:
        this.onAkeSuccess(s);
        break;
      case CONST.STATUS_END_OTR:
        this.clearStartTimer(s);
        if (s.otr.msgstate === CONST.MSGSTATE_FINISHED) {
          // OTR v3 "Receiving a Data Message" with TLV type 1: MSGSTATE_FINISHED.
          if (s.smp) this.emit('smp', { contact: s.contact, kind: 'aborted', initiatedBy: s.smp.initiatedBy, question: s.smp.question, abortedBy: 'them' });
          s.smp = undefined;
          this.setState(s, 'finished');
          this.notice(s, `${name} has ended the private conversation; you should do the same (end or refresh it). Messages you write wait until then.`, 'warning', {
          label: 'End private conversation',
          command: 'endPrivate',
        });
        }
        break;
    }
  }

  private onAkeSuccess(s: Session): void {
    this.clearStartTimer(s);
    if (s.akeTimer) clearTimeout(s.akeTimer);
    s.akeTimer = undefined;
    const name = this.name(s.contact);
    const pk = s.otr.their_priv_pk;
    const fp = pk?.fingerprint();
    if (!fp) return;
    const refreshed = s.refreshing || (isPrivate(s.state) && s.theirFp === fp);
    s.refreshing = false;
    s.theirFp = fp;
    let entry = s.known.find((f) => f.fingerprint === fp);
    if (!entry) {
      const kind = s.known.length ? 'changed' : 'new';
      entry = { fingerprint: fp, verified: false };
      s.known.push(entry);
      void this.opts.trust.save(this.account.id, s.contact, s.known).catch((e) => this.log.error(`[otr] could not save a fingerprint: ${String(e)}`));
      this.notice(s, `${name} is contacting you from an unrecognised computer. You should authenticate ${name}.`, 'warning', { label: `Authenticate ${name}`, command: 'authenticate' });
      this.emit('fingerprint', { contact: s.contact, fingerprint: fp, formatted: formatFingerprint(fp), kind });
    }
    s.smp = undefined;
    this.setState(s, entry.verified ? 'private-verified' : 'private-unverified');
    const v2 = s.otr.ake.otr_version === CONST.OTR_VERSION_2 ? ' (OTR version 2)' : '';
    if (refreshed)
      this.notice(
        s,
        `${entry.verified ? 'Private' : 'Unverified private'} conversation with ${name} refreshed${v2}.`,
        entry.verified ? 'info' : 'warning',
        entry.verified ? undefined : { label: `Authenticate ${name}`, command: 'authenticate' },
      );
    else
      this.notice(
        s,
        `${entry.verified ? 'Private' : 'Unverified private'} conversation with ${name} started${v2}.`,
        entry.verified ? 'info' : 'warning',
        entry.verified ? undefined : { label: `Authenticate ${name}`, command: 'authenticate' },
      );
    // Held messages go out once our last AKE message is on the wire.
    void s.wire.then(() => this.account.kickQueue()).catch(() => {});
  }

  private onSmp(s: Session, type: string, data: unknown, act: string): void {
    const contact = s.contact;
    const name = this.name(contact);
    switch (type) {
      case 'question': {
        const question = typeof data === 'string' && data ? data : undefined;
        s.smp = { initiatedBy: 'them', question, awaitingAnswer: true };
        this.emit('smp', { contact, kind: 'asked', initiatedBy: 'them', question });
        this.notice(s, question ? `${name} wants to authenticate you and asks: “${clip(question, 300)}”` : `${name} wants to authenticate you with a secret you share.`, 'info', {
          label: 'Answer…',
          command: 'authenticate',
        });
        break;
      }
      case 'trust': {
        const trusted = data === true;
        const initiatedBy: 'us' | 'them' = act === 'asked' ? 'us' : 'them';
        const question = s.smp?.question;
        s.smp = undefined;
        this.emit('smp', { contact, kind: trusted ? 'succeeded' : 'failed', initiatedBy, question });
        if (!trusted) {
          // As libotr (message.c set_smp_trust): a failed run drops the trust it would have set
          // on success, i.e. on the asking side, and on both sides for a shared secret. A
          // mismatch may mean someone else is at the other end.
          const drops = (initiatedBy === 'us' || !question) && !!s.theirFp && s.state === 'private-verified';
          if (drops) void this.setVerified(contact, s.theirFp!, false).catch((e) => this.log.error(`[otr] could not save trust: ${String(e)}`));
          const dropped = drops ? ` ${name} is no longer shown as verified.` : '';
          this.notice(
            s,
            initiatedBy === 'us' || !question ? `Authentication of ${name} failed: the answers did not match.${dropped}` : `${name} could not authenticate you: the answers did not match.`,
            'error',
          );
          break;
        }
        // As pidgin-otr: with a question only the asking side learns something about the
        // other; with a shared secret both do.
        if (initiatedBy === 'us' || !question) {
          if (s.theirFp) void this.setVerified(contact, s.theirFp, true).catch((e) => this.log.error(`[otr] could not save trust: ${String(e)}`));
          this.notice(s, `${name} has been authenticated.`, 'info');
        } else {
          this.notice(s, `${name} has authenticated you. You may want to authenticate ${name} as well by asking your own question.`, 'info');
        }
        break;
      }
      case 'abort': {
        if (s.abortingSmp) break; // reported by smpAbort()/smpStart()
        const smp = s.smp;
        s.smp = undefined;
        this.emit('smp', { contact, kind: 'aborted', initiatedBy: smp?.initiatedBy ?? 'them', question: smp?.question, abortedBy: 'them' });
        this.notice(s, `Authentication with ${name} was aborted.`, 'warning');
        break;
      }
    }
  }

  private endSession(s: Session, byUser: boolean): void {
    const prev = s.state;
    this.clearStartTimer(s);
    if (s.smp) this.emit('smp', { contact: s.contact, kind: 'aborted', initiatedBy: s.smp.initiatedBy, question: s.smp.question, abortedBy: 'us' });
    s.smp = undefined;
    this.guard(s, () => s.otr.endOtr());
    s.otr.authstate = CONST.AUTHSTATE_NONE;
    this.setState(s, 'plaintext');
    if (byUser) {
      if (prev !== 'plaintext') this.notice(s, `You have ended the private conversation with ${this.name(s.contact)}.`, 'info');
      // Messages written for the private conversation are never sent in the clear afterwards.
      // Also from 'plaintext': messages still waiting after an unanswered start (required
      // policy) are refused when the user ends it, rather than waiting forever.
      if (prev !== 'private-unverified' && prev !== 'private-verified') this.failHeld(s, 'Not sent: the private conversation ended before it could be delivered.');
    }
  }

  private failHeld(s: Session, reason: string): void {
    for (const item of [...this.account.queue.pending()]) {
      if (item.to === s.contact) this.account.failQueued(item.id, reason);
    }
  }

  private armStartTimer(s: Session, extended = false): void {
    this.clearStartTimer(s);
    s.startTimer = setTimeout(() => {
      s.startTimer = undefined;
      if (s.state !== 'starting') return;
      // They did answer: the AKE is under way (OTR v3 "Authenticated Key Exchange": past NONE,
      // and past AWAITING_DHKEY, where we only sent our own D-H Commit, an authstate means an
      // AKE message came from them). A slow peer or a loaded machine gets one more period to
      // finish it, rather than being told it never answered.
      const answered = s.otr.authstate !== CONST.AUTHSTATE_NONE && s.otr.authstate !== CONST.AUTHSTATE_AWAITING_DHKEY;
      if (!extended && answered) {
        this.armStartTimer(s, true);
        return;
      }
      const name = this.name(s.contact);
      s.otr.authstate = CONST.AUTHSTATE_NONE;
      this.setState(s, 'plaintext');
      if (this.policyFor(s.contact) === 'required') {
        this.notice(s, `${name} did not answer the request for a private conversation (their client may not support OTR). Your messages wait: it is asked for again when ${name} comes online, or start it again; end it to cancel them.`, 'warning');
      } else {
        this.notice(s, `${name} did not answer the request for a private conversation (their client may not support OTR).`, 'warning');
        this.failHeld(s, 'Not sent: the private conversation could not be started.');
      }
    }, this.startTimeoutMs);
    s.startTimer.unref?.();
  }

  private armAkeTimer(s: Session): void {
    if (s.akeTimer) return;
    s.akeTimer = setTimeout(() => {
      s.akeTimer = undefined;
      if (s.otr.authstate === CONST.AUTHSTATE_NONE) return;
      s.otr.authstate = CONST.AUTHSTATE_NONE;
      if (isPrivate(s.state)) {
        this.notice(s, `Refreshing the private conversation with ${this.name(s.contact)} did not complete; the current one continues.`, 'warning');
        void this.account.kickQueue();
      }
    }, this.startTimeoutMs);
    s.akeTimer.unref?.();
  }

  private clearStartTimer(s: Session): void {
    if (s.startTimer) clearTimeout(s.startTimer);
    s.startTimer = undefined;
  }

  private setState(s: Session, state: OtrState): void {
    const previous = s.state;
    if (previous === state) return;
    s.state = state;
    s.holdNoticeShown = false;
    // 'starting' is the attempt the query belongs to; any other state ends that attempt.
    if (state !== 'starting') s.queriedAt = undefined;
    if (state !== 'starting') this.clearStartTimer(s);
    this.emit('state', { contact: s.contact, state, previous });
  }

  /** Runs a library call; a throw becomes a notice, never a crash. */
  private guard(s: Session, fn: () => void): void {
    const errors: string[] = [];
    const onError = ((text: string) => void errors.push(String(text))) as (...a: never[]) => void;
    const collecting = !!s.collect;
    if (!collecting) s.otr.on('error', onError);
    try {
      fn();
    } catch (e) {
      errors.push(String((e as Error)?.message ?? e));
      this.log.warn(`[otr ${this.account.jid}] library call threw: ${clip(String((e as Error)?.stack ?? e), 300)}`);
    } finally {
      if (!collecting) s.otr.off('error', onError);
    }
    for (const e of errors) this.notice(s, `OTR: ${e}`, 'error');
  }

  private notice(s: Session, text: string, level: 'info' | 'warning' | 'error', action?: SystemLineAction): void {
    try {
      this.account.system(s.contact, text, level, true, action);
    } catch (e) {
      this.log.warn(`[otr ${this.account.jid}] notice failed: ${String(e)}`);
    }
  }

  private name(contact: string): string {
    try {
      return this.opts.displayName?.(contact) || contact;
    } catch {
      return contact;
    }
  }

  private teardown(s: Session): void {
    this.clearStartTimer(s);
    if (s.akeTimer) clearTimeout(s.akeTimer);
    s.otr.io = () => {};
  }

  /** Stops timers; sessions are dropped (private conversations are not ended on the wire). */
  dispose(): void {
    this.disposed = true;
    for (const s of this.sessions.values()) this.teardown(s);
    this.sessions.clear();
    this.removeAllListeners();
  }
}

/** The library keeps instance tags as 4-byte big-endian "byte strings" (OTR v3 "Instance Tags"). */
function instanceTagOf(packed: string | undefined): number {
  if (typeof packed !== 'string' || packed.length !== 4) return 0;
  return Buffer.from(packed, 'latin1').readUInt32BE(0);
}

/** OTR v3 "Fragmentation": "?OTR|sender|receiver,k,n,piece," (v3) or "?OTR,k,n,piece," (v2). */
export function parseFragmentHeader(body: string): { k: number; n: number } | undefined {
  const m = /^\?OTR(?:\|[0-9a-fA-F]{1,8}\|[0-9a-fA-F]{1,8})?,(\d{1,5}),(\d{1,5}),[^,]*,$/.exec(body);
  if (!m) return undefined;
  const k = Number(m[1]);
  const n = Number(m[2]);
  if (k < 1 || n < 1 || k > n) return undefined;
  return { k, n };
}

/** OTR v3 "Tagged plaintext messages": remove the base tag and the version tags that follow it. */
export function stripWhitespaceTags(text: string): string {
  const i = text.indexOf(WHITESPACE_BASE);
  if (i < 0) return text;
  let j = i + WHITESPACE_BASE.length;
  while (text.startsWith(CONST.WHITESPACE_TAG_V2, j) || text.startsWith(CONST.WHITESPACE_TAG_V3, j)) j += 8;
  return text.slice(0, i) + text.slice(j);
}
