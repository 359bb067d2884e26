/**
 * One signed-in account: connection, roster, presence, 1:1 chat, queue and history, with no
 * dependency on VS Code. The host adapts it to commands and webviews; tests drive it directly
 * against a real Prosody.
 *
 * The message path is layered so that OTR can sit in it (see `ChatLayer`):
 *   user text -> queue -> layer.encode -> <message/> on the wire
 *   <message/> -> layer.decode -> history + UI
 */
import { randomUUID } from 'node:crypto';
import type { Element } from '@xmpp/xml';
import { Emitter } from './emitter';
import { ConnectError } from './errors';
import { HistoryStore } from './history';
import { SessionTranscript } from './transcript';
import { bareJid, isValidBareUserJid, resourceOf } from './jid';
import { type Logger, clip } from './log';
import { OutgoingQueue, type OutgoingItem, type QueueStore } from './queue';
import { NS_ROSTER, Roster } from './roster';
import {
  chatMessage,
  chatStateMessage,
  describeStanzaError,
  parseMessage,
  presenceStanza,
  receiptMessage,
  rosterGet,
  rosterRemove,
  rosterSet,
  subscriptionPresence,
} from './stanzas';
import { type TrustOptions, XmppConnection } from './xmpp';
import { RecentMap } from './recent';
import type { ChatState, ConnectionState, MessageStatus, MessageView, PresenceShow } from '../shared/protocol';
import { MAX_OUTGOING_TEXT } from '../shared/protocol';

/** Replies from a contact with our receipt requests unanswered, before we stop asking (asksReceipt). */
export const RECEIPT_PATIENCE = 3;
/** Contacts whose learnt details (chat states, receipts, resource, recent ids) are kept: the newest 500 to 1,000. */
export const CONTACTS_TRACKED = 500;
/** Incoming message ids kept per contact to drop redeliveries: the newest 250 to 500. */
const SEEN_IDS = 250;

export interface AccountConfig extends TrustOptions {
  /** Stable id (the bare JID, lower-cased). */
  id: string;
  jid: string;
  host?: string;
  port?: number;
  directTls?: boolean;
  resource?: string;
}

/**
 * What `encode` makes of a message: the bodies to write, or 'hold' (not yet, e.g. until a
 * private conversation is up). `sent`, when given, must be called once the bodies are written
 * (or could not be): the layer holds its own protocol messages behind it, so that messages
 * leave in the order they were encrypted (OTR v3 data messages carry a counter the receiver
 * requires to grow).
 */
export type EncodeResult = { bodies: string[]; extra?: Element[]; sent?: () => void } | 'hold';
/** What `decode` makes of a body: `encrypted` if it arrived inside a private conversation; null if it was consumed entirely (a protocol message). */
export type DecodeResult = { text: string; encrypted?: boolean } | null;

/**
 * A transformation of 1:1 message bodies: OTR (issue 3) implements this. Either method may
 * answer at once (a plain value) or later (a promise); a value is used in the same turn, which
 * keeps a reply written while a message is handled ahead of the connection's other work on
 * that read (bench/turn-hook.cjs).
 */
export interface ChatLayer {
  encode(contact: string, item: OutgoingItem): EncodeResult | Promise<EncodeResult>;
  decode(contact: string, fromFull: string, body: string): DecodeResult | Promise<DecodeResult>;
  /** A message written now can only go out encrypted (private, or held until it can be). */
  willEncrypt?(contact: string): boolean;
  /** The contact sent available presence (e.g. ask again for a private conversation). */
  contactAvailable?(contact: string): void;
}

interface AccountEvents {
  state: { state: ConnectionState; error?: ConnectError };
  roster: void;
  /** A line added to a conversation (incoming, outgoing or system). */
  message: { contact: string; message: MessageView; incoming: boolean };
  messageStatus: { contact: string; id: string; status: MessageStatus };
  chatState: { contact: string; state: ChatState | undefined };
  subscriptionRequest: { jid: string };
  subscriptionAnswer: { jid: string; answer: 'authorized' | 'denied' };
  queue: number;
  /** The account's own presence changed (show/status). */
  ownPresence: { show: PresenceShow; status?: string };
  /** Session ready (roster loaded, initial presence sent). `resumed`: XEP-0198 resumption, nothing was lost. */
  online: { resumed: boolean };
}

export interface AccountDeps {
  logger: Logger;
  history: HistoryStore;
  queueStore?: QueueStore;
  /**
   * Whether private (OTR) messages are written to history. Off by default (issue 3 item 7):
   * read on every message, so a setting change applies at once.
   */
  logPrivate?: () => boolean;
  /** Overrides for tests (faster backoff). */
  connection?: { attemptTimeoutMs?: number; backoffInitialMs?: number; backoffMaxMs?: number };
}

export class AccountSession extends Emitter<AccountEvents> {
  readonly roster: Roster;
  readonly queue: OutgoingQueue;
  private conn?: XmppConnection;
  private show: PresenceShow = 'available';
  private status?: string;
  // What is learnt per contact is kept for the CONTACTS_TRACKED most recent ones: anyone may
  // write to us, from as many JIDs as they like, and a session lives for days.
  /** RFC 6121 §5.1: after they write from a full JID, reply to that resource until it goes away. */
  private readonly locked = new RecentMap<string, string>(CONTACTS_TRACKED);
  /** XEP-0085 §5.1: only send standalone chat states to contacts who sent us some. */
  private readonly chatStateCapable = new RecentMap<string, true>(CONTACTS_TRACKED);
  /**
   * XEP-0085 §5.1, rule 2: a contact who replied without a chat state gets none from us, not
   * even the <active/> of a message, until they send one.
   */
  private readonly chatStateless = new RecentMap<string, true>(CONTACTS_TRACKED);
  /** Per contact: whether our XEP-0184 receipt requests get answered (see `asksReceipt`). */
  private readonly receiptPeers = new RecentMap<string, { answered: boolean; asked: boolean; ignored: number }>(CONTACTS_TRACKED);
  /** Recently seen incoming ids per contact (redelivery after a reconnect must not duplicate). */
  private readonly seen = new RecentMap<string, RecentMap<string, true>>(CONTACTS_TRACKED);
  /** Messages kept out of history (private ones, unpersisted notices): memory only. */
  private readonly transcript = new SessionTranscript();
  /** Contact for each in-flight outgoing id, for receipts and errors. */
  private readonly outgoing = new RecentMap<string, string>(2000);
  layer?: ChatLayer;
  private readonly log: Logger;

  constructor(
    private _config: AccountConfig,
    private readonly deps: AccountDeps,
  ) {
    super();
    this.log = deps.logger;
    this.roster = new Roster(_config.id);
    this.roster.on('changed', () => this.emit('roster', undefined));
    this.queue = new OutgoingQueue(deps.queueStore);
    this.queue.on('status', ({ id, to, status, error }) => {
      // 'queued' only comes from enqueue, right after sendMessage recorded and showed the
      // message as queued: another history line and UI update would say nothing new.
      if (status !== 'queued') {
        this.rememberOutgoing(id, to);
        if (status === 'failed' && error) this.system(to, error, 'error');
        this.setStatus(to, id, status);
      }
      this.emit('queue', this.queue.size);
    });
    this.queue.on('error', (err) => this.log.warn(`[${this._config.jid}] send failed, message stays queued: ${String((err as Error)?.message ?? err)}`));
  }

  get config(): AccountConfig {
    return this._config;
  }

  /** New connection settings (trust, host): the next sign-in builds a new connection. */
  async reconfigure(config: AccountConfig): Promise<void> {
    await this.dispose();
    this._config = config;
  }

  get id(): string {
    return this.config.id;
  }
  get jid(): string {
    return this.config.jid;
  }
  get state(): ConnectionState {
    return this.conn?.state ?? 'signedOut';
  }
  get error(): ConnectError | undefined {
    return this.conn?.error;
  }
  get presence(): { show: PresenceShow; status?: string } {
    return { show: this.state === 'online' ? this.show : 'offline', status: this.status };
  }

  /** Signs in with this password (kept only by the connection object, in memory). */
  async start(password: string): Promise<void> {
    if (!this.conn) {
      this.conn = new XmppConnection({
        ...this.config,
        password,
        logger: this.log,
        ...this.deps.connection,
      });
      this.conn.on('state', (s) => {
        if (s.state !== 'online') {
          this.chatStateCapable.clear();
          this.chatStateless.clear();
          // The contact may be on another client by the next sign-in: ask again.
          this.receiptPeers.clear();
        }
        this.emit('state', s);
      });
      this.conn.on('online', ({ resumed }) => void this.onOnline(resumed));
      this.conn.on('stanza', (el) => this.onStanza(el));
      this.conn.on('acked', (id) => this.queue.acked(id));
      this.conn.on('unacked', (id) => this.queue.unacked(id));
      this.conn.onIq('set', NS_ROSTER, 'query', (stanza) => {
        // Ignore pushes from anyone but our server (RFC 6121 §2.1.6); the callee still
        // answers, so reply with an error by throwing.
        if (!this.roster.applyPush(stanza, this.jid)) throw Object.assign(new Error('forbidden'), { condition: 'forbidden' });
        // A subscription change may let them answer receipts now (XEP-0184 §8): ask again.
        const pushed = stanza.getChild('query', NS_ROSTER)?.getChild('item')?.attrs.jid;
        if (typeof pushed === 'string') this.receiptPeers.delete(bareJid(pushed));
      });
    }
    await this.conn.start();
  }

  async stop(): Promise<void> {
    if (!this.conn) return;
    if (this.conn.state === 'online') {
      // RFC 6121 §4.5.1: unavailable presence before closing the stream.
      await this.conn.send(xmlPresenceUnavailable(this.status)).catch(() => {});
    }
    await this.conn.stop();
    this.roster.clearPresence();
  }

  /** Drop the connection object entirely (account removed, or password changed). */
  async dispose(): Promise<void> {
    await this.stop();
    await this.deps.queueStore?.flush?.();
    this.conn?.removeAllListeners();
    this.conn = undefined;
  }

  retryNow(): void {
    this.conn?.retryNow();
  }

  // -- presence ----------------------------------------------------------------------------

  async setPresence(show: PresenceShow, status?: string): Promise<void> {
    this.status = status?.slice(0, 1024) || undefined;
    if (show === 'offline') {
      await this.stop();
      this.emit('ownPresence', { show: 'offline', status: this.status });
      return;
    }
    this.show = show;
    if (this.state === 'online') await this.conn!.send(presenceStanza(show, this.status));
    this.emit('ownPresence', { show, status: this.status });
  }

  // -- roster ------------------------------------------------------------------------------

  /** Jitsi's "Add contact": roster item, then a subscription request (RFC 6121 §3.1.1). */
  async addContact(jid: string, name?: string, group?: string): Promise<void> {
    const contact = this.checkContactJid(jid);
    this.requireOnline();
    await this.conn!.iq(rosterSet({ jid: contact, name: name?.trim() || undefined, groups: group?.trim() ? [group.trim()] : [] }));
    this.roster.markAsked(contact);
    await this.conn!.send(subscriptionPresence(contact, 'subscribe'));
  }

  /** "Re-request authorisation": send the subscription request again. */
  async requestAuthorization(jid: string): Promise<void> {
    const contact = this.checkContactJid(jid);
    this.requireOnline();
    this.roster.markAsked(contact);
    await this.conn!.send(subscriptionPresence(contact, 'subscribe'));
  }

  async renameContact(jid: string, name: string): Promise<void> {
    const item = this.roster.items.get(bareJid(jid));
    if (!item) throw new Error('Not in your contacts.');
    this.requireOnline();
    await this.conn!.iq(rosterSet({ jid: item.jid, name: name.trim() || undefined, groups: item.groups }));
  }

  async moveContact(jid: string, group: string | undefined): Promise<void> {
    const item = this.roster.items.get(bareJid(jid));
    if (!item) throw new Error('Not in your contacts.');
    this.requireOnline();
    await this.conn!.iq(rosterSet({ jid: item.jid, name: item.name, groups: group?.trim() ? [group.trim()] : [] }));
  }

  async removeContact(jid: string): Promise<void> {
    this.requireOnline();
    await this.conn!.iq(rosterRemove(bareJid(jid)));
  }

  /**
   * Answer an authorisation request. Authorize approves (RFC 6121 §3.1.4) and asks back when
   * we do not see them yet, so both see each other, as Jitsi does. Deny refuses (§3.1.4 step 2
   * "unsubscribed"); the requester is told.
   */
  async answerRequest(jid: string, answer: 'authorize' | 'deny'): Promise<void> {
    const contact = this.checkContactJid(jid);
    this.requireOnline();
    if (answer === 'authorize') {
      await this.conn!.send(subscriptionPresence(contact, 'subscribed'));
      const item = this.roster.items.get(contact);
      const seesThem = item && (item.subscription === 'to' || item.subscription === 'both' || item.ask);
      if (!seesThem) {
        this.roster.markAsked(contact);
        await this.conn!.send(subscriptionPresence(contact, 'subscribe'));
      }
    } else {
      await this.conn!.send(subscriptionPresence(contact, 'unsubscribed'));
    }
    this.roster.clearRequest(contact);
  }

  // -- chat --------------------------------------------------------------------------------

  /**
   * Writes a message. It is in history (status `queued`) and in the queue before anything
   * touches the network, so nothing the user wrote can be lost by a dropped connection.
   */
  async sendMessage(jid: string, text: string, opts: { persist?: boolean; requirePrivate?: boolean } = {}): Promise<MessageView> {
    const contact = this.checkContactJid(jid);
    if (typeof text !== 'string' || !text.trim()) throw new Error('The message is empty.');
    if (text.length > MAX_OUTGOING_TEXT) throw new Error(`The message is too long (${text.length} characters; the limit is ${MAX_OUTGOING_TEXT}).`);
    // requirePrivate: the layer holds the message until a private conversation is up (it is
    // never sent in the clear); without a layer that can encrypt it could never go out.
    if (opts.requirePrivate && !this.layer?.willEncrypt) throw new Error('Private conversations are not available for this account.');
    const priv = opts.requirePrivate === true || (this.layer?.willEncrypt?.(contact) ?? false);
    const message: MessageView = { id: randomUUID(), direction: 'out', text, ts: Date.now(), status: 'queued', ...(priv ? { private: true } : {}) };
    // The history write is started, not awaited, before the message is queued and sent: it
    // runs beside the network send (the queue holds the message until acknowledged, and
    // `history()` waits for pending writes, so a panel opened meanwhile still shows it). We
    // still wait for it before returning (callers may read the history next). A failed write
    // is logged, as on receive: the message is already on its way and in the queue.
    const written = !priv || this.logsPrivate() ? this.deps.history.append(this.id, contact, message).catch((e) => this.log.error(`history: ${String(e)}`)) : undefined;
    if (!written) this.transcript.add(contact, message);
    this.emit('message', { contact, message, incoming: false });
    // Private plaintext never goes to the queue file on disk.
    this.queue.enqueue({ id: message.id, to: contact, text, ts: message.ts, persist: !priv && (opts.persist ?? true), ...(opts.requirePrivate ? { requirePrivate: true } : {}) });
    void this.flush();
    await written;
    return message;
  }

  /** XEP-0085 standalone notification (composing, paused, …), only to capable contacts. */
  async sendChatState(jid: string, state: ChatState): Promise<void> {
    const contact = bareJid(jid);
    if (this.state !== 'online' || !this.chatStateCapable.has(contact)) return;
    await this.conn!.send(chatStateMessage(this.addressFor(contact), state)).catch(() => {});
  }

  /** History from disk, with this session's unlogged messages (private ones) merged in. */
  async history(jid: string, limit?: number): Promise<MessageView[]> {
    const contact = bareJid(jid);
    return this.transcript.merge(contact, await this.deps.history.load(this.id, contact, limit), limit);
  }

  /** Adds an informational line to a conversation (also used by the OTR layer). */
  system(contact: string, text: string, level: 'info' | 'warning' | 'error' = 'info', persist = true, action?: MessageView['action']): MessageView {
    const message: MessageView = { id: randomUUID(), direction: 'system', text, ts: Date.now(), level, ...(action ? { action } : {}) };
    if (persist) void this.deps.history.append(this.id, contact, message).catch((e) => this.log.error(`history: ${String(e)}`));
    else this.transcript.add(contact, message);
    this.emit('message', { contact, message, incoming: false });
    return message;
  }

  // -- for plugins (group chat, …) ----------------------------------------------------------

  private readonly handlers: ((el: Element) => boolean)[] = [];

  /**
   * A stanza handler that runs before roster, presence and 1:1 chat handling. Returning true
   * consumes the stanza (e.g. presence and messages from a MUC room, XEP-0045, must not be
   * taken for a contact's presence or a 1:1 message). Returns a function that removes it.
   */
  addStanzaHandler(handler: (el: Element) => boolean): () => void {
    this.handlers.push(handler);
    return () => {
      const i = this.handlers.indexOf(handler);
      if (i >= 0) this.handlers.splice(i, 1);
    };
  }

  /** Sends a stanza as is (plugins). */
  async send(el: Element): Promise<void> {
    this.requireOnline();
    await this.conn!.send(el);
  }

  /** An IQ with its reply matched by id and a timeout (plugins). */
  async iq(el: Element, timeoutMs?: number): Promise<Element> {
    this.requireOnline();
    return this.conn!.iq(el, timeoutMs);
  }

  /** Our full JID in this session, once online. */
  get fullJid(): string | undefined {
    return this.conn?.fullJid;
  }

  // -- for message layers (OTR) -------------------------------------------------------------

  /**
   * Sends one protocol body (OTR query, AKE, data, SMP…) outside the user's queue. `to` is a
   * bare JID (the locked resource is used, RFC 6121 §5.1) or a full JID.
   */
  async sendWire(to: string, body: string, extra?: Element[]): Promise<void> {
    this.requireOnline();
    const addr = to.includes('/') ? to : this.addressFor(bareJid(to));
    await this.conn!.send(chatMessage({ to: addr, id: randomUUID(), body, extra }));
  }

  /** Try the queue again (a layer that returned 'hold' is now ready, e.g. OTR is up). */
  kickQueue(): Promise<void> {
    return this.flush();
  }

  /** Drop a queued message with a reason shown in the chat (e.g. policy forbids plaintext). */
  failQueued(id: string, reason: string): void {
    this.queue.fail(id, reason);
  }

  // -- internals ---------------------------------------------------------------------------

  private requireOnline(): void {
    if (this.state !== 'online') throw new Error(`${this.jid} is not signed in.`);
  }

  private checkContactJid(jid: string): string {
    if (!isValidBareUserJid(jid)) throw new Error(`"${clip(String(jid), 80)}" is not a valid address (like name@example.org).`);
    const contact = bareJid(jid);
    if (contact === bareJid(this.jid)) throw new Error('That is your own address.');
    return contact;
  }

  private addressFor(contact: string): string {
    const res = this.locked.get(contact);
    return res ? `${contact}/${res}` : contact;
  }

  private async onOnline(resumed: boolean): Promise<void> {
    try {
      if (!resumed) {
        // A new session: presence is unknown until the server sends it again (RFC 6121 §4.4).
        this.roster.clearPresence();
        this.locked.clear();
        // Anything in flight on the old stream that was not acknowledged has already been
        // reported as unacked by the library; without XEP-0198 we resend it all.
        this.queue.requeueInflight();
        // RFC 6121 §2.2: retrieve the roster before sending initial presence, so the
        // presence that follows lands on known items.
        const result = await this.conn!.iq(rosterGet());
        this.roster.applyRosterResult(result);
        await this.conn!.send(presenceStanza(this.show, this.status));
        this.emit('ownPresence', { show: this.show, status: this.status });
      }
      this.emit('online', { resumed });
      await this.flush();
    } catch (err) {
      // Signed out while setting up (a pending request answered by stop()): nothing failed.
      if ((err as { code?: string }).code === 'ERR_PADLOCK_SIGNED_OUT') this.log.debug(`[${this.jid}] signed out during session setup`);
      else this.log.warn(`[${this.jid}] session setup failed: ${String((err as Error).message)}`);
    }
  }

  private flush(): Promise<void> {
    if (this.state !== 'online' || !this.conn) return Promise.resolve();
    const conn = this.conn;
    return this.queue.flush(
      async (item) => {
        if (this.state !== 'online') throw new Error('offline');
        let bodies = [item.text];
        let extra: Element[] | undefined;
        let sent: (() => void) | undefined;
        if (this.layer) {
          const r = this.layer.encode(item.to, item);
          const enc = r instanceof Promise ? await r : r;
          if (enc === 'hold') return 'hold';
          bodies = enc.bodies;
          extra = enc.extra;
          sent = enc.sent;
        }
        try {
          const to = this.addressFor(item.to);
          this.rememberOutgoing(item.id, item.to);
          // Fragments (OTR) go out as separate messages; the last one carries the queue id so
          // the acknowledgement of the whole message is the acknowledgement of its last part.
          for (let i = 0; i < bodies.length; i++) {
            const last = i === bodies.length - 1;
            await conn.send(
              chatMessage({
                to,
                id: last ? item.id : `${item.id}-${i}`,
                body: bodies[i],
                receipt: last && this.asksReceipt(item.to),
                chatState: last && !this.chatStateless.has(item.to) ? 'active' : undefined,
                extra,
              }),
            );
          }
        } finally {
          sent?.();
        }
        return 'sent';
      },
      () => conn.smEnabled,
    );
  }

  /**
   * Whether the next message to `contact` asks for a XEP-0184 receipt (and notes that it did).
   * A request the contact's client will not answer is weight on every message, which the server
   * parses, archives twice (XEP-0313) and delivers: clients without receipts (libpurple) never
   * answer, nor do clients that answer only those allowed to see their presence (§8, as we do).
   * Support is learnt from replies, as XEP-0085 §5.1 learns chat states: a contact who has sent
   * a receipt is always asked; one who has replied `RECEIPT_PATIENCE` times while our requests
   * went unanswered is not asked again until they come online again (presence), the
   * subscription changes (§8 may now allow an answer) or we sign in again. Their messages
   * then show as sent, not delivered, as they did while unanswered.
   */
  private asksReceipt(contact: string): boolean {
    const peer = this.receiptPeer(contact);
    if (!peer.answered && peer.ignored >= RECEIPT_PATIENCE) return false;
    peer.asked = true;
    return true;
  }

  /** The contact's entry in `receiptPeers`, made if missing. */
  private receiptPeer(contact: string): { answered: boolean; asked: boolean; ignored: number } {
    let peer = this.receiptPeers.get(contact);
    if (!peer) this.receiptPeers.set(contact, (peer = { answered: false, asked: false, ignored: 0 }));
    return peer;
  }

  /** Receipts waiting for the end of the current turn (see `sendReceiptSoon`). */
  private receipts: { to: string; id: string }[] = [];

  /**
   * XEP-0184 §5.2 asks for a receipt "upon receiving" the message, not before the application
   * saw it: it goes out after the handlers of this turn ran (setImmediate), so a reply the user
   * or the app writes at once is not queued behind it at the server (a round trip shorter by
   * one stanza, bench/xmpp.ts). Receipts of one read (e.g. stored messages after sign-in) leave
   * together.
   */
  private sendReceiptSoon(to: string, id: string): void {
    this.receipts.push({ to, id });
    if (this.receipts.length > 1) return;
    setImmediate(() => {
      const due = this.receipts;
      this.receipts = [];
      // As before the deferral: a receipt that cannot be written (connection just dropped) is
      // not retried.
      for (const r of due) void this.conn?.send(receiptMessage(r.to, r.id)).catch(() => {});
    });
  }

  private rememberOutgoing(id: string, contact: string): void {
    // Bounded: receipts for very old messages simply fall back to the sender's address.
    this.outgoing.set(id, contact);
  }

  private logsPrivate(): boolean {
    return this.deps.logPrivate?.() ?? false;
  }

  private setStatus(contact: string, id: string, status: MessageStatus): void {
    if (!this.transcript.setStatus(contact, id, status)) void this.deps.history.updateStatus(this.id, contact, id, status).catch(() => {});
    this.emit('messageStatus', { contact, id, status });
  }

  private onStanza(el: Element): void {
    try {
      for (const h of this.handlers) if (h(el)) return;
      if (el.name === 'presence') this.onPresence(el);
      else if (el.name === 'message') void this.onMessage(el);
    } catch (err) {
      // A malformed stanza is logged and dropped; it never takes the session down.
      this.log.warn(`[${this.jid}] could not handle a ${el.name} stanza: ${String((err as Error).message)}`);
    }
  }

  private onPresence(el: Element): void {
    const from = typeof el.attrs.from === 'string' ? el.attrs.from : '';
    const wasOffline = !!from && this.roster.aggregate(bareJid(from)).show === 'offline';
    const ev = this.roster.applyPresence(el, this.jid);
    switch (ev.kind) {
      case 'subscribe':
        if (ev.preApproved) void this.conn?.send(subscriptionPresence(ev.jid, 'subscribed')).catch(() => {});
        else this.emit('subscriptionRequest', { jid: ev.jid });
        break;
      case 'subscribed':
        this.emit('subscriptionAnswer', { jid: ev.jid, answer: 'authorized' });
        break;
      case 'unsubscribed':
        if (ev.denied) this.emit('subscriptionAnswer', { jid: ev.jid, answer: 'denied' });
        break;
      case 'unavailable':
        if (this.locked.get(ev.jid) === ev.resource || !ev.resource) this.locked.delete(ev.jid);
        break;
      case 'available':
        // Maybe another client of theirs, which may answer receipts and send chat states.
        if (wasOffline) {
          this.receiptPeers.delete(ev.jid);
          this.chatStateless.delete(ev.jid);
        }
        // RFC 6121 §5.1: a presence change unlocks the conversation.
        if (this.locked.get(ev.jid) && this.locked.get(ev.jid) !== ev.resource) this.locked.delete(ev.jid);
        // Coming online (not a status change): the layer may have something waiting for them.
        if (wasOffline) this.layer?.contactAvailable?.(ev.jid);
        break;
      default:
        break;
    }
  }

  private async onMessage(el: Element): Promise<void> {
    const m = parseMessage(el);
    if (!m) return;
    const contact = bareJid(m.from);
    if (!isValidBareUserJid(contact) || contact === bareJid(this.jid)) return;
    if (m.type === 'groupchat' || m.type === 'headline') return;

    if (m.type === 'error') {
      const ours = m.id ? this.outgoing.get(m.id) : undefined;
      const target = ours ?? contact;
      const why = describeStanzaError(m.errorCondition ?? '');
      this.system(target, `Message not delivered: ${why}.`, 'error');
      if (m.id && ours) this.setStatus(target, m.id, 'failed');
      return;
    }

    if (m.receivedId) {
      // Their client answers receipts: always ask them (asksReceipt).
      this.receiptPeer(contact).answered = true;
      const to = this.outgoing.get(m.receivedId) ?? contact;
      // The contact has it, so the server had it: settle it in the queue first, or the
      // XEP-0198 ack that often arrives after the receipt would downgrade it to "sent".
      this.queue.acked(m.receivedId);
      this.setStatus(to, m.receivedId, 'delivered');
    }
    if (m.chatState) {
      this.chatStateCapable.set(contact, true);
      this.chatStateless.delete(contact);
      this.emit('chatState', { contact, state: m.chatState });
    }
    if (m.body === undefined) return;

    // A message delivered again (the server stores what a closing stream left unacknowledged,
    // XEP-0198 §"Stream Closure"; offline storage, XEP-0160) is dropped before any layer sees
    // it: shown twice otherwise, and for OTR a replayed data message fails its counter check
    // ("Counter in message is not larger", OTR v3 "Data Message"), and the contact would be told
    // their message was unreadable. Its receipt was sent the first time.
    if (m.id) {
      // Set again on each message: a contact who keeps writing stays among the recent ones.
      const s = this.seen.get(contact) ?? new RecentMap<string, true>(SEEN_IDS);
      this.seen.set(contact, s);
      if (s.has(m.id)) {
        this.log.debug(`[${this.jid}] dropped a message delivered again (id ${m.id})`);
        return;
      }
      s.set(m.id, true);
    }

    const resource = resourceOf(m.from);
    if (resource) this.locked.set(contact, resource);

    let text: string | null = m.body;
    let priv = false;
    if (this.layer) {
      const r = this.layer.decode(contact, m.from, m.body);
      const dec = r instanceof Promise ? await r : r;
      text = dec ? dec.text : null;
      priv = !!dec?.encrypted;
    }

    // XEP-0184 §8: acknowledge only to contacts allowed to see our presence, or receipts
    // would leak it to strangers.
    const item = this.roster.items.get(contact);
    if (m.receiptRequested && m.id && (item?.subscription === 'from' || item?.subscription === 'both')) {
      this.sendReceiptSoon(m.from, m.id);
    }
    if (text === null) return;
    // A reply (text for the user, not an OTR protocol message, which carries neither): what
    // it lacks tells us what their client does (see asksReceipt and chatStateless).
    if (!m.chatState) {
      this.chatStateless.set(contact, true);
      this.chatStateCapable.delete(contact);
    }
    const peer = this.receiptPeers.get(contact);
    if (peer?.asked && !peer.answered) peer.ignored++;

    const message: MessageView = {
      id: m.id && !m.id.startsWith('r-') ? `in-${m.id}` : randomUUID(),
      direction: 'in',
      text,
      ts: m.delayedTs ?? Date.now(),
      ...(priv ? { private: true } : {}),
    };
    // Written in the background: the message is shown at once (`history()` waits for pending
    // writes, so a panel opened meanwhile still has it).
    if (!priv || this.logsPrivate()) void this.deps.history.append(this.id, contact, message).catch((e) => this.log.error(`history: ${String(e)}`));
    else this.transcript.add(contact, message);
    this.emit('message', { contact, message, incoming: true });
    if (!m.chatState) this.emit('chatState', { contact, state: undefined });
  }
}

function xmlPresenceUnavailable(status?: string): Element {
  const el = presenceStanza('available', status);
  el.attrs.type = 'unavailable';
  // Priority is meaningless on unavailable presence (RFC 6121 §4.7.2.3).
  el.children = el.children.filter((c) => typeof c === 'string' || c.name !== 'priority');
  return el;
}
