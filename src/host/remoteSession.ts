/**
 * A follower window's view of an account whose connection lives in the owner window (issue 7).
 * It has the part of AccountSession's surface the host layer uses for the contact tree, chats
 * and account/contact commands; state comes from the owner's snapshots and events over the
 * local channel, and every action is a request to the owner. The owner's AccountSession stays
 * the only thing that talks to the server, holds the outgoing queue and the OTR instance.
 *
 * Kept free of `vscode` like the core; it lives in src/host because only the host wiring
 * (instance.ts) builds it.
 */
import type { AccountSession } from '../core/account';
import { Emitter } from '../core/emitter';
import { ConnectError, type ConnectErrorKind } from '../core/errors';
import { bareJid } from '../core/jid';
import { Roster, type ResourcePresence, type RosterItem } from '../core/roster';
import type { ChatState, ConnectionState, MessageStatus, MessageView, OtrView, PresenceShow } from '../shared/protocol';

/** Everything a follower needs to draw one account. */
export interface AccountSnapshot {
  id: string;
  jid: string;
  state: ConnectionState;
  error?: { kind: ConnectErrorKind; message: string };
  presence: { show: PresenceShow; status?: string };
  roster: {
    items: RosterItem[];
    presence: [string, [string, ResourcePresence][]][];
    requests: [string, number][];
    denied: string[];
  };
  queued: number;
}

export function snapshotOf(s: AccountSession): AccountSnapshot {
  return {
    id: s.id,
    jid: s.jid,
    state: s.state,
    ...(s.error ? { error: { kind: s.error.kind, message: s.error.message } } : {}),
    presence: s.presence,
    roster: {
      items: [...s.roster.items.values()],
      presence: [...s.roster.presence].map(([jid, res]) => [jid, [...res]]),
      requests: [...s.roster.requests],
      denied: [...s.roster.denied],
    },
    queued: s.queue.size,
  };
}

/** The calls a follower makes to the owner (instance.ts answers them there). */
export type OwnerCall = <T>(method: string, params: Record<string, unknown>) => Promise<T>;

type AccountEvents = AccountSession extends Emitter<infer E> ? E : never;

/** The surface of AccountSession the host uses for views and commands; checked by the compiler. */
export type SessionSurface = Pick<
  AccountSession,
  | 'id'
  | 'jid'
  | 'state'
  | 'error'
  | 'presence'
  | 'roster'
  | 'on'
  | 'once'
  | 'waitFor'
  | 'setPresence'
  | 'addContact'
  | 'requestAuthorization'
  | 'renameContact'
  | 'moveContact'
  | 'removeContact'
  | 'answerRequest'
  | 'sendMessage'
  | 'sendChatState'
  | 'history'
>;

export class RemoteSession extends Emitter<AccountEvents> implements SessionSurface {
  readonly remote = true;
  readonly roster: Roster;
  private snap: AccountSnapshot;
  private readonly otrViews = new Map<string, OtrView>();
  private readonly otrListeners = new Set<(contact: string | undefined) => void>();
  /** Only the size is known here; the queue itself has one owner (the owner window). */
  readonly queue = { size: 0, pending: (): never[] => [] };

  constructor(
    snap: AccountSnapshot,
    private readonly call: OwnerCall,
  ) {
    super();
    this.snap = snap;
    this.roster = new Roster(snap.id);
    this.apply(snap);
  }

  get id(): string {
    return this.snap.id;
  }
  get jid(): string {
    return this.snap.jid;
  }
  get state(): ConnectionState {
    return this.snap.state;
  }
  get error(): ConnectError | undefined {
    return this.snap.error ? new ConnectError(this.snap.error.kind, this.snap.error.message) : undefined;
  }
  get presence(): { show: PresenceShow; status?: string } {
    return { ...this.snap.presence };
  }

  /** Takes a new snapshot from the owner and emits what changed. */
  apply(snap: AccountSnapshot): void {
    const before = this.snap;
    this.snap = snap;
    if (!this.isDetaching) this.lastOwnerState = snap.state;
    const r = this.roster;
    r.items.clear();
    for (const i of snap.roster.items) r.items.set(i.jid, i);
    r.presence.clear();
    for (const [jid, res] of snap.roster.presence) r.presence.set(jid, new Map(res));
    r.requests.clear();
    for (const [jid, t] of snap.roster.requests) r.requests.set(jid, t);
    r.denied.clear();
    for (const j of snap.roster.denied) r.denied.add(j);
    this.queue.size = snap.queued;
    if (before.state !== snap.state || before === snap) this.emit('state', { state: snap.state, error: this.error });
    if (before.presence.show !== snap.presence.show || before.presence.status !== snap.presence.status) this.emit('ownPresence', this.presence);
    this.emit('roster', undefined);
    this.emit('queue', snap.queued);
  }

  /** The state the owner last reported (before a handover showed "connecting"). */
  lastOwnerState: ConnectionState = 'signedOut';
  private isDetaching = false;

  /** While the owner is being replaced: nothing to talk to. */
  detached(): void {
    if (this.snap.state === 'signedOut') return;
    this.isDetaching = true;
    try {
      this.apply({ ...this.snap, state: 'connecting' });
    } finally {
      this.isDetaching = false;
    }
  }

  /** An event from the owner for this account. */
  onOwnerEvent(event: string, data: Record<string, unknown>): void {
    if (event === 'message') this.emit('message', data as unknown as AccountEvents['message']);
    else if (event === 'messageStatus') this.emit('messageStatus', data as unknown as AccountEvents['messageStatus']);
    else if (event === 'chatState') this.emit('chatState', data as unknown as AccountEvents['chatState']);
    else if (event === 'otr') {
      const contact = typeof data.contact === 'string' ? data.contact : undefined;
      if (contact && data.view) this.otrViews.set(contact, data.view as OtrView);
      else if (!contact) this.otrViews.clear();
      for (const l of this.otrListeners) l(contact);
    }
  }

  /** The OTR state of a conversation as the owner sees it (cached from its events). */
  async otrView(contact: string): Promise<OtrView> {
    const c = bareJid(contact);
    const v = await this.call<OtrView>('otrView', { account: this.id, jid: c });
    this.otrViews.set(c, v);
    return v;
  }

  /** The owner's OTR state for a conversation (or, without contact, the account) changed. */
  onOtrChange(l: (contact: string | undefined) => void): { dispose(): void } {
    this.otrListeners.add(l);
    return { dispose: () => this.otrListeners.delete(l) };
  }

  cachedOtrView(contact: string): OtrView | undefined {
    return this.otrViews.get(bareJid(contact));
  }

  otrAction(contact: string, action: 'startPrivate' | 'refreshPrivate' | 'endPrivate' | 'resendPrivate'): Promise<void> {
    return this.call('otr', { account: this.id, jid: bareJid(contact), action });
  }

  setOtrPolicy(contact: string, policy: string): Promise<void> {
    return this.call('otrPolicy', { account: this.id, jid: bareJid(contact), policy });
  }

  signIn(): Promise<void> {
    return this.call('signIn', { account: this.id });
  }
  signOut(): Promise<void> {
    return this.call('signOut', { account: this.id });
  }

  setPresence(show: PresenceShow, status?: string): Promise<void> {
    return this.call('setPresence', { account: this.id, show, status });
  }
  addContact(jid: string, name?: string, group?: string): Promise<void> {
    return this.call('contact', { account: this.id, op: 'addContact', args: [jid, name, group] });
  }
  requestAuthorization(jid: string): Promise<void> {
    return this.call('contact', { account: this.id, op: 'requestAuthorization', args: [jid] });
  }
  renameContact(jid: string, name: string): Promise<void> {
    return this.call('contact', { account: this.id, op: 'renameContact', args: [jid, name] });
  }
  moveContact(jid: string, group: string | undefined): Promise<void> {
    return this.call('contact', { account: this.id, op: 'moveContact', args: [jid, group] });
  }
  removeContact(jid: string): Promise<void> {
    return this.call('contact', { account: this.id, op: 'removeContact', args: [jid] });
  }
  answerRequest(jid: string, answer: 'authorize' | 'deny'): Promise<void> {
    return this.call('contact', { account: this.id, op: 'answerRequest', args: [jid, answer] });
  }
  /** Forwarded: the owner writes it to history and its queue, the one queue of this account. */
  sendMessage(jid: string, text: string, opts: { persist?: boolean; requirePrivate?: boolean } = {}): Promise<MessageView> {
    return this.call('send', { account: this.id, jid, text, opts });
  }
  sendChatState(jid: string, state: ChatState): Promise<void> {
    return this.call('chatState', { account: this.id, jid, state });
  }
  history(jid: string, limit?: number): Promise<MessageView[]> {
    return this.call('history', { account: this.id, jid, limit });
  }

  dispose(): void {
    this.removeAllListeners();
    this.otrListeners.clear();
  }
}

export function isRemote(s: unknown): s is RemoteSession {
  return s instanceof RemoteSession;
}

export type { MessageStatus };
